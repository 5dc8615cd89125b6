"""Where images land in what a classifier has learnt: the output of its last hidden layer
(what its output layer reads), for a sample of the test set, reduced to 2-D by PCA; and a
new image (the drawing on the canvas) placed on the same map.

    found = embedding_map(model, data.x_test, data.y_test, count=2000)
    found.points        # (n, 2)
    found.place(image)  # where one more image lands
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from core.inspect.explain import output_layer

#: Test images on the map by default.
MAP_IMAGES = 2000
#: Images per forward pass.
MAP_BATCH = 250

_probes: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def penultimate_layer(model) -> str:
    """The layer whose output the model's output layer reads."""
    head = output_layer(model)
    into = head.input[0] if isinstance(head.input, (list, tuple)) else head.input
    return into._keras_history[0].name


def _probe(model):
    import keras

    if model not in _probes:
        _probes[model] = keras.Model(model.inputs[0], model.get_layer(penultimate_layer(model)).output)
    return _probes[model]


def features(model, images: np.ndarray, on_batch: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The last hidden layer's output for ``images`` (N, H, W, C), flattened: (N, D).

    Args:
        on_batch: called after each batch with (images done, images in all).
    """
    probe = _probe(model)
    out = []
    for start in range(0, len(images), MAP_BATCH):
        batch = np.asarray(images[start:start + MAP_BATCH], np.float32)
        out.append(np.asarray(probe(batch, training=False), np.float32).reshape(len(batch), -1))
        if on_batch:
            on_batch(min(start + MAP_BATCH, len(images)), len(images))
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def pca(points: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal components: the mean, the ``dims`` directions of most variance (rows) and
    the share of the variance each explains. Each direction's sign is fixed (its largest
    entry positive), so the same data always gives the same picture."""
    mean = points.mean(axis=0)
    _, singular, directions = np.linalg.svd(points - mean, full_matrices=False)
    directions = directions[:dims]
    directions *= np.sign(directions[np.arange(len(directions)), np.abs(directions).argmax(axis=1)])[:, None]
    variance = singular ** 2
    return mean, directions, variance[:dims] / max(float(variance.sum()), 1e-12)


@dataclass
class EmbeddingMap:
    """Test images placed in 2-D by PCA of the model's last hidden layer.

    Attributes:
        points: (n, 2), one per image.
        labels, predicted: each image's true class and the class the model reads.
        indices: each image's place in the test set.
        layer: the layer whose output is mapped.
        explained: the share of that output's variance each axis shows.
    """

    points: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    indices: np.ndarray
    layer: str
    explained: np.ndarray
    mean: np.ndarray = field(repr=False)
    directions: np.ndarray = field(repr=False)
    model: object = field(repr=False, default=None)

    def place(self, image: np.ndarray) -> np.ndarray:
        """Where one more image (H, W, C as the model takes it) lands: (2,)."""
        return (features(self.model, np.asarray(image, np.float32)[None])[0] - self.mean) @ self.directions.T


def sample_indices(count: int, total: int, seed: int = 0) -> np.ndarray:
    """``count`` test-set places (all when there are fewer), random but the same each time."""
    if count >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, size=count, replace=False))


def embedding_map(model, x: np.ndarray, y: np.ndarray, count: int = MAP_IMAGES, seed: int = 0,
                  on_batch: Callable[[int, int], None] | None = None) -> EmbeddingMap:
    """Maps a sample of ``count`` images of ``x`` (labels ``y``) by PCA of the model's last
    hidden layer.

    Raises:
        ValueError: when there are fewer than 2 images.
    """
    if len(x) < 2:
        raise ValueError(f"A map needs at least 2 images. Received: {len(x)} image(s)")
    indices = sample_indices(count, len(x), seed)
    images = np.asarray(x[indices], np.float32)
    hidden = features(model, images, on_batch)
    head = output_layer(model)  # it reads the hidden layer
    predicted = np.asarray(head(hidden.reshape(len(images), *head.input.shape[1:]))).argmax(axis=1)
    mean, directions, explained = pca(hidden)
    return EmbeddingMap((hidden - mean) @ directions.T, np.asarray(y)[indices].astype(int), predicted.astype(int),
                        indices, penultimate_layer(model), explained, mean, directions, model)


def separation(points: np.ndarray, labels: np.ndarray) -> float:
    """How well the classes keep apart on the map: the share of points nearer their own
    class's centre than any other's (1: every class apart; chance: about 1 / classes)."""
    classes = np.unique(labels)
    centres = np.stack([points[labels == c].mean(axis=0) for c in classes])
    nearest = classes[np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(axis=1)]
    return float((nearest == labels).mean())
