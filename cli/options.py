"""What the command-line commands share: exit codes, messages, argument types and the
options of a training run (``main.py train`` and ``main.py sweep``)."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def err(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def parse_shape_arg(text: str) -> tuple[int, int, int]:
    from core.models.registry import parse_shape

    try:
        return parse_shape(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def image_size_arg(text: str) -> list[int]:
    """``64`` or ``64x48`` (height × width) as [height, width]."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        size = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 64 or 64x48, got {text!r}") from None
    if len(size) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected a size such as 64 or 64x48, got {text!r}")
    return size * 2 if len(size) == 1 else size


def json_list(text: str) -> list:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a JSON list, got {text!r}") from None
    if not isinstance(value, list):
        raise argparse.ArgumentTypeError(f"expected a JSON list, got {text!r}")
    return value


def dataset_arg(text: str) -> str:
    """A dataset's name, or a folder of images as its absolute path."""
    from pathlib import Path

    from core.data.datasets import DATASETS

    if text not in DATASETS and Path(text).expanduser().is_dir():
        return str(Path(text).expanduser().resolve())
    return text


#: Options whose name is not their setting's.
OPTION_NAMES = {"learning_rate": "lr"}


def option_name(setting: str) -> str:
    """The command-line option of a :class:`core.training.config.TrainConfig` field: ``--lr``."""
    return "--" + OPTION_NAMES.get(setting, setting).replace("_", "-")


def add_model_options(p, default_form: str | None) -> None:
    p.add_argument("--form", choices=("reference", "compact"), default=default_form,
                   help="the paper's network, or the compact one for small inputs "
                        f"(default: {default_form or 'compact'})")
    p.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="VGG: batch normalisation after every convolution (default: on for compact only)")
    p.add_argument("--inception", choices=("v1", "v2", "v3"), help="GoogLeNet: Inception block version")


def chosen_arch(args) -> str:
    """The architecture the command names: ARCH, or the network file of ``--network``.

    Raises:
        ValueError: both or neither given.
    """
    network = getattr(args, "network", None)
    if network and args.arch:
        raise ValueError("give ARCH or --network PATH, not both")
    if network:
        from core.models.networks import network_id

        return network_id(network)
    if not args.arch:
        raise ValueError("name the architecture (ARCH) or a network file (--network PATH)")
    return args.arch


def model_options(args) -> dict:
    """The architecture's own options given on the command line."""
    from core.models.registry import get_arch

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


def add_train_options(p, train: bool = False) -> None:
    """The options of a training run (train and sweep); ``train`` adds going on from a
    saved model (``--resume``, ``--start-from``), which makes ARCH optional."""
    from core.training.config import OPTIMIZERS
    from core.data.datasets import DATASETS
    from core.models.registry import ARCHITECTURES
    from core.training.schedules import SCHEDULES

    p.add_argument("arch", choices=list(ARCHITECTURES), metavar="ARCH", nargs="?",
                   help=f"one of: {', '.join(ARCHITECTURES)}" + (" (not with --resume)" if train else "")
                   + "; or --network PATH")
    p.add_argument("--network", metavar="PATH", help="train a network file (Keras JSON, see main.py network) "
                                                      "instead of ARCH")
    if train:
        p.add_argument("--resume", metavar="PATH",
                       help="go on training a saved run (library file or checkpoint) for --epochs N more "
                            "epochs, with its optimiser state, schedule and history")
        p.add_argument("--download", action="store_true",
                       help="CIFAR-10: fetch it into Keras's cache first when it is not there (170 MB)")
        p.add_argument("--start-from", metavar="PATH",
                       help="fine-tune: start from a saved model's weights with a fresh optimiser, "
                            "on --dataset (default mnist), at a tenth of the learning rate")
    p.add_argument("--dataset", type=dataset_arg, metavar="NAME|FOLDER",
                   help=f"{', '.join(DATASETS)}, or a folder with one subfolder of images per class "
                        "(default: mnist)")
    p.add_argument("--image-size", type=image_size_arg, metavar="HxW",
                   help="a folder dataset: read its images at this size, e.g. 64 or 64x48 (default: "
                        "their median size)")
    p.add_argument("--color-mode", choices=["rgb", "grayscale"],
                   help="a folder dataset: read its images in colour or grey (default: colour when "
                        "any image has colour)")
    add_model_options(p, default_form=None)
    p.add_argument("--recipe", choices=["cifar"],
                   help="cifar: the CIFAR tutorial's SGD, Nesterov 0.9, lr 0.1, weight decay 5e-4, step "
                        "decay (other options still override it)")
    p.add_argument("--epochs", type=positive_int, metavar="N", help="default: the architecture's")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="default: the architecture's")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: the architecture's")
    p.add_argument("--lr", type=number, metavar="X", help="learning rate (default: the architecture's)")
    p.add_argument("--momentum", type=number, metavar="X", help="SGD momentum (default 0.9)")
    p.add_argument("--nesterov", action="store_true", help="SGD with Nesterov momentum")
    p.add_argument("--weight-decay", type=number, metavar="X", help="decoupled weight decay (default 0)")
    p.add_argument("--schedule", choices=list(SCHEDULES), help="learning-rate schedule (default: the architecture's)")
    p.add_argument("--warmup", type=whole, metavar="EPOCHS", help="epochs of linear learning-rate warm-up (default 0)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="vary stroke width, shift, rotate and zoom 30%% of the training images "
                        "(default: on for digit datasets, off for others)")
    p.add_argument("--deslant", action=argparse.BooleanOptionalAction, default=None,
                   help="straighten slanted digits in a first layer of the model, for training and reading "
                        "alike (default: on for digit datasets; greyscale only)")
    p.add_argument("--early-stopping", type=whole, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs, keeping the best weights")
    p.add_argument("--val-split", type=number, metavar="F", help="fraction of training images held out (default 0.1)")
    p.add_argument("--seed", type=whole, metavar="N", help="random seed: same seed, same curves on the CPU (default 0)")
    p.add_argument("--device", metavar="NAME", help="auto (default), all (every GPU at once, mirrored), cpu, gpu, gpu:N")
    p.add_argument("--mixed-precision", nargs="?", const="auto", choices=("auto", "float16", "bfloat16"),
                   help="compute in float16 (GPU) or bfloat16; bare flag: the device's best")
    p.add_argument("--checkpoint", metavar="PATH", help="write the best model so far to PATH (.keras) after each epoch")
    p.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard logs to DIR")
    p.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                   help="default: one device; mirrored: every local GPU (or --devices); multiworker: "
                        "several machines (--workers, --worker-index)")
    p.add_argument("--devices", metavar="D,D", help="mirrored: the devices to train on, e.g. gpu:0,gpu:2")
    p.add_argument("--workers", metavar="HOST:PORT,...",
                   help="multiworker: every worker's address, the same list on every worker")
    p.add_argument("--worker-index", type=whole, metavar="N",
                   help="multiworker: this worker's place in --workers (0 is the chief, which saves)")
    p.add_argument("--worker-timeout", type=number, metavar="SECONDS",
                   help="multiworker: how long to wait for the other workers (default 120)")
    p.add_argument("--scale-lr", action="store_true",
                   help="multiply the learning rate by the number of replicas (the batch is global)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="train on only N images (quick runs)")
    # The window's multi-worker processes: the colour statistics the run standardises with.
    p.add_argument("--input-stats", type=json_list, help=argparse.SUPPRESS)
    p.add_argument("--no-library", dest="library", action="store_false",
                   help="do not save the run in the model library (the window's Models tab; "
                        "folder: $CNN_STUDIO_LIBRARY or the app's data folder)")
    p.add_argument("--json", action="store_true", help="last line of output: one JSON object")
