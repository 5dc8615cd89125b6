"""My digits: the user's own drawings, labelled on the canvas ("This is a …"), kept as a
folder dataset so that a model can learn the handwriting of the person in front of it.

The folder is ``My digits`` in the application's data directory (``CNN_STUDIO_MY_DIGITS``
puts it elsewhere). It holds one subfolder per digit twice over: ``seen/3/…png`` is the
28×28 image the network saw, ``drawn/3/…png`` the drawing as made on the canvas::

    save_example("3", canvas_drawing)
    counts()                     # {"0": 4, "1": 6, …}
    x, y = load_examples()       # the seen images, for training

As a dataset (``my_digits`` in :mod:`core.data.datasets`) the drawings are mixed with MNIST
images so that a fine-tune learns the person without forgetting everyone else.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import cv2
import numpy as np

from core.atomic import atomic_path
from core.paths import my_digits_dir

DIGITS = tuple(str(d) for d in range(10))
#: A dataset of one's drawings needs at least this many, of two digits or more.
MIN_EXAMPLES = 10
#: MNIST training images mixed in (the same every time for a seed).
REPLAY_IMAGES = 3000
#: The share of the training mix that is the user's drawings (repeated as needed).
OWN_SHARE = 0.25


def _write_png(path: Path, image: np.ndarray) -> None:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OSError(f"could not encode {path.name}")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.tobytes())


def save_example(label: str, drawing: np.ndarray, folder: str | os.PathLike | None = None) -> Path:
    """Stores a drawing with its label: the image the network sees and the drawing itself.

    Args:
        label: the digit, ``"0"`` to ``"9"``.
        drawing: the canvas's greyscale image (dark ink on light), any size.

    Returns:
        The file of the seen image.

    Raises:
        ValueError: an unknown label, or a drawing without ink.
        OSError: the folder cannot be written.
    """
    from core.reading.preprocess import mnist_style

    if label not in DIGITS:
        raise ValueError(f"A label is a digit from 0 to 9. Received: label={label!r}")
    digit = mnist_style(drawing)
    if digit is None:
        raise ValueError("The drawing is empty: draw the digit first.")
    root = Path(folder) if folder is not None else my_digits_dir()
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    seen = root / "seen" / label / f"{stamp}.png"
    _write_png(seen, digit)
    _write_png(root / "drawn" / label / f"{stamp}.png", np.asarray(drawing, dtype=np.uint8))
    return seen


def counts(folder: str | os.PathLike | None = None) -> dict[str, int]:
    """How many drawings each digit has (cheap: counts files)."""
    root = (Path(folder) if folder is not None else my_digits_dir()) / "seen"
    out = {}
    for d in DIGITS:
        try:
            out[d] = sum(1 for p in (root / d).iterdir() if p.suffix.lower() == ".png" and not p.name.startswith("."))
        except OSError:
            out[d] = 0
    return out


def load_examples(folder: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The seen images and their labels, and how many files could not be read (skipped).

    Returns:
        ``(x, y, skipped)``: ``x`` of shape (N, 28, 28, 1) ``uint8``, ``y`` of digits.
    """
    root = (Path(folder) if folder is not None else my_digits_dir()) / "seen"
    images, labels, skipped = [], [], 0
    for d in DIGITS:
        try:
            files = sorted(p for p in (root / d).iterdir() if p.suffix.lower() == ".png" and not p.name.startswith("."))
        except OSError:
            continue
        for path in files:
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is None:
                skipped += 1
                continue
            if image.shape != (28, 28):
                image = cv2.resize(image, (28, 28), interpolation=cv2.INTER_AREA)
            images.append(image)
            labels.append(int(d))
    x = np.stack(images)[..., None] if images else np.zeros((0, 28, 28, 1), np.uint8)
    return x, np.array(labels, dtype=np.int64), skipped


def availability(folder: str | os.PathLike | None = None) -> str | None:
    """None when there are enough drawings to train on, else what to do."""
    n = counts(folder)
    total, digits = sum(n.values()), sum(1 for v in n.values() if v)
    if total >= MIN_EXAMPLES and digits >= 2:
        return None
    return (f"My digits has {total} drawing(s) of {digits} digit(s): save at least {MIN_EXAMPLES}, of two "
            "digits or more, with \"This is a …\" under the canvas (or a digit key while the canvas has "
            "the focus).")


def mixed_dataset(info, mnist, val_split: float, seed: int, folder=None):
    """My digits as a :class:`core.data.datasets.Dataset`: training images are MNIST images
    (:data:`REPLAY_IMAGES`) and the user's drawings repeated to :data:`OWN_SHARE` of the
    mix; validation is a held-out part of the user's drawings (how well it reads *you*);
    the test set is MNIST's (how well it still reads everyone).

    Raises:
        core.data.datasets.DatasetUnavailableError: too few drawings.
    """
    from core.data.dataset import Dataset, DatasetUnavailableError

    problem = availability(folder)
    if problem:
        raise DatasetUnavailableError(problem)
    x, y, _skipped = load_examples(folder)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_val = max(1, int(round(len(x) * max(val_split, 0.2)))) if len(x) >= 5 else 0
    val, own = order[:n_val], order[n_val:]
    replay = rng.choice(len(mnist["x_train"]), size=min(REPLAY_IMAGES, len(mnist["x_train"])), replace=False)
    repeats = max(1, int(round(OWN_SHARE / (1 - OWN_SHARE) * len(replay) / max(1, len(own)))))
    x_train = np.concatenate([mnist["x_train"][replay]] + [x[own]] * repeats)
    y_train = np.concatenate([mnist["y_train"][replay]] + [y[own]] * repeats)
    mix = rng.permutation(len(x_train))
    return Dataset(info=info, x_train=x_train[mix], y_train=y_train[mix], x_val=x[val], y_val=y[val],
                   x_test=mnist["x_test"], y_test=mnist["y_test"])
