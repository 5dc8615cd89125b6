"""``main.py summary``, ``predict`` and ``evaluate``: a network's layers, reading image
files with a trained model, and measuring one on a test set."""

from __future__ import annotations

import argparse
import json

from cli.options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, chosen_arch, err, model_options


def cmd_summary(args) -> int:
    from core.models.networks import is_network, network_path, network_shape
    from core.runtime.device import load_tensorflow
    from core.models.registry import build_model
    from core.models.summary import format_table, summarize, to_dict

    try:
        arch = chosen_arch(args)
        options = model_options(argparse.Namespace(**{**vars(args), "arch": arch}))
        load_tensorflow()
        classes = args.classes or (network_shape(network_path(arch))[1] if is_network(arch) else 10)
        model = build_model(arch, args.input, classes, form=args.form, **options)
    except ValueError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    summary = summarize(model)
    if args.json:
        print(json.dumps(to_dict(summary, arch)))
    else:
        print(format_table(summary))
    return EXIT_OK


def cmd_network(args) -> int:
    """Writes a zoo architecture as a network file (Keras JSON) to edit."""
    from core.atomic import write_text_atomically
    from core.models.registry import zoo_network
    from core.runtime.device import load_tensorflow

    try:
        options = model_options(args)
        load_tensorflow()
        text = zoo_network(args.arch, args.form, args.input, args.classes, **options)
    except ValueError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    if not args.out:
        print(text)
        return EXIT_OK
    try:
        written = write_text_atomically(args.out, text + "\n")
    except OSError as e:
        err(f"error: cannot write {args.out}: {e.strerror or e}. Choose another folder.")
        return EXIT_FAILED
    err(f"Wrote {written}: train it with main.py train --network {written}")
    return EXIT_OK


def cmd_predict(args) -> int:
    from core.reading.imagefiles import ImageFileError, read_image
    from core.reading.inference import Predictor, read_file_image
    from core.storage.modelio import ModelFileError, load_model

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
    from core.data.datasets import DatasetUnavailableError
    from core.inspect.evaluation import evaluate_classifier, mismatch, test_set
    from core.storage.modelio import ModelFileError, load_model

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
    macro = scores["macro"]
    rows = [*zip(names, scores["precision"], scores["recall"], scores["f1"]),
            ("macro avg", macro["precision"], macro["recall"], macro["f1"])]
    print(f"{'class':>12} {'precision':>9} {'recall':>7} {'F1':>7}")
    for name, *values in rows:  # "–": undefined (a class never predicted has no precision)
        print(f"{name:>12} " + " ".join(f"{'–' if v is None else f'{100 * v:.1f}%':>{w}}"
                                        for v, w in zip(values, (9, 7, 7))))
    print("Confusion matrix (rows: true class, columns: predicted):")
    for name, row in zip(names, scores["confusion_matrix"]):
        print(f"{name:>12} " + " ".join(f"{v:5d}" for v in row))
    return EXIT_OK
