"""The architecture registry: ids, descriptions and default training settings.

This module does not import TensorFlow; :func:`build_model` imports the factory of the
chosen architecture when it is called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingDefaults:
    """The settings an architecture trains well with on MNIST."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 128
    epochs: int = 3
    schedule: str = "cosine"
    warmup: int = 0


@dataclass(frozen=True)
class ArchInfo:
    """One entry of the zoo.

    Attributes:
        id: lower-case id used on the command line (``"lenet5"``).
        name: name shown to people.
        factory: ``"module:function"`` that builds the Keras model.
        reference_input: input shape of the reference form.
        normalization: ``"unit"`` (pixels scaled to [0, 1]) or ``"symmetric"`` ([-1, 1]),
            as the architecture's source did; the model applies it itself.
        defaults: training settings of the compact form, used when the user picks the
            architecture.
        description: one or two sentences for tooltips and the README.
        options: keyword options its factory takes besides the common ones
            (``batch_norm`` for VGG, ``aux`` and ``inception_version`` for GoogLeNet).
    """

    id: str
    name: str
    factory: str
    reference_input: tuple[int, int, int]
    normalization: str
    defaults: TrainingDefaults
    description: str
    options: tuple[str, ...] = ()


def _arch(id, name, factory, reference_input, description, defaults=None, normalization="unit",
          options=()):
    return ArchInfo(id, name, factory, reference_input, normalization,
                    defaults or TrainingDefaults("adam", 2e-3, 128, 3, "cosine"), description, options)


_VGG_OPTIONS = ("batch_norm",)
_GOOGLENET_OPTIONS = ("aux", "inception_version")

ARCHITECTURES: dict[str, ArchInfo] = {
    info.id: info
    for info in (
        _arch("mlp", "MLP (fully connected)", "core.models.mlp:mlp", (28, 28, 1),
              "Two hidden dense layers (256, 128) with L2 and dropout: the baseline every "
              "CNN should beat.", TrainingDefaults("adam", 1e-3, 128, 10, "constant")),
        # The default digit model. The tutorial's RMSprop 1e-2 stalls at 97-98%. Adam at
        # batch 128, one epoch of warm-up to 6e-3 then cosine decay over 4 epochs, digits
        # deslanted (core.models.deslant), passes 99.0% test accuracy in a median ≈14.6 s
        # here (benchmarks/time_to_accuracy.py) and ends at 99.2-99.4%; 5 epochs ended no
        # better (99.28-99.31%) and passed 99% later.
        _arch("lenet5", "LeNet-5", "core.models.lenet:lenet5", (28, 28, 1),
              "LeCun et al. (1998), modern variant for 28×28: two small convolutions with "
              "pooling, then three dense layers.", TrainingDefaults("adam", 6e-3, 128, 4, "cosine", 1),
              normalization="symmetric"),
        _arch("alexnet", "AlexNet", "core.models.alexnet:alexnet", (227, 227, 1),
              "Krizhevsky et al. (2012): five convolutions, overlapping max-pooling, two "
              "4096-unit dense layers with dropout.", TrainingDefaults("adam", 1e-3, 128, 3, "cosine")),
        _arch("vgg11", "VGG-11 (A)", "core.models.vgg:vgg11", (224, 224, 1),
              "Simonyan & Zisserman (2015), configuration A: 8 convolutions of 3×3 in 5 blocks.",
              options=_VGG_OPTIONS),
        _arch("vgg13", "VGG-13 (B)", "core.models.vgg:vgg13", (224, 224, 1),
              "VGG configuration B: 10 convolutions of 3×3 in 5 blocks.", options=_VGG_OPTIONS),
        _arch("vgg16", "VGG-16 (D)", "core.models.vgg:vgg16", (224, 224, 1),
              "VGG configuration D: 13 convolutions of 3×3 in 5 blocks; 138 million "
              "parameters at 224×224×3.", options=_VGG_OPTIONS),
        _arch("vgg19", "VGG-19 (E)", "core.models.vgg:vgg19", (224, 224, 1),
              "VGG configuration E: 16 convolutions of 3×3 in 5 blocks.", options=_VGG_OPTIONS),
        _arch("vgg16_cifar", "VGG-16 for CIFAR", "core.models.vgg:vgg16_cifar", (32, 32, 3),
              "VGG-16's convolutions with batch norm, L2 and heavy dropout, for 32×32 images."),
        _arch("vgg16_bigconv", "VGG-16 big kernels", "core.models.vgg:vgg16_bigconv", (32, 32, 3),
              "Five single convolutions with 5×5 and 7×7 kernels: the receptive-field experiment."),
        _arch("googlenet", "GoogLeNet", "core.models.googlenet:googlenet", (224, 224, 3),
              "Szegedy et al. (2015): nine Inception modules of parallel 1×1, 3×3, 5×5 and "
              "pooling paths, two auxiliary heads for training.", options=_GOOGLENET_OPTIONS),
        _arch("googlenet_cifar", "GoogLeNet for CIFAR", "core.models.googlenet:googlenet_cifar",
              (32, 32, 3), "GoogLeNet with halved Inception modules and batch norm, for 32×32 "
              "images.", options=("inception_version",)),
        _arch("resnet18", "ResNet-18", "core.models.resnet:resnet18", (224, 224, 1),
              "He et al. (2016): eight basic residual units in four stages; identity "
              "shortcuts let deep networks train."),
        _arch("resnet34", "ResNet-34", "core.models.resnet:resnet34", (224, 224, 1),
              "ResNet with 3, 4, 6, 3 residual units per stage."),
    )
}

#: Input of every compact form (the shipped datasets' shape).
COMPACT_INPUT = (28, 28, 1)

DEFAULT_ARCH = "lenet5"


def get_arch(arch_id: str) -> ArchInfo:
    """Returns the registry entry of ``arch_id``.

    Raises:
        ValueError: when the id is unknown.
    """
    from core.models.networks import is_network

    if is_network(arch_id):
        return network_arch(arch_id)
    try:
        return ARCHITECTURES[arch_id]
    except KeyError:
        raise ValueError(
            f"Unknown architecture. Expected one of {', '.join(ARCHITECTURES)}. "
            f"Received: arch={arch_id!r}"
        ) from None


def network_arch(arch_id: str) -> ArchInfo:
    """The registry entry of a network file (``network:PATH``, see :mod:`core.models.networks`).

    Raises:
        core.models.networks.NetworkError: the file cannot be used.
    """
    from core.models.networks import network_path, network_shape

    path = network_path(arch_id)
    input_shape, classes = network_shape(path)
    return ArchInfo(arch_id, path.stem, "core.models.networks:network_model", input_shape, "unit",
                    TrainingDefaults("adam", 1e-3, 128, 5, "cosine"),
                    f"A network of your own ({path}): {'×'.join(map(str, input_shape))} images, {classes} classes.")


def check_input_shape(input_shape) -> tuple[int, int, int]:
    """Returns ``input_shape`` as a tuple of three positive ints (H, W, C).

    Raises:
        ValueError: when it is not of that form.
    """
    try:
        shape = tuple(int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape must be three positive integers (height, width, channels). "
            f"Received: input_shape={input_shape!r}"
        ) from None
    if len(shape) != 3 or min(shape) < 1 or max(shape) > 4096 or shape[2] > 4:
        raise ValueError(
            "input_shape must be (height, width, channels) with sides from 1 to 4096 and "
            f"1 to 4 channels. Received: input_shape={input_shape!r}"
        )
    return shape


def parse_shape(text: str) -> tuple[int, int, int]:
    """An input shape typed as text: "28x28x1", "28×28" (one channel) or "32,32,3".

    Raises:
        ValueError: when it is not of that form or out of :func:`check_input_shape`'s range.
    """
    try:
        parts = [int(p) for p in str(text).lower().replace("×", "x").replace(",", "x").split("x") if p.strip()]
    except ValueError:
        parts = []
    if len(parts) == 2:
        parts.append(1)
    if len(parts) != 3:
        raise ValueError(f"expected HxWxC such as 28x28x1, got {text!r}")
    return check_input_shape(parts)


def default_input(arch_id: str, form: str = "reference") -> tuple[int, int, int]:
    """The input a form is built for when none is given."""
    return get_arch(arch_id).reference_input if form == "reference" else COMPACT_INPUT


def build_model(arch_id: str, input_shape=None, classes: int = 10, form: str = "reference",
                input_stats=None, deslant: bool = False, **options):
    """Builds a fresh, uncompiled Keras model of the given architecture.

    Args:
        arch_id: a registry id such as ``"lenet5"``.
        input_shape: (height, width, channels); defaults to the form's default input.
            Inputs smaller than the architecture needs are resized inside the model.
        classes: number of output classes, at least 2.
        form: ``"reference"`` (as the paper) or ``"compact"`` (small enough to train on
            a CPU in minutes).
        input_stats: ``[[means…], [stds…]]`` of the training pixels per channel: the model
            standardises its input with them (see :func:`core.models.common.standardize_input`);
            None keeps the architecture's own rescaling.
        deslant: straighten slanted digits first, in a layer of the model (see
            :mod:`core.models.deslant`); greyscale inputs only.
        **options: the architecture's own options (see :attr:`ArchInfo.options`).

    Raises:
        ValueError: for an unknown id, a malformed shape, a bad class count or form, or
            an option the architecture does not take.
    """
    info = get_arch(arch_id)
    if info.factory == "core.models.networks:network_model":
        return _build_network(info, input_shape, classes, input_stats, options)
    if form not in ("reference", "compact"):
        raise ValueError(f"form must be 'reference' or 'compact'. Received: form={form!r}")
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise ValueError(
            f"{arch_id} takes the options {', '.join(info.options) or '(none)'}. "
            f"Received: {', '.join(f'{k}={options[k]!r}' for k in unknown)}"
        )
    shape = check_input_shape(input_shape or default_input(arch_id, form))
    if isinstance(classes, bool) or not isinstance(classes, int) or not 2 <= classes <= 100_000:
        raise ValueError(f"classes must be an integer from 2 to 100000. Received: classes={classes!r}")
    module_name, function_name = info.factory.split(":")
    factory = getattr(importlib.import_module(module_name), function_name)
    from core.models.common import deslanted_inputs

    with deslanted_inputs(deslant):
        model = factory(input_shape=shape, classes=classes, normalization=info.normalization, form=form,
                        **options)
    if input_stats is not None:
        from core.models.common import standardize_input

        standardize_input(model, input_stats)
    return model


def _build_network(info: ArchInfo, input_shape, classes, input_stats, options):
    """A network file's model, which must take ``input_shape`` and give ``classes`` (its own
    layers decide the rest: ``form`` and ``deslant`` do not apply)."""
    from core.models.networks import network_model, network_path

    if options:
        raise ValueError(f"a network file takes no options. Received: {', '.join(f'{k}={v!r}' for k, v in options.items())}")
    if input_shape is not None and check_input_shape(input_shape) != info.reference_input:
        raise ValueError(f"the network {info.name} takes {'×'.join(map(str, info.reference_input))} images. "
                         f"Received: input_shape={tuple(input_shape)!r}")
    model = network_model(network_path(info.id), name=None)
    if int(model.outputs[0].shape[-1]) != classes:
        raise ValueError(f"the network {info.name} gives {int(model.outputs[0].shape[-1])} class scores. "
                         f"Received: classes={classes!r}")
    if input_stats is not None and "rescaling" in {layer.name for layer in model.layers}:
        from core.models.common import standardize_input

        standardize_input(model, input_stats)
    return model


def zoo_network(arch: str, form: str = "compact", input_shape=None, classes: int = 10, **options) -> str:
    """A zoo architecture as an editable network file (see :mod:`core.models.networks`)."""
    from core.models.networks import network_text

    return network_text(build_model(arch, input_shape, classes, form=form, **options))


def inference_model(model):
    """The model without auxiliary heads: its first output only (shares the weights)."""
    import keras

    if len(model.outputs) == 1:
        return model
    return keras.Model(model.inputs, model.outputs[0], name=model.name)
