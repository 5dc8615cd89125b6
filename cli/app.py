"""The command line's parser and its commands (``main.py`` is the entry that also opens
the window)."""

from __future__ import annotations

import argparse
import os

from cli.options import add_model_options, add_train_options, dataset_arg, parse_shape_arg, positive_int


def build_parser() -> argparse.ArgumentParser:
    from core.data.datasets import DATASETS
    from core.inspect.heatmaps import METHODS
    from core.models.registry import ARCHITECTURES

    parser = argparse.ArgumentParser(
        prog="main.py", description="CNN Studio: train, read and try image classifiers.",
        epilog="Without a command, the window opens.",
    )
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's own start-up messages (also: CNN_STUDIO_VERBOSE=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("summary", help="print the layer summary of an architecture or a network file")
    p.add_argument("arch", choices=list(ARCHITECTURES), metavar="ARCH", nargs="?",
                   help=f"one of: {', '.join(ARCHITECTURES)} (or --network PATH)")
    p.add_argument("--network", metavar="PATH", help="a network file (Keras JSON, see main.py network) instead of ARCH")
    p.add_argument("--input", type=parse_shape_arg, metavar="HxWxC",
                   help="input shape (default: the reference input, or 28x28x1 for the compact form)")
    p.add_argument("--classes", type=positive_int, default=None, metavar="N", help="number of classes (default 10)")
    add_model_options(p, default_form="reference")
    p.add_argument("--aux", action="store_true", help="GoogLeNet: include the auxiliary heads")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("network", help="write an architecture of the zoo as a network file to edit (Keras JSON)")
    p.add_argument("arch", choices=list(ARCHITECTURES), metavar="ARCH", help=f"one of: {', '.join(ARCHITECTURES)}")
    p.add_argument("--input", type=parse_shape_arg, metavar="HxWxC",
                   help="input shape (default: 28x28x1 for the compact form, the paper's for the reference)")
    p.add_argument("--classes", type=positive_int, default=10, metavar="N", help="number of classes (default 10)")
    add_model_options(p, default_form="compact")
    p.add_argument("--out", metavar="PATH", help="write it to PATH (default: print it)")

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

    p = sub.add_parser("explain", help="show where a trained model looks in an image: a heat map")
    p.add_argument("--model", required=True, metavar="PATH", help="a .keras model file")
    p.add_argument("image", metavar="IMAGE", help="a PNG/JPEG file: a digit (for a digit model) or a photo")
    p.add_argument("--method", choices=list(METHODS), default="gradcam",
                   help="saliency (the gradient, smoothed), gradcam (the last convolution's maps weighed "
                        "by their gradient) or occlusion (a grey patch slid over the image); default gradcam")
    p.add_argument("--layer", metavar="NAME", help="gradcam: the layer to weigh (default: the last convolution)")
    p.add_argument("--out", metavar="HEAT.png", help="write the image with the heat map over it (PNG)")
    p.add_argument("--json", action="store_true", help="print one JSON object (the heat map's size and where "
                                                        "its mass lies)")

    p = sub.add_parser("lrfind", help="find a learning rate: a short run with the rate rising from tiny to "
                                      "large (the range test), and the rate it suggests")
    add_train_options(p)
    p.add_argument("--steps", type=positive_int, default=200, metavar="N", help="steps of the test (default 200)")
    p.add_argument("--start-lr", type=float, default=1e-6, metavar="X", help="the first rate (default 1e-6)")
    p.add_argument("--end-lr", type=float, default=1.0, metavar="X", help="the last rate (default 1)")
    return parser


def run_command(argv: list[str]) -> int | None:
    """Runs the command ``argv`` names and returns its exit status; None when it names no
    command (the window opens then)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    if args.verbose:
        from core.runtime.device import VERBOSE_ENV

        os.environ[VERBOSE_ENV] = "1"
    if args.command is None:
        return None
    from cli.commands import cmd_evaluate, cmd_network, cmd_predict, cmd_summary
    from cli.inspect import cmd_explain, cmd_lrfind
    from cli.train import cmd_sweep, cmd_train

    command = {"summary": cmd_summary, "train": cmd_train, "sweep": cmd_sweep, "predict": cmd_predict,
               "evaluate": cmd_evaluate, "network": cmd_network, "explain": cmd_explain, "lrfind": cmd_lrfind}[args.command]
    return command(args)
