"""CNN Studio: open the window, or work headless.

    python main.py                          open the window
    python main.py summary lenet5 --json    layer summary
    python main.py train lenet5 --epochs 3 --save lenet5.keras
    python main.py predict --model lenet5.keras digit.png
    python main.py evaluate --model lenet5.keras

With ``--json``, standard output holds only the JSON; progress and messages go to
standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from core.cli import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_model_options, add_train_options, dataset_arg, err,
                      model_options, parse_shape_arg, positive_int)
from core.cli_train import cmd_sweep, cmd_train


def build_parser() -> argparse.ArgumentParser:
    from core.datasets import DATASETS
    from core.registry import ARCHITECTURES

    parser = argparse.ArgumentParser(
        prog="main.py", description="CNN Studio: train, read and try image classifiers.",
        epilog="Without a command, the window opens.",
    )
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's own start-up messages (also: CNN_STUDIO_VERBOSE=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("summary", help="print the layer summary of an architecture")
    p.add_argument("arch", choices=list(ARCHITECTURES), metavar="ARCH",
                   help=f"one of: {', '.join(ARCHITECTURES)}")
    p.add_argument("--input", type=parse_shape_arg, metavar="HxWxC",
                   help="input shape (default: the reference input, or 28x28x1 for the compact form)")
    p.add_argument("--classes", type=positive_int, default=10, metavar="N", help="number of classes (default 10)")
    add_model_options(p, default_form="reference")
    p.add_argument("--aux", action="store_true", help="GoogLeNet: include the auxiliary heads")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("train", help="train an architecture headless, or go on training a saved model")
    add_train_options(p, train=True)
    p.add_argument("--save", metavar="PATH", help="also save the trained model to PATH (.keras)")
    p.add_argument("--events", action="store_true",
                   help="for programs: progress as JSON lines on stdout; a line 'stop' on stdin stops")

    p = sub.add_parser("sweep", help="train every combination of some settings with several seeds, "
                                     "and say which differences are real")
    add_train_options(p)
    p.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2",
                   help="a setting and the values to try (repeat for more settings); e.g. optimizer=adam,sgd")
    p.add_argument("--seeds", type=positive_int, default=3, metavar="N",
                   help="runs of each combination, seeds SEED, SEED+1, … (default 3)")

    p = sub.add_parser("predict", help="read digits from image files with a trained model")
    p.add_argument("--model", required=True, metavar="PATH", help="a .keras model file")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPEG files, any size")
    p.add_argument("--split", action="store_true",
                   help="each image holds several digits in a row: read them left to right")
    p.add_argument("--json", action="store_true", help="print one JSON list")

    p = sub.add_parser("evaluate", help="measure a trained model on a test set")
    p.add_argument("--model", required=True, metavar="PATH", help="a .keras model file")
    p.add_argument("--dataset", type=dataset_arg, metavar="NAME|FOLDER",
                   help=f"{', '.join(DATASETS)}, or a folder of images; default: the dataset the model was "
                        "trained on, else mnist")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def cmd_summary(args) -> int:
    from core.device import load_tensorflow
    from core.registry import build_model
    from core.summary import format_table, summarize, to_dict

    try:
        options = model_options(args)
        load_tensorflow()
        model = build_model(args.arch, args.input, args.classes, form=args.form, **options)
    except ValueError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    summary = summarize(model)
    if args.json:
        print(json.dumps(to_dict(summary, args.arch)))
    else:
        print(format_table(summary))
    return EXIT_OK


def cmd_predict(args) -> int:
    from core.imagefiles import ImageFileError, read_image
    from core.inference import Predictor, read_file_image
    from core.modelio import ModelFileError, load_model

    try:
        loaded = load_model(args.model)
    except ModelFileError as e:
        err(f"error: {e}")
        return EXIT_FAILED
    predictor = Predictor(loaded.model, loaded.class_names)
    results, failures = [], 0
    for path in args.images:
        entry = {"image": path, "label": None, "confidence": None}
        try:
            reading = read_file_image(predictor, read_image(path), split=args.split)
            if reading is None:
                raise ImageFileError(f"{path}: no ink found (the image is blank).")
        except (ImageFileError, ValueError) as e:
            failures += 1
            entry.update(error=str(e), probabilities=None)
            err(f"error: {e}")
            results.append(entry)
            continue
        entry.update(label=reading.text, confidence=reading.confidence)
        if args.split:
            entry["digits"] = [{"label": label, "confidence": float(p.max()), "probabilities": [float(v) for v in p]}
                               for label, p in zip(reading.labels, reading.probabilities)]
            described = f"{len(reading.labels)} digits, the least sure {100 * reading.confidence:.1f}%"
        else:
            entry["probabilities"] = [float(v) for v in reading.probabilities[0]]
            described = f"{100 * reading.confidence:.1f}%"
        results.append(entry)
        if not args.json:
            print(f"{path}: {entry['label']} ({described})")
    if args.json:
        print(json.dumps(results))
    return EXIT_FAILED if failures else EXIT_OK


def cmd_evaluate(args) -> int:
    from core.datasets import DatasetUnavailableError
    from core.evaluation import evaluate_classifier, mismatch, test_set
    from core.modelio import ModelFileError, load_model

    try:
        loaded = load_model(args.model)
    except ModelFileError as e:
        err(f"error: {e}")
        return EXIT_FAILED
    dataset = args.dataset or loaded.metadata.get("dataset") or "mnist"
    try:
        data = test_set(dataset, loaded.model.inputs[0].shape[1:])
    except (DatasetUnavailableError, ValueError) as e:
        err(f"error: {e}")
        return EXIT_USAGE
    problem = mismatch(loaded.model.inputs[0].shape[1:], loaded.model.outputs[0].shape[-1], data, dataset)
    if problem:
        err(f"error: {problem}")
        return EXIT_USAGE
    scores = evaluate_classifier(loaded.model, data.x_test, data.y_test)
    scores["dataset"] = dataset
    if args.json:
        print(json.dumps(scores))
        return EXIT_OK
    print(f"{dataset} test set, {scores['count']} images: accuracy {100 * scores['accuracy']:.2f}%, "
          f"loss {scores['loss']:.4f}")
    names = loaded.class_names
    print("Per-class accuracy: " + "  ".join(
        f"{n}: {100 * a:.1f}%" for n, a in zip(names, scores["per_class_accuracy"]) if a is not None))
    print("Confusion matrix (rows: true class, columns: predicted):")
    for name, row in zip(names, scores["confusion_matrix"]):
        print(f"{name:>12} " + " ".join(f"{v:5d}" for v in row))
    return EXIT_OK


def open_window() -> int:
    from gui.app import run

    return run()


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return open_window()
    args = build_parser().parse_args(argv)
    if args.verbose:
        from core.device import VERBOSE_ENV

        os.environ[VERBOSE_ENV] = "1"
    if args.command is None:
        return open_window()
    command = {"summary": cmd_summary, "train": cmd_train, "sweep": cmd_sweep, "predict": cmd_predict,
               "evaluate": cmd_evaluate}[args.command]
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
