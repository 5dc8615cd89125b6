"""Fast prediction of one image at a time, for the drawing canvas and the command line.

``model.predict`` costs about 50 ms per call; ``predict_on_batch`` reuses one traced
function and costs under a millisecond after its first call, so every stroke can be read.
Tracing must not happen while another thread trains (:data:`core.device.graph_lock`):
until it can, the predictor calls the model eagerly (a few milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.device import graph_lock


class Predictor:
    """Predicts single images with a model it owns.

    The predictor never shares its model with a thread that trains: give it a copy
    (:meth:`from_weights`, or a model built from a snapshot) or a loaded file.

    Args:
        model: a Keras model taking raw pixels of shape (H, W, C) and returning class
            probabilities.
        class_names: one name per output class.
        trace: trace the fast path now, waiting for training to end if it runs; with
            False, the fast path is traced at the first prediction that finds
            :data:`core.device.graph_lock` free.
    """

    def __init__(self, model, class_names=None, trace: bool = True):
        self.model = model
        self.input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        self.num_classes = int(model.outputs[0].shape[-1])
        self.class_names = list(class_names) if class_names else [str(i) for i in range(self.num_classes)]
        self._single = (1, *self.input_shape)
        self.traced = False
        if trace:
            self._trace(blocking=True)

    @classmethod
    def from_weights(cls, arch: str, input_shape, classes: int, weights, class_names=None):
        """Builds a fresh model of ``arch`` holding a copy of ``weights``."""
        from core.registry import build_model

        with graph_lock:
            model = build_model(arch, input_shape, classes)
            model.set_weights(weights)
            return cls(model, class_names)

    def _trace(self, blocking: bool) -> bool:
        if not graph_lock.acquire(blocking=blocking):
            return False
        try:
            self.model.predict_on_batch(np.zeros(self._single, np.float32))
            self.traced = True
        finally:
            graph_lock.release()
        return True

    def predict_batch(self, images: np.ndarray) -> np.ndarray:
        """Returns probabilities of shape (N, classes) for float32 images (N, H, W, C)."""
        images = np.asarray(images, dtype=np.float32)
        if images.shape == self._single and (self.traced or self._trace(blocking=False)):
            out = self.model.predict_on_batch(images)
        elif graph_lock.acquire(blocking=False):
            try:  # another batch size traces again
                out = self.model.predict_on_batch(images)
            finally:
                graph_lock.release()
        else:
            out = self.model(images, training=False)
        if isinstance(out, (list, tuple)):
            out = out[0]
        return np.asarray(out)

    def predict(self, image: np.ndarray) -> np.ndarray:
        """Returns the probabilities of one image of the model's input shape."""
        return self.predict_batch(image[None])[0]


@dataclass
class Reading:
    """What a classifier reads in an image: one digit, or a row of them read left to right.

    Attributes:
        probabilities: (k, classes), a row per digit.
        images: (k, 28, 28)-like, each digit (or the photo: (1, H, W, 3) in colour) as
            the network sees it.
        class_names: the model's class names.
    """

    probabilities: np.ndarray
    images: np.ndarray
    class_names: list

    @property
    def labels(self) -> list[str]:
        return [self.class_names[int(p.argmax())] for p in self.probabilities]

    @property
    def text(self) -> str:
        """The digits read, left to right ("7", or "410")."""
        return "".join(self.labels)

    @property
    def confidences(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    @property
    def weakest(self) -> int:
        """The index of the digit the network is least sure of (0 for one digit)."""
        return int(self.confidences.argmin())

    @property
    def confidence(self) -> float:
        """How sure the reading is: of its least sure digit."""
        return float(self.confidences.min())


def read_digits(predictor: Predictor, image: np.ndarray, split: bool = False) -> Reading | None:
    """Reads a drawing or a photo of handwriting (any size, dark on light or the reverse),
    prepared as MNIST was; with ``split``, a row of several digits is read left to right.
    None when the image holds no ink.

    Raises:
        ValueError: an image that cannot be prepared (not 2-D or 3-D, say).
    """
    from core.preprocess import prepare, prepare_digits

    if split:
        try:
            digits = prepare_digits(image, predictor.input_shape)
        except ValueError:
            digits = []
        if len(digits) > 1:
            return Reading(predictor.predict_batch(np.stack([d[0] for d in digits])),
                           np.stack([d[1] for d in digits]), predictor.class_names)
    prepared = prepare(image, predictor.input_shape)
    if prepared is None:
        return None
    model_input, digit = prepared
    return Reading(predictor.predict(model_input)[None], digit[None], predictor.class_names)


def read_photo(predictor: Predictor, rgb: np.ndarray) -> Reading:
    """Reads a photo (RGB ``uint8``, any size) with a model of photos: the whole image at
    the model's input size (see :func:`core.photos.photo_input`)."""
    from core.photos import photo_input

    seen = photo_input(rgb, predictor.input_shape)
    image = seen[..., 0] if seen.shape[-1] == 1 else seen
    return Reading(predictor.predict(seen.astype(np.float32))[None], image[None], predictor.class_names)


def read_file_image(predictor: Predictor, image: np.ndarray, split: bool = False) -> Reading | None:
    """Reads an image as :func:`core.imagefiles.read_image` returns it, as the model's kind
    asks: a model of digits prepares the ink (:func:`read_digits`), a model of photos reads
    the whole photo (:func:`read_photo`, ``split`` ignored)."""
    from core.photos import is_photo_model, photo_rgb

    if is_photo_model(predictor.class_names):
        return read_photo(predictor, photo_rgb(image))
    return read_digits(predictor, image, split)
