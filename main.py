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
import signal
import sys
import threading
import time

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _parse_shape(text: str) -> tuple[int, int, int]:
    from core.registry import parse_shape

    try:
        return parse_shape(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _add_model_options(p, default_form: str) -> None:
    p.add_argument("--form", choices=("reference", "compact"), default=default_form,
                   help=f"the paper's network, or the compact one for small inputs (default: {default_form})")
    p.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="VGG: batch normalisation after every convolution (default: on for compact only)")
    p.add_argument("--inception", choices=("v1", "v2", "v3"), help="GoogLeNet: Inception block version")


def _model_options(args) -> dict:
    """The architecture's own options given on the command line."""
    from core.registry import get_arch

    allowed = get_arch(args.arch).options
    options = {}
    if args.batch_norm is not None:
        if "batch_norm" not in allowed:
            raise ValueError(f"--batch-norm is for VGG networks, not {args.arch}")
        options["batch_norm"] = args.batch_norm
    if args.inception:
        if "inception_version" not in allowed:
            raise ValueError(f"--inception is for GoogLeNet networks, not {args.arch}")
        options["inception_version"] = args.inception
    if getattr(args, "aux", False):
        if "aux" not in allowed:
            raise ValueError(f"--aux is for GoogLeNet, not {args.arch}")
        options["aux"] = True
    return options


def _add_train_options(p) -> None:
    """The options of a training run (train and sweep)."""
    from core.config import OPTIMIZERS
    from core.datasets import DATASETS
    from core.registry import ARCHITECTURES
    from core.schedules import SCHEDULES

    p.add_argument("arch", choices=list(ARCHITECTURES), metavar="ARCH",
                   help=f"one of: {', '.join(ARCHITECTURES)}")
    p.add_argument("--dataset", default="mnist", choices=list(DATASETS))
    _add_model_options(p, default_form="compact")
    p.add_argument("--epochs", type=_positive_int, metavar="N", help="default: the architecture's")
    p.add_argument("--batch-size", type=_positive_int, metavar="N", help="default: the architecture's")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: the architecture's")
    p.add_argument("--lr", type=_float, metavar="X", help="learning rate (default: the architecture's)")
    p.add_argument("--momentum", type=_float, metavar="X", help="SGD momentum (default 0.9)")
    p.add_argument("--nesterov", action="store_true", help="SGD with Nesterov momentum")
    p.add_argument("--weight-decay", type=_float, metavar="X", help="decoupled weight decay (default 0)")
    p.add_argument("--schedule", choices=list(SCHEDULES), help="learning-rate schedule (default: the architecture's)")
    p.add_argument("--warmup", type=_int, metavar="EPOCHS", help="epochs of linear learning-rate warm-up (default 0)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="vary stroke width, shift, rotate and zoom 30%% of the training images "
                        "(default: on for digit datasets, off for others)")
    p.add_argument("--early-stopping", type=_int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs, keeping the best weights")
    p.add_argument("--val-split", type=_float, metavar="F", help="fraction of training images held out (default 0.1)")
    p.add_argument("--seed", type=_int, metavar="N", help="random seed: same seed, same curves on the CPU (default 0)")
    p.add_argument("--device", metavar="NAME", help="auto (default), all (every GPU at once, mirrored), cpu, gpu, gpu:N")
    p.add_argument("--mixed-precision", nargs="?", const="auto", choices=("auto", "float16", "bfloat16"),
                   help="compute in float16 (GPU) or bfloat16; bare flag: the device's best")
    p.add_argument("--checkpoint", metavar="PATH", help="write the best model so far to PATH (.keras) after each epoch")
    p.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard logs to DIR")
    p.add_argument("--strategy", choices=("default", "mirrored", "multiworker"), default="default",
                   help="default: one device; mirrored: every local GPU (or --devices); multiworker: "
                        "several machines (--workers, --worker-index)")
    p.add_argument("--devices", metavar="D,D", help="mirrored: the devices to train on, e.g. gpu:0,gpu:2")
    p.add_argument("--workers", metavar="HOST:PORT,...",
                   help="multiworker: every worker's address, the same list on every worker")
    p.add_argument("--worker-index", type=_int, default=0, metavar="N",
                   help="multiworker: this worker's place in --workers (0 is the chief, which saves)")
    p.add_argument("--worker-timeout", type=_float, metavar="SECONDS",
                   help="multiworker: how long to wait for the other workers (default 120)")
    p.add_argument("--scale-lr", action="store_true",
                   help="multiply the learning rate by the number of replicas (the batch is global)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="train on only N images (quick runs)")
    p.add_argument("--no-library", dest="library", action="store_false",
                   help="do not save the run in the model library (the window's Models tab; "
                        "folder: $CNN_STUDIO_LIBRARY or the app's data folder)")
    p.add_argument("--json", action="store_true", help="last line of output: one JSON object")


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
    p.add_argument("--input", type=_parse_shape, metavar="HxWxC",
                   help="input shape (default: the reference input, or 28x28x1 for the compact form)")
    p.add_argument("--classes", type=_positive_int, default=10, metavar="N", help="number of classes (default 10)")
    _add_model_options(p, default_form="reference")
    p.add_argument("--aux", action="store_true", help="GoogLeNet: include the auxiliary heads")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("train", help="train an architecture headless")
    _add_train_options(p)
    p.add_argument("--save", metavar="PATH", help="also save the trained model to PATH (.keras)")
    p.add_argument("--events", action="store_true",
                   help="for programs: progress as JSON lines on stdout; a line 'stop' on stdin stops")

    p = sub.add_parser("sweep", help="train every combination of some settings with several seeds, "
                                     "and say which differences are real")
    _add_train_options(p)
    p.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2",
                   help="a setting and the values to try (repeat for more settings); e.g. optimizer=adam,sgd")
    p.add_argument("--seeds", type=_positive_int, default=3, metavar="N",
                   help="runs of each combination, seeds SEED, SEED+1, … (default 3)")

    p = sub.add_parser("predict", help="read digits from image files with a trained model")
    p.add_argument("--model", required=True, metavar="PATH", help="a .keras model file")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPEG files, any size")
    p.add_argument("--split", action="store_true",
                   help="each image holds several digits in a row: read them left to right")
    p.add_argument("--json", action="store_true", help="print one JSON list")

    p = sub.add_parser("evaluate", help="measure a trained model on a test set")
    p.add_argument("--model", required=True, metavar="PATH", help="a .keras model file")
    p.add_argument("--dataset", choices=list(DATASETS),
                   help="default: the dataset the model was trained on, else mnist")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def cmd_summary(args) -> int:
    from core.device import load_tensorflow
    from core.registry import build_model
    from core.summary import format_table, summarize, to_dict

    try:
        options = _model_options(args)
        load_tensorflow()
        model = build_model(args.arch, args.input, args.classes, form=args.form, **options)
    except ValueError as e:
        _err(f"error: {e}")
        return EXIT_USAGE
    summary = summarize(model)
    if args.json:
        print(json.dumps(to_dict(summary, args.arch)))
    else:
        print(format_table(summary))
    return EXIT_OK


class TerminalProgress:
    """A one-line progress bar on standard error (one line per epoch when not a TTY)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()

    def batch(self, p: dict) -> None:
        from core.summary import format_clock

        if not self.tty:
            return
        width = 24
        done = int(width * p["batch"] / p["batches"])
        elapsed = p["elapsed"]
        eta = elapsed * (1 - p["progress"]) / p["progress"] if p["progress"] > 0 else 0
        sys.stderr.write(
            f"\rEpoch {p['epoch'] + 1}/{p['epochs']} [{'=' * done}{' ' * (width - done)}] "
            f"{p['batch']}/{p['batches']}  loss {p['epoch_loss']:.4f}  acc {p['epoch_accuracy']:.4f}  "
            f"{p['images_per_second']:.0f} img/s  ETA {format_clock(eta)} "
        )
        sys.stderr.flush()

    def epoch(self, e: dict) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        parts = [f"Epoch {e['epoch'] + 1}/{e['epochs']}"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in e:
                parts.append(f"{key} {e[key]:.4f}")
        if "learning_rate" in e:
            parts.append(f"lr {e['learning_rate']:.3g}")
        parts.append(f"{e['seconds']:.1f} s, {e['images_per_second']:.0f} img/s")
        if not e["complete"]:
            parts.append("(stopped)")
        _err("  ".join(parts))


class _EventStream:
    """``--events``: progress as JSON lines on stdout for a program that drives this one
    (the window runs multi-worker training so); a line ``stop`` on stdin stops training."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                self.stop.set()
        # the driving program went away: stop, keeping what was trained
        self.stop.set()

    def send(self, kind: str, data: dict) -> None:
        sys.stdout.write(json.dumps({"event": kind, **data}, default=float) + "\n")
        sys.stdout.flush()

    def batch(self, p: dict) -> None:
        self.send("batch", p)

    def epoch(self, also):
        def on_epoch(e: dict) -> None:
            also(e)
            self.send("epoch", e)
        return on_epoch


def _warn_if_slow(config) -> None:
    """Says how long an epoch of a reference network would take here, before training."""
    from core.datasets import get_dataset_info
    from core.device import load_tensorflow
    from core.registry import build_model
    from core.summary import estimate_training, format_seconds, summarize

    load_tensorflow()
    info = get_dataset_info(config.dataset)
    options = config.model_options()
    model = build_model(config.arch, info.input_shape, len(info.class_names), **options)
    images = info.training_images(config.limit, config.val_split)
    seconds = estimate_training(summarize(model), images, config.batch_size)["seconds_per_epoch"]
    _err(f"note: the reference {config.arch} takes about {format_seconds(seconds)} per epoch on this "
         "machine's CPU; --form compact trains the same idea in minutes.")


def _train_config(args):
    """The TrainConfig of the train (and sweep) options; unchecked.

    Raises:
        ValueError: a model option the architecture does not take.
    """
    from core.config import TrainConfig

    options = _model_options(args)
    config = TrainConfig.for_arch(
        args.arch, form=args.form, options=options, dataset=args.dataset, epochs=args.epochs,
        batch_size=args.batch_size, optimizer=args.optimizer, learning_rate=args.lr, limit=args.limit,
        momentum=args.momentum, nesterov=args.nesterov or None, weight_decay=args.weight_decay,
        schedule=args.schedule, warmup=args.warmup, augment=args.augment,
        early_stopping=args.early_stopping, val_split=args.val_split, seed=args.seed,
        device=args.device.lower() if args.device else None, mixed_precision=args.mixed_precision,
        checkpoint=args.checkpoint, tensorboard=args.tensorboard,
        strategy=args.strategy, scale_lr=args.scale_lr, worker_index=args.worker_index,
        worker_timeout=args.worker_timeout,
        devices=[d.strip().lower() for d in args.devices.split(",") if d.strip()] if args.devices else None,
        workers=[w.strip() for w in args.workers.split(",") if w.strip()] if args.workers else None,
    )
    return config


def _refuse(problems: dict) -> int:
    """Prints one line per bad option; the exit status of bad usage."""
    for name, message in problems.items():
        _err(f"error: --{name.replace('_', '-')} {message}")
    return EXIT_USAGE


def _failed(error: Exception) -> int:
    """Prints why a run could not go on; the exit status: 2 for settings or a missing
    dataset (nothing ran), 1 for a run that failed."""
    from core.config import SettingsError
    from core.datasets import DatasetUnavailableError

    if isinstance(error, SettingsError):
        return _refuse(error.errors)
    _err(f"error: {error}")
    return EXIT_USAGE if isinstance(error, DatasetUnavailableError) else EXIT_FAILED


def _interrupt_sets(stop: threading.Event):
    """A SIGINT handler: the first Ctrl+C sets ``stop`` (the run ends after its batch),
    the second aborts."""
    def interrupt(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        _err("\nStopping after this batch (Ctrl+C again to abort)…")
        stop.set()

    return interrupt


def cmd_train(args) -> int:
    from core.datasets import DatasetUnavailableError, get_dataset_info
    from core.modelio import ModelFileError, build_metadata, save_model
    from core.registry import get_arch
    from core.distribute import WorkerFailure, is_chief, small_model_note
    from core.config import SettingsError
    from core.training import run_training, TrainingDiverged, TrainingOutOfMemory

    try:
        config = _train_config(args)
    except ValueError as e:
        _err(f"error: {e}")
        return EXIT_USAGE
    problems = config.errors()
    if args.save and not args.save.endswith(".keras"):
        problems["save"] = f"model files end in .keras, not {args.save!r}"
    if problems:
        return _refuse(problems)

    stop = threading.Event()
    interrupt = _interrupt_sets(stop)

    # (A multi-worker strategy must be made before TensorFlow runs anything.)
    if config.form == "reference" and args.arch not in ("mlp", "lenet5") and config.strategy != "multiworker":
        _warn_if_slow(config)
    note = small_model_note(config.arch, config.form, config.strategy, config.device)
    if note:
        _err(f"note: {note}")
    previous = signal.signal(signal.SIGINT, interrupt)
    progress = TerminalProgress()
    events = _EventStream(stop) if args.events else None
    _err(f"Training {args.arch} ({args.form}) on {args.dataset}: {config.epochs} epochs, batch {config.batch_size}, "
         f"{config.optimizer} lr {config.learning_rate:g} ({config.schedule}"
         + (f", {config.warmup} warm-up" if config.warmup else "") + ")"
         + (", augmented" if config.augment else ""))
    def started(info):
        if events:
            events.send("start", info)
        if info["replicas"] > 1 or info["strategy"] != "default":
            role = ""
            if info["worker"] is not None:
                role = f", worker {info['worker']} of {len(config.workers)}" + (" (chief)" if info["chief"] else "")
            _err(f"Strategy {info['strategy']}: {info['replicas']} replicas{role}; global batch "
                 f"{config.batch_size}, lr {info['learning_rate']:g}" + (" (scaled)" if config.scale_lr else ""))

    try:
        result = run_training(config, on_batch=events.batch if events else progress.batch,
                              on_epoch=events.epoch(progress.epoch) if events else progress.epoch,
                              should_stop=stop.is_set, on_start=started)
    except (SettingsError, DatasetUnavailableError, TrainingDiverged, TrainingOutOfMemory, WorkerFailure) as e:
        return _failed(e)
    finally:
        signal.signal(signal.SIGINT, previous)
    if result.stopped_early:
        _err(f"Stopped early after epoch {result.epochs_completed}: the validation loss stopped improving "
             "(the best weights are kept).")
    if result.checkpoint_error:
        _err(f"warning: the checkpoint could not be written: {result.checkpoint_error}")
    saved_to = library_path = run = None
    if (args.save or args.library) and not is_chief(config):
        _err("Not saved here: worker 0 (the chief) saves the model.")
    elif args.save or args.library:
        from core.library import finish_run

        run = finish_run(result, get_dataset_info(args.dataset).class_names, library=args.library)
        library_path = run.library_path
        if library_path:
            _err(f"Saved in the model library: {library_path}")
        elif args.library and not run.kept:
            _err("Not saved in the model library: stopped before a full epoch (--save PATH keeps it anyway).")
        elif run.library_error:
            _err(f"warning: not saved in the model library: {run.library_error}")
        if args.save:
            try:
                saved_to = str(save_model(result.model, args.save, run.metadata))
                _err(f"Saved to {saved_to}")
            except ModelFileError as e:
                _err(f"error: {e}")
                return EXIT_FAILED
        elif run.library_error:
            _err("The trained model was not saved anywhere: run again with --save PATH (another folder).")
            return EXIT_FAILED
    if result.test_accuracy is not None:
        _err(f"Test accuracy {100 * result.test_accuracy:.2f}%, loss {result.test_loss:.4f}, "
             f"{result.train_seconds:.1f} s, {result.images_per_second:.0f} img/s")
    if events:
        from core.library import worth_keeping

        out = result.summary_dict()
        out.pop("history")
        events.send("result", {
            **out, "saved_to": saved_to or library_path, "library_path": library_path, "chief": is_chief(config),
            "checkpoint": config.checkpoint if config.checkpoint and os.path.exists(config.checkpoint) else None,
            "checkpoint_error": result.checkpoint_error, "kept": worth_keeping(result.epochs_completed),
            "metadata": run.metadata if run else build_metadata(
                result, get_dataset_info(args.dataset).class_names, get_arch(args.arch).name),
        })
    if args.json:
        out = result.summary_dict()
        out.pop("history")
        out["saved_to"] = saved_to
        out["library_path"] = library_path
        print(json.dumps(out))
    return EXIT_OK


def cmd_sweep(args) -> int:
    """Every combination of the --param values, --seeds runs each, then a verdict per
    combination against the first."""
    import datetime

    from core.config import SettingsError
    from core.datasets import DatasetUnavailableError, get_dataset_info
    from core.library import finish_run
    from core.sweep import label, parse_param, run_sweep, verdicts
    from core.training import TrainingDiverged, TrainingOutOfMemory

    try:
        params = dict(parse_param(text) for text in args.param)
        config = _train_config(args)
    except ValueError as e:
        _err(f"error: {e}")
        return EXIT_USAGE
    if not params:
        _err("error: --param NAME=V1,V2 names the setting to sweep, e.g. --param optimizer=adam,sgd")
        return EXIT_USAGE
    problems = config.errors()
    if config.strategy != "default":
        problems["strategy"] = "sweeps run on one device, one run after another"
    if problems:
        return _refuse(problems)
    sweep_id = datetime.datetime.now().strftime("sweep-%Y%m%d-%H%M%S")
    class_names = get_dataset_info(config.dataset).class_names
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, _interrupt_sets(stop))
    progress = TerminalProgress()

    def on_run(k, total, combo, seed):
        _err(f"Run {k} of {total}: {label(combo)}, seed {seed}")

    def on_result(combo, seed, result):
        if args.library:
            run = finish_run(result, class_names, extra={"sweep": {"id": sweep_id, "params": combo, "seed": seed}})
            if run.library_error:
                _err(f"warning: not saved in the model library: {run.library_error}")

    try:
        combos = run_sweep(config, params, args.seeds, on_run=on_run, on_result=on_result, should_stop=stop.is_set,
                           on_batch=progress.batch, on_epoch=progress.epoch)
    except (SettingsError, DatasetUnavailableError, TrainingDiverged, TrainingOutOfMemory) as e:
        return _failed(e)
    finally:
        signal.signal(signal.SIGINT, previous)
    summaries, comparisons = [c.summary() for c in combos], verdicts(combos)
    out = sys.stderr if args.json else sys.stdout
    for s in summaries:
        mean, std = s["test_accuracy_mean"], s["test_accuracy_std"]
        shown = f"{100 * mean:.2f}% ± {100 * std:.2f}" if mean is not None else "–"
        print(f"{label(s['params'])}: test accuracy {shown} over {s['runs']} run(s)", file=out)
    for c in comparisons:
        print(f"{c['b']} vs {c['a']}: {100 * c['difference']:+.2f} points (95% interval "
              f"{100 * c['low']:+.2f} to {100 * c['high']:+.2f}): {c['verdict']}", file=out)
    if args.json:
        print(json.dumps({"sweep": sweep_id, "combinations": summaries, "comparisons": comparisons}))
    return EXIT_OK


def cmd_predict(args) -> int:
    from core.imagefiles import ImageFileError, read_image
    from core.inference import Predictor, read_digits
    from core.modelio import ModelFileError, load_model

    try:
        loaded = load_model(args.model)
    except ModelFileError as e:
        _err(f"error: {e}")
        return EXIT_FAILED
    predictor = Predictor(loaded.model, loaded.class_names)
    results, failures = [], 0
    for path in args.images:
        entry = {"image": path, "label": None, "confidence": None}
        try:
            reading = read_digits(predictor, read_image(path), split=args.split)
            if reading is None:
                raise ImageFileError(f"{path}: no ink found (the image is blank).")
        except (ImageFileError, ValueError) as e:
            failures += 1
            entry.update(error=str(e), probabilities=None)
            _err(f"error: {e}")
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
    from core.datasets import DatasetUnavailableError, load_dataset
    from core.evaluation import evaluate_classifier, mismatch
    from core.modelio import ModelFileError, load_model

    try:
        loaded = load_model(args.model)
    except ModelFileError as e:
        _err(f"error: {e}")
        return EXIT_FAILED
    dataset = args.dataset or loaded.metadata.get("dataset") or "mnist"
    try:
        data = load_dataset(dataset, val_split=0.0)
    except (DatasetUnavailableError, ValueError) as e:
        _err(f"error: {e}")
        return EXIT_USAGE
    problem = mismatch(loaded.model.inputs[0].shape[1:], loaded.model.outputs[0].shape[-1], data, dataset)
    if problem:
        _err(f"error: {problem}")
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
