"""Synthetic handwriting for tests: digits drawn as polylines, like a person with a mouse."""

import cv2
import numpy as np

# Strokes on a 280×280 canvas, one list of points per stroke.
DIGIT_STROKES = {
    "0": [[(140 + 55 * np.sin(t), 140 - 95 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
    "1": [[(135, 45), (145, 235)]],
    "7": [[(80, 60), (200, 60), (170, 130), (140, 200), (125, 240)]],
    "4": [[(170, 40), (80, 170), (210, 170)], [(170, 40), (170, 245)]],
}


def draw_digit(digit: str, size: int = 280, width: int = 18, offset=(0, 0), scale: float = 1.0,
               ink: int = 0, paper: int = 255) -> np.ndarray:
    """Returns a greyscale image of ``digit`` drawn with round strokes."""
    img = np.full((size, size), paper, np.uint8)
    factor = size / 280 * scale
    for stroke in DIGIT_STROKES[digit]:
        pts = np.array([(x * factor + offset[0], y * factor + offset[1]) for x, y in stroke], np.int32)
        cv2.polylines(img, [pts], False, ink, thickness=max(1, int(width * factor)), lineType=cv2.LINE_AA)
    return img
