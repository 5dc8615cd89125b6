"""Fast prediction of one image at a time, for the drawing canvas and the command line.

``model.predict`` costs about 50 ms per call; ``predict_on_batch`` reuses one traced
function and costs under a millisecond after its first call, so every stroke can be read.
Tracing must not happen while another thread trains (:data:`core.runtime.device.graph_lock`):
until it can, the predictor calls the model eagerly (a few milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.runtime.device import graph_lock


class Predictor:
    """Predicts single images with a model it owns.

    The predictor never shares its model with a thread that trains: give it a copy
    (a model built from a snapshot) or a loaded file.

    A model that begins with a ``deslant`` layer (:mod:`core.models.deslant`) is run with
    that layer's output as a second output, so that :meth:`predict_seen` can show the
    digit as the network reads it, upright.

    Args:
        model: a Keras model taking raw pixels of shape (H, W, C) and returning class
            probabilities.
        class_names: one name per output class.
        trace: trace the fast path now, waiting for training to end if it runs; with
            False, the fast path is traced at the first prediction that finds
            :data:`core.runtime.device.graph_lock` free.
    """

    def __init__(self, model, class_names=None, trace: bool = True):
        self.model = model
        self.input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        self.num_classes = int(model.outputs[0].shape[-1])
        self.class_names = list(class_names) if class_names else [str(i) for i in range(self.num_classes)]
        self._single = (1, *self.input_shape)
        self._runner = _with_deslanted_output(model)
        self.traced = False
        if trace:
            self._trace(blocking=True)

    def _trace(self, blocking: bool) -> bool:
        if not graph_lock.acquire(blocking=blocking):
            return False
        try:
            self._runner.predict_on_batch(np.zeros(self._single, np.float32))
            self.traced = True
        finally:
            graph_lock.release()
        return True

    @property
    def deslants(self) -> bool:
        """Whether the model deslants digits in its first layer."""
        return self._runner is not self.model

    def _run(self, images: np.ndarray):
        images = np.asarray(images, dtype=np.float32)
        if images.shape == self._single and (self.traced or self._trace(blocking=False)):
            return self._runner.predict_on_batch(images)
        if graph_lock.acquire(blocking=False):
            try:  # another batch size traces again
                return self._runner.predict_on_batch(images)
            finally:
                graph_lock.release()
        return self._runner(images, training=False)

    def predict_batch(self, images: np.ndarray) -> np.ndarray:
        """Returns probabilities of shape (N, classes) for float32 images (N, H, W, C)."""
        out = self._run(images)
        return np.asarray(out[0] if isinstance(out, (list, tuple)) else out)

    def predict_seen(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Returns the probabilities of ``images`` (N, H, W, C) and the images as the
        network reads them: deslanted by the model's first layer if it has one, else as
        given; ``uint8`` (N, H, W) for one channel, (N, H, W, C) otherwise."""
        out = self._run(images)
        if self._runner is self.model:
            probabilities, seen = (out[0] if isinstance(out, (list, tuple)) else out), images
        else:
            probabilities, seen = out
        seen = np.clip(np.rint(np.asarray(seen, np.float32)), 0, 255).astype(np.uint8)
        return np.asarray(probabilities), (seen[..., 0] if seen.shape[-1] == 1 else seen)

    def predict(self, image: np.ndarray) -> np.ndarray:
        """Returns the probabilities of one image of the model's input shape."""
        return self.predict_batch(image[None])[0]


def _with_deslanted_output(model):
    """``model`` with its ``deslant`` layer's output as a second output; ``model`` itself
    when it has no such layer."""
    if "deslant" not in {layer.name for layer in model.layers}:
        return model
    import keras

    return keras.Model(model.inputs[0], [model.outputs[0], model.get_layer("deslant").output],
                       name=f"{model.name}_reading")


@dataclass
class Reading:
    """What a classifier reads in an image: one digit, or a row of them read left to right.

    Attributes:
        probabilities: (k, classes), a row per digit.
        images: (k, 28, 28)-like, each digit (or the photo: (1, H, W, 3) in colour) as
            the network sees it: after the model's deslant layer, if it has one.
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
    from core.reading.preprocess import prepare, prepare_digits

    if split:
        try:
            digits = prepare_digits(image, predictor.input_shape)
        except ValueError:
            digits = []
        if len(digits) > 1:
            return _read_prepared(predictor, digits)
    prepared = prepare(image, predictor.input_shape)
    return None if prepared is None else _read_prepared(predictor, [prepared])


def _read_prepared(predictor: Predictor, prepared: list) -> Reading:
    """Reads ``(model_input, digit)`` pairs; the images shown are the digits as the network
    reads them (deslanted, by a model that deslants)."""
    probabilities, seen = predictor.predict_seen(np.stack([model_input for model_input, _ in prepared]))
    if not predictor.deslants:
        seen = np.stack([digit for _, digit in prepared])
    return Reading(probabilities, seen, predictor.class_names)


def read_photo(predictor: Predictor, rgb: np.ndarray) -> Reading:
    """Reads a photo (RGB ``uint8``, any size) with a model of photos: the whole image at
    the model's input size (see :func:`core.reading.photos.photo_input`)."""
    from core.reading.photos import photo_input

    seen = photo_input(rgb, predictor.input_shape)
    image = seen[..., 0] if seen.shape[-1] == 1 else seen
    return Reading(predictor.predict(seen.astype(np.float32))[None], image[None], predictor.class_names)


def read_file_image(predictor: Predictor, image: np.ndarray, split: bool = False) -> Reading | None:
    """Reads an image as :func:`core.reading.imagefiles.read_image` returns it, as the model's kind
    asks: a model of digits prepares the ink (:func:`read_digits`), a model of photos reads
    the whole photo (:func:`read_photo`, ``split`` ignored)."""
    from core.reading.photos import is_photo_model, photo_rgb

    if is_photo_model(predictor.class_names):
        return read_photo(predictor, photo_rgb(image))
    return read_digits(predictor, image, split)
