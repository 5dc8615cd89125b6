"""``main.py train`` and ``main.py sweep``: training runs from a terminal, with a progress
line, Ctrl+C to stop (keeping what was trained), the library and ``--json``."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

from cli.events import EventStream
from cli.options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, err, model_options, option_name
from cli.progress import TerminalProgress

def _warn_if_slow(config) -> None:
    """Says how long an epoch of a reference network would take here, before training."""
    from core.data.datasets import get_dataset_info
    from core.runtime.device import load_tensorflow
    from core.models.registry import build_model
    from core.models.summary import estimate_training, format_seconds, summarize

    load_tensorflow()
    info = get_dataset_info(config.dataset, **config.dataset_options())
    options = config.model_options()
    model = build_model(config.arch, info.input_shape, len(info.class_names), **options)
    images = info.training_images(config.limit, config.val_split)
    seconds = estimate_training(summarize(model), images, config.batch_size)["seconds_per_epoch"]
    err(f"note: the reference {config.arch} takes about {format_seconds(seconds)} per epoch on this "
         "machine's CPU; --form compact trains the same idea in minutes.")


def given_settings(args) -> dict:
    """The settings the command line gives, as :class:`core.training.config.TrainConfig` fields
    (the ones left out are not in the dict).

    Raises:
        ValueError: a model option the architecture does not take.
    """
    values = dict(
        form=args.form, dataset=args.dataset, epochs=args.epochs,
        image_size=args.image_size, color_mode=args.color_mode,
        batch_size=args.batch_size, optimizer=args.optimizer, learning_rate=args.lr, limit=args.limit,
        momentum=args.momentum, nesterov=args.nesterov or None, weight_decay=args.weight_decay,
        schedule=args.schedule, warmup=args.warmup, augment=args.augment, deslant=args.deslant,
        early_stopping=args.early_stopping, val_split=args.val_split, seed=args.seed,
        device=args.device.lower() if args.device else None, mixed_precision=args.mixed_precision,
        checkpoint=args.checkpoint, tensorboard=args.tensorboard,
        strategy=args.strategy, scale_lr=args.scale_lr or None, worker_index=args.worker_index,
        worker_timeout=args.worker_timeout, input_stats=args.input_stats,
        devices=[d.strip().lower() for d in args.devices.split(",") if d.strip()] if args.devices else None,
        workers=[w.strip() for w in args.workers.split(",") if w.strip()] if args.workers else None,
    )
    if args.arch:
        values["options"] = model_options(args) or None
    elif args.batch_norm is not None or args.inception:
        values["options"] = "given"
    return {k: v for k, v in values.items() if v is not None}


#: What a resumed run may change: where it runs and what it writes on the side.
RESUME_MAY_CHANGE = ("epochs", "device", "checkpoint", "tensorboard", "mixed_precision")


def train_config(args):
    """The TrainConfig of the train (and sweep) options; unchecked.

    Raises:
        ValueError: a model option the architecture does not take, or options that do
            not go with ``--resume`` / ``--start-from``.
        core.storage.modelio.ModelFileError: the file to resume or fine-tune cannot be.
    """
    from core.training.config import TrainConfig
    from core.training.resume import finetune_config, resume_config

    if getattr(args, "network", None):
        from cli.options import chosen_arch

        args.arch = chosen_arch(args)  # the file's id; checked with the other settings
        args.network = None
    settings = given_settings(args)
    resume, start_from = getattr(args, "resume", None), getattr(args, "start_from", None)
    if resume and start_from:
        raise ValueError("--resume goes on with a run, --start-from starts a new one from its weights: "
                         "choose one")
    if resume:
        others = [k for k in settings if k not in RESUME_MAY_CHANGE] + (["recipe"] if args.recipe else [])
        if args.arch:
            others.insert(0, "arch")
        if others:
            names = ", ".join("ARCH" if k == "arch" else option_name(k) for k in others)
            raise ValueError(f"--resume goes on with the run's own settings; leave out {names} "
                             "(or use --start-from to train its weights with new settings)")
        return resume_config(resume, settings.pop("epochs", None), **settings)
    if start_from:
        if args.recipe:
            from core.training.config import RECIPES

            settings = {**RECIPES[args.recipe][1], **settings}
        if "options" in settings:
            raise ValueError("--start-from keeps the saved model's architecture: leave out --batch-norm and "
                             "--inception")
        config = finetune_config(start_from, settings.pop("dataset", "mnist"), settings.pop("epochs", None),
                                 **settings)
        if args.arch and args.arch != config.arch:
            raise ValueError(f"{start_from} is a {config.arch}, not a {args.arch}: leave out ARCH")
        return config
    if not args.arch:
        raise ValueError("name the architecture to train (ARCH), or go on from a saved model with "
                         "--resume PATH or --start-from PATH")
    return TrainConfig.for_arch(args.arch, recipe=args.recipe, **settings)


def _refuse(problems: dict) -> int:
    """Prints one line per bad option; the exit status of bad usage."""
    for name, message in problems.items():
        err(f"error: --{name.replace('_', '-')} {message}")
    return EXIT_USAGE


def _failed(error: Exception) -> int:
    """Prints why a run could not go on; the exit status: 2 for settings or a missing
    dataset (nothing ran), 1 for a run that failed."""
    from core.training.config import SettingsError
    from core.data.datasets import DatasetUnavailableError

    if isinstance(error, SettingsError):
        return _refuse(error.errors)
    err(f"error: {error}")
    return EXIT_USAGE if isinstance(error, DatasetUnavailableError) else EXIT_FAILED


def _interrupt_sets(stop: threading.Event):
    """A SIGINT handler: the first Ctrl+C sets ``stop`` (the run ends after its batch),
    the second aborts."""
    def interrupt(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        err("\nStopping after this batch (Ctrl+C again to abort)…")
        stop.set()

    return interrupt


def _download(dataset: str) -> int:
    """``--download``: fetches CIFAR-10 into Keras's cache unless it is there; Keras's
    progress bar goes to standard error (standard output is for ``--json``)."""
    from contextlib import redirect_stdout

    from core.data.datasets import DatasetUnavailableError, availability, download_cifar10

    if dataset != "cifar10":
        err(f"error: --download fetches CIFAR-10; {dataset} is not downloaded")
        return EXIT_USAGE
    if availability(dataset) is None:
        return EXIT_OK
    err("Downloading CIFAR-10 (170 MB) into Keras's cache…")
    try:
        with redirect_stdout(sys.stderr):
            folder = download_cifar10()
    except DatasetUnavailableError as e:
        err(f"error: {e}")
        return EXIT_FAILED
    err(f"CIFAR-10 is in {folder}")
    return EXIT_OK


def _read_image_folder(config):
    """A folder of images, read now so that its classes and skipped files are told first
    (None for the other datasets: the trainer loads them)."""
    from core.data.datasets import DATASETS, load_dataset

    if config.dataset in DATASETS:
        return None
    data = load_dataset(config.dataset, val_split=config.val_split, limit=config.limit, seed=config.seed,
                        **config.dataset_options())
    h, w, c = data.input_shape
    err(f"Read {len(data.x_train) + len(data.x_val) + len(data.x_test):,} images of {config.dataset} at {h}×{w}"
        f"{' colour' if c == 3 else ' grey'}, classes {', '.join(data.info.class_names)}; "
        f"{len(data.x_test):,} held out for the test")
    if data.skipped:
        err(f"note: {data.skipped} file(s) could not be read as images and were skipped")
    return data


def cmd_train(args) -> int:
    from core.data.datasets import DatasetUnavailableError, get_dataset_info
    from core.storage.modelio import ModelFileError, build_metadata, save_model
    from core.models.registry import get_arch
    from core.runtime.distribute import WorkerFailure, is_chief, small_model_note
    from core.training.config import SettingsError
    from core.training.loop import run_training, TrainingDiverged, TrainingOutOfMemory

    try:
        config = train_config(args)
    except (ValueError, ModelFileError) as e:
        err(f"error: {e}")
        return EXIT_USAGE
    problems = config.errors()
    if args.save and not args.save.endswith(".keras"):
        problems["save"] = f"model files end in .keras, not {args.save!r}"
    if problems:
        return _refuse(problems)

    if getattr(args, "download", False):
        code = _download(config.dataset)
        if code:
            return code
    stop = threading.Event()
    interrupt = _interrupt_sets(stop)

    # (A multi-worker strategy must be made before TensorFlow runs anything.)
    if config.form == "reference" and config.arch not in ("mlp", "lenet5") and config.strategy != "multiworker":
        _warn_if_slow(config)
    note = small_model_note(config.arch, config.form, config.strategy, config.device)
    if note:
        err(f"note: {note}")
    previous = signal.signal(signal.SIGINT, interrupt)
    progress = TerminalProgress()
    events = EventStream(stop) if args.events else None
    if config.resume:
        from core.training.resume import describe_new_schedule, read_metadata, resumable_epoch

        done = resumable_epoch(read_metadata(config.resume))
        changed = describe_new_schedule(config)
        err(f"Resuming {config.resume} after epoch {done}: {config.epochs} more, the same optimiser state "
            + (f"and history; {changed}" if changed else ", schedule and history"))
    elif config.start_from:
        err(f"Fine-tuning from the weights of {config.start_from} (a fresh optimiser)")
    err(f"Training {config.arch} ({config.form}) on {config.dataset}: {config.epochs} epochs, batch {config.batch_size}, "
         f"{config.optimizer} lr {config.learning_rate:g} ({config.schedule}"
         + (f", {config.warmup} warm-up" if config.warmup else "") + ")"
         + (", augmented" if config.augment else "") + (", deslanted" if config.deslant else ""))
    def started(info):
        if events:
            events.send("start", info)
        if info["replicas"] > 1 or info["strategy"] != "default":
            role = ""
            if info["worker"] is not None:
                role = f", worker {info['worker']} of {len(config.workers)}" + (" (chief)" if info["chief"] else "")
            err(f"Strategy {info['strategy']}: {info['replicas']} replicas{role}; global batch "
                 f"{config.batch_size}, lr {info['learning_rate']:g}" + (" (scaled)" if config.scale_lr else ""))

    try:
        data = _read_image_folder(config)
        result = run_training(config, data=data, on_batch=events.batch if events else progress.batch,
                              on_epoch=events.epoch(progress.epoch) if events else progress.epoch,
                              should_stop=stop.is_set, on_start=started)
    except (SettingsError, DatasetUnavailableError, TrainingDiverged, TrainingOutOfMemory, WorkerFailure) as e:
        return _failed(e)
    finally:
        signal.signal(signal.SIGINT, previous)
    if result.stopped_early:
        err(f"Stopped early after epoch {result.epochs_completed}: the validation loss stopped improving "
             "(the best weights are kept).")
    if result.checkpoint_error:
        err(f"warning: the checkpoint could not be written: {result.checkpoint_error}")
    saved_to = library_path = run = None
    if (args.save or args.library) and not is_chief(config):
        err("Not saved here: worker 0 (the chief) saves the model.")
    elif args.save or args.library:
        from core.storage.library import finish_run

        run = finish_run(result, get_dataset_info(config.dataset).class_names, library=args.library)
        library_path = run.library_path
        if library_path:
            err(f"Saved in the model library: {library_path}")
        elif args.library and not run.kept:
            err("Not saved in the model library: stopped before a full epoch (--save PATH keeps it anyway).")
        elif run.library_error:
            err(f"warning: not saved in the model library: {run.library_error}")
        if args.save:
            try:
                saved_to = str(save_model(result.model, args.save, run.metadata, run.entries))
                err(f"Saved to {saved_to}")
            except ModelFileError as e:
                err(f"error: {e}")
                return EXIT_FAILED
        elif run.library_error:
            err("The trained model was not saved anywhere: run again with --save PATH (another folder).")
            return EXIT_FAILED
    if result.test_accuracy is not None:
        err(f"Test accuracy {100 * result.test_accuracy:.2f}%, loss {result.test_loss:.4f}, "
             f"{result.train_seconds:.1f} s, {result.images_per_second:.0f} img/s")
    if result.warning:
        err(f"warning: {result.warning}")
    if events:
        from core.storage.library import worth_keeping

        out = result.summary_dict()
        out.pop("history")
        events.send("result", {
            **out, "saved_to": saved_to or library_path, "library_path": library_path, "chief": is_chief(config),
            "checkpoint": config.checkpoint if config.checkpoint and os.path.exists(config.checkpoint) else None,
            "checkpoint_error": result.checkpoint_error, "kept": worth_keeping(result.epochs_completed),
            "metadata": run.metadata if run else build_metadata(
                result, get_dataset_info(config.dataset).class_names, get_arch(config.arch).name),
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

    from core.training.config import SettingsError
    from core.data.datasets import DatasetUnavailableError, get_dataset_info
    from core.storage.library import finish_run
    from core.training.sweep import failed_runs, label, parse_param, run_sweep, verdicts

    try:
        params = dict(parse_param(text) for text in args.param)
        config = train_config(args)
    except ValueError as e:
        err(f"error: {e}")
        return EXIT_USAGE
    if not params:
        err("error: --param NAME=V1,V2 names the setting to sweep, e.g. --param optimizer=adam,sgd")
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
        err(f"Run {k} of {total}: {label(combo)}, seed {seed}")

    def on_failure(combo, seed, message):
        err(f"error: {label(combo)}, seed {seed} failed: {message} The sweep goes on with the next run.")

    def on_result(combo, seed, result):
        if args.library:
            run = finish_run(result, class_names, extra={"sweep": {"id": sweep_id, "params": combo, "seed": seed}})
            if run.library_error:
                err(f"warning: not saved in the model library: {run.library_error}")

    try:
        combos = run_sweep(config, params, args.seeds, on_run=on_run, on_result=on_result, on_failure=on_failure,
                           should_stop=stop.is_set, on_batch=progress.batch, on_epoch=progress.epoch)
    except (SettingsError, DatasetUnavailableError) as e:
        return _failed(e)
    finally:
        signal.signal(signal.SIGINT, previous)
    summaries, comparisons, failed = [c.summary() for c in combos], verdicts(combos), failed_runs(combos)
    out = sys.stderr if args.json else sys.stdout
    for s in summaries:
        mean, std = s["test_accuracy_mean"], s["test_accuracy_std"]
        shown = f"{100 * mean:.2f}% ± {100 * std:.2f}" if mean is not None else "–"
        print(f"{label(s['params'])}: test accuracy {shown} over {s['runs']} run(s)"
              + (f", {len(s['failed'])} failed" if s["failed"] else ""), file=out)
    for c in comparisons:
        print(f"{c['b']} vs {c['a']}: {100 * c['difference']:+.2f} points (95% interval "
              f"{100 * c['low']:+.2f} to {100 * c['high']:+.2f}, {c['test']}): {c['verdict']}", file=out)
    for f in failed:
        print(f"failed: {label(f['params'])}, seed {f['seed']}: {f['error']}", file=out)
    if args.json:
        print(json.dumps({"sweep": sweep_id, "combinations": summaries, "comparisons": comparisons,
                          "failed": failed}))
    finished = sum(s["runs"] for s in summaries)
    return EXIT_FAILED if failed and not finished else EXIT_OK
