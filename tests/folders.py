"""Folders of images for tests: one subfolder per class, shapes drawn in colour or grey."""

from pathlib import Path

import cv2
import numpy as np

SHAPES = ("circle", "cross", "square")


def write_image_folder(root: Path, per_class: int = 20, size: int = 48, colour: bool = True, seed: int = 0,
                       classes=SHAPES) -> Path:
    """A folder of PNG and JPEG images of circles, crosses and squares (one subfolder each)."""
    rng = np.random.default_rng(seed)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = np.full((size, size, 3), 255, np.uint8)
            ink = tuple(int(v) for v in rng.integers(0, 200, 3)) if colour else (40, 40, 40)
            x, y = (int(v) for v in rng.integers(size // 4, 3 * size // 4, 2))
            r = size // 5
            if name == "circle":
                cv2.circle(img, (x, y), r, ink, 3)
            elif name == "square":
                cv2.rectangle(img, (x - r, y - r), (x + r, y + r), ink, 3)
            else:
                cv2.line(img, (x - r, y - r), (x + r, y + r), ink, 3)
                cv2.line(img, (x - r, y + r), (x + r, y - r), ink, 3)
            cv2.imwrite(str(root / name / f"{i}.{'png' if i % 2 else 'jpg'}"), img)
    return root
