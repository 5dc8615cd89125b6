"""Measuring a trained classifier on a test set."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Counts, row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)
    return matrix


def class_scores(matrix) -> dict:
    """Per-class ``precision``, ``recall`` and ``f1`` from a confusion matrix (row = true
    class), each a list with None where it is undefined (a class never predicted has no
    precision, one absent from the test set no recall), and ``macro``: their means over
    the classes where they are defined."""
    matrix = np.asarray(matrix, dtype=np.float64)
    right = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, right / predicted, np.nan)
        recall = np.where(actual > 0, right / actual, np.nan)
        # 2TP / (2TP + FP + FN): 0 for a class that occurs but is never found, even when it
        # is never predicted (no precision); undefined only for one that neither occurs nor is predicted.
        f1 = np.where(predicted + actual > 0, 2 * right / (predicted + actual), np.nan)

    def listed(values):
        return [None if np.isnan(v) else float(v) for v in values]

    def mean(values):
        defined = values[~np.isnan(values)]
        return float(defined.mean()) if defined.size else None

    return {"precision": listed(precision), "recall": listed(recall), "f1": listed(f1),
            "macro": {"precision": mean(precision), "recall": mean(recall), "f1": mean(f1)}}


def evaluation_rows(result: dict, class_names) -> list[list]:
    """An evaluation as the rows of a table (CSV): a header, one row per class (its test
    images, precision, recall, F1), the macro averages and the accuracy."""
    def cell(value):
        return "" if value is None else f"{value:.4f}"

    totals = np.asarray(result["confusion_matrix"]).sum(axis=1)
    rows = [["class", "test images", "precision", "recall", "f1"]]
    for i, name in enumerate(class_names):
        rows.append([name, int(totals[i]), cell(result["precision"][i]), cell(result["recall"][i]),
                     cell(result["f1"][i])])
    macro = result["macro"]
    rows.append(["macro average", int(totals.sum()), cell(macro["precision"]), cell(macro["recall"]),
                 cell(macro["f1"])])
    rows.append(["accuracy", result["count"], "", cell(result["accuracy"]), ""])
    return rows


def evaluation_csv(result: dict, class_names) -> str:
    """:func:`evaluation_rows` as CSV text."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(evaluation_rows(result, class_names))
    return out.getvalue()


def test_set(dataset: str, input_shape):
    """The dataset a model taking ``input_shape`` images is measured on (its test images
    are what counts): a folder of images is read at the model's size and colour, and its
    training images are left on disk.

    Raises:
        ValueError, core.data.datasets.DatasetUnavailableError: as ``load_dataset``.
    """
    from core.data.datasets import DATASETS, load_dataset

    if dataset in DATASETS:
        return load_dataset(dataset, val_split=0.0)
    height, width, channels = (int(d) for d in input_shape)
    return load_dataset(dataset, val_split=0.0, image_size=(height, width),
                        color_mode="rgb" if channels == 3 else "grayscale", stream=True)


def mismatch(input_shape, classes: int, data, dataset: str) -> str | None:
    """A message when a model taking ``input_shape`` images with ``classes`` outputs cannot
    be measured on ``data`` (a loaded dataset named ``dataset``); None when it can."""
    expected = tuple(int(d) for d in input_shape)
    if expected != tuple(data.x_test.shape[1:]) or int(classes) != data.num_classes:
        return (f"the model takes {expected} images with {classes} classes; {dataset} has "
                f"{tuple(data.x_test.shape[1:])} images with {data.num_classes} classes.")
    return None


def evaluate_classifier(model, x: np.ndarray, y: np.ndarray, batch_size: int = 256,
                        mistakes: int = 0, predictions: bool = False) -> dict:
    """Returns ``accuracy``, ``loss``, ``per_class_accuracy`` (the recall),
    ``confusion_matrix``, ``count``, and ``precision``, ``recall``, ``f1`` and ``macro``
    (see :func:`class_scores`); with ``mistakes`` > 0 also ``mistakes``: the most confident wrong answers,
    as ``index``, ``true``, ``predicted`` and ``confidence``, most confident first; with
    ``predictions`` also ``predicted``: every image's predicted class (a NumPy array).

    Args:
        model: a Keras model taking raw pixels and returning probabilities.
        x: images, ``uint8`` or float pixels 0-255, shaped like the model's input.
        y: integer labels.
    """
    from core.runtime.device import load_tensorflow

    load_tensorflow()  # configured once (pipelines without autotuning, see core.runtime.tfdata)
    probs = np.asarray(model.predict(x.astype(np.float32), batch_size=batch_size, verbose=0))
    if isinstance(probs, (list, tuple)):
        probs = np.asarray(probs[0])
    classes = probs.shape[1]
    picked = np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)
    predicted = probs.argmax(axis=1)
    matrix = confusion_matrix(y, predicted, classes)
    totals = matrix.sum(axis=1)
    per_class = np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)
    out = {
        "accuracy": float((predicted == y).mean()),
        "loss": float(-np.log(picked).mean()),
        "per_class_accuracy": [None if np.isnan(v) else float(v) for v in per_class],
        "confusion_matrix": matrix.tolist(),
        "count": int(len(y)),
        **class_scores(matrix),
    }
    if mistakes:
        wrong = np.nonzero(predicted != y)[0]
        confidence = probs[wrong, predicted[wrong]]
        order = wrong[np.argsort(-confidence, kind="stable")][:mistakes]
        out["mistakes"] = [{"index": int(i), "true": int(y[i]), "predicted": int(predicted[i]),
                            "confidence": float(probs[i, predicted[i]])} for i in order]
    if predictions:
        out["predicted"] = predicted
    return out
