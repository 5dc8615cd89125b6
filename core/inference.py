"""Fast prediction of one image at a time, for the drawing canvas and the command line.

``model.predict`` costs about 50 ms per call; ``predict_on_batch`` reuses one traced
function and costs under a millisecond after its first call, so every stroke can be read.
"""

from __future__ import annotations

import numpy as np


class Predictor:
    """Predicts single images with a model it owns.

    The predictor never shares its model with a thread that trains: build it from a
    snapshot of weights (:meth:`from_weights`) or from a loaded file.

    Args:
        model: a Keras model taking raw pixels of shape (H, W, C) and returning class
            probabilities.
        class_names: one name per output class.
    """

    def __init__(self, model, class_names=None):
        self.model = model
        self.input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        self.num_classes = int(model.outputs[0].shape[-1])
        self.class_names = list(class_names) if class_names else [str(i) for i in range(self.num_classes)]
        self.predict_batch(np.zeros((1, *self.input_shape), np.float32))  # trace now

    @classmethod
    def from_weights(cls, arch: str, input_shape, classes: int, weights, class_names=None):
        """Builds a fresh model of ``arch`` holding a copy of ``weights``."""
        from core.registry import build_model

        model = build_model(arch, input_shape, classes)
        model.set_weights(weights)
        return cls(model, class_names)

    def predict_batch(self, images: np.ndarray) -> np.ndarray:
        """Returns probabilities of shape (N, classes) for float32 images (N, H, W, C)."""
        out = self.model.predict_on_batch(np.asarray(images, dtype=np.float32))
        if isinstance(out, (list, tuple)):
            out = out[0]
        return np.asarray(out)

    def predict(self, image: np.ndarray) -> np.ndarray:
        """Returns the probabilities of one image of the model's input shape."""
        return self.predict_batch(image[None])[0]
