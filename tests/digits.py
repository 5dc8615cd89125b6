"""Synthetic handwriting for tests: digits drawn as polylines, like a person with a mouse."""

import cv2
import numpy as np

# Strokes on a 280×280 canvas, one list of points per stroke.
DIGIT_STROKES = {
    "0": [[(140 + 55 * np.sin(t), 140 - 95 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
    "1": [[(135, 45), (145, 235)]],
    "7": [[(80, 60), (200, 60), (170, 130), (140, 200), (125, 240)]],
    "4": [[(170, 40), (80, 170), (210, 170)], [(170, 40), (170, 245)]],
    "2": [[(85, 90), (100, 60), (140, 45), (180, 60), (190, 95), (175, 130), (85, 235), (200, 235)]],
    "3": [[(85, 65), (130, 45), (178, 60), (185, 100), (155, 128), (120, 135), (160, 142), (192, 175),
           (185, 215), (140, 240), (85, 225)]],
    "5": [[(190, 45), (98, 45), (92, 130), (130, 115), (175, 130), (195, 175), (180, 220), (135, 240),
           (85, 225)]],
    "6": [[(175, 50), (130, 62), (98, 110), (88, 170), (102, 222), (140, 240), (180, 222), (190, 182),
           (170, 148), (130, 142), (96, 172)]],
    "8": [[(140 + 45 * np.sin(t), 92 - 48 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 30)],
          [(140 + 55 * np.sin(t), 192 - 52 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 30)]],
    "9": [[(188, 92)] + [(140 + 48 * np.sin(t), 95 - 50 * np.cos(t)) for t in np.linspace(np.pi / 2, 2.5 * np.pi, 36)]
          + [(185, 170), (178, 240)]],
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
