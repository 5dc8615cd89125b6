"""VGG: configurations A, B, D and E, and the two CIFAR-10 variants of the tutorials."""

from __future__ import annotations

import keras
from keras import layers

from core.models.common import batch_norm_layer, check_form, classifier, conv, model_input

#: (convolutions, filters) per block, from Table 1 of the paper.
CONFIGS = {
    "vgg11": ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)),
    "vgg13": ((2, 64), (2, 128), (2, 256), (2, 512), (2, 512)),
    "vgg16": ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)),
    "vgg19": ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512)),
}
REFERENCE_SIDE = 224
COMPACT_DIVISOR = 8
#: The CIFAR variants' compact forms keep a quarter of the filters and half the dropout:
#: dropout of 0.3-0.5 after convolutions of 8 or 16 filters left VGG-16 "big kernels" at
#: 79% MNIST test accuracy after three epochs.
CIFAR_COMPACT_DIVISOR = 4
CIFAR_COMPACT_DROPOUT_SCALE = 0.5
WEIGHT_DECAY = 5e-4


def _check_config(config: str) -> None:
    if config not in CONFIGS:
        raise ValueError(f"config must be one of {', '.join(CONFIGS)}. Received: config={config!r}")


def vgg(config="vgg16", input_shape=(224, 224, 1), classes=10, normalization="unit",
        form="reference", batch_norm=None, name=None):
    """Builds VGG-11, -13, -16 or -19 (configurations A, B, D, E).

    Reference: blocks of 3×3 'same' convolutions, each block ending in maxpool(2, 2), then
    dense(4096) → dropout 0.5 → dense(4096) → dropout 0.5 → dense(classes). Inputs
    smaller than 32×32 are resized with padding to 224×224. At 224×224×3 with 1000
    classes VGG-16 has 138,357,544 parameters, as in the paper. ``batch_norm`` adds batch
    normalisation after every convolution (the "-BN" variants).

    Compact (28×28 or 32×32): the same blocks and depth, with an eighth of the filters
    (8 to 64), 'same' pooling so that five poolings fit a 28×28 input, dense layers of
    128, and batch normalisation on by default, so that the deep plain stack trains in
    three epochs. About 1/1000 of the compute of the reference at 224×224.

    Reference: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale
    Image Recognition", ICLR 2015.
    """
    _check_config(config)
    compact = check_form(form) == "compact"
    batch_norm = compact if batch_norm is None else bool(batch_norm)
    if compact:
        inputs, x = model_input(input_shape, normalization, min_size=8)
        dense, divisor, pool_padding = 128, COMPACT_DIVISOR, "same"
    else:
        inputs, x = model_input(input_shape, normalization, min_size=32, resize_to=REFERENCE_SIDE)
        dense, divisor, pool_padding = 4096, 1, "valid"
    for b, (convs, filters) in enumerate(CONFIGS[config], start=1):
        for c in range(1, convs + 1):
            x = conv(x, filters // divisor, 3, f"block{b}_conv{c}", batch_norm=batch_norm)
        x = layers.MaxPooling2D(2, 2, padding=pool_padding, name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="fc1_dropout")(x)
    x = layers.Dense(dense, activation="relu", name="fc2")(x)
    x = layers.Dropout(0.5, name="fc2_dropout")(x)
    suffix = "_bn" if batch_norm else ""
    return keras.Model(inputs, classifier(x, classes), name=name or f"{config}{suffix}")


def _factory(config):
    def build(input_shape=(224, 224, 1), classes=10, normalization="unit", form="reference",
              batch_norm=None, name=None):
        return vgg(config, input_shape, classes, normalization, form, batch_norm, name)

    build.__name__ = config
    build.__doc__ = f"Builds {config.upper()}; see :func:`vgg`."
    return build


vgg11, vgg13, vgg16, vgg19 = (_factory(c) for c in ("vgg11", "vgg13", "vgg16", "vgg19"))


def _cifar_scales(compact: bool) -> tuple[int, float]:
    """(filter divisor, dropout scale) of the CIFAR variants in the given form."""
    return (CIFAR_COMPACT_DIVISOR, CIFAR_COMPACT_DROPOUT_SCALE) if compact else (1, 1.0)


def vgg16_cifar(input_shape=(32, 32, 3), classes=10, normalization="unit", form="reference",
                name="vgg16_cifar"):
    """Builds the regularised VGG-16 of the CIFAR-10 tutorials.

    Reference: the 13 convolutions of VGG-16, each conv(no activation, L2 5e-4) → bn →
    ReLU, dropout 0.3 after the first and 0.4 after every other convolution not followed
    by pooling; maxpool(2, 2) after convolutions 2, 4, 7, 10, 13; dropout 0.5 → flatten →
    dense(512, L2) → bn → ReLU → dropout 0.5 → dense(classes). Reference input 32×32×3.

    Compact: a quarter of the filters (16 to 128), half the dropout rates, 'same'
    pooling so that a 28×28 input survives five poolings, dense(128). Everything else as
    the reference.
    """
    compact = check_form(form) == "compact"
    divisor, drop = _cifar_scales(compact)
    inputs, x = model_input(input_shape, normalization, min_size=32 if not compact else 8)
    pool_after = {2, 4, 7, 10, 13}
    index = 0
    for b, (convs, filters) in enumerate(CONFIGS["vgg16"], start=1):
        for c in range(1, convs + 1):
            index += 1
            x = conv(x, filters // divisor, 3, f"block{b}_conv{c}", batch_norm=True, weight_decay=WEIGHT_DECAY)
            if index not in pool_after:
                x = layers.Dropout(drop * (0.3 if index == 1 else 0.4), name=f"block{b}_conv{c}_dropout")(x)
        x = layers.MaxPooling2D(2, 2, padding="same" if compact else "valid", name=f"block{b}_pool")(x)
    x = layers.Dropout(drop * 0.5, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(512 // divisor, kernel_regularizer=keras.regularizers.L2(WEIGHT_DECAY), name="fc1")(x)
    x = batch_norm_layer("fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(drop * 0.5, name="fc1_dropout")(x)
    return keras.Model(inputs, classifier(x, classes), name=name)


def vgg16_bigconv(input_shape=(32, 32, 3), classes=10, normalization="unit", form="reference",
                  name="vgg16_bigconv"):
    """Builds the "big kernels" VGG-16 of the receptive-field experiment.

    Reference: five single-convolution blocks with kernels 5, 5, 7, 7, 7 and filters 64,
    128, 256, 512, 512; each conv(no activation, L2 5e-4) → bn → ReLU → dropout (0.3 in
    the first block, 0.4 after) → maxpool(2, 2); then dropout 0.5 → flatten → dense(512)
    → bn → ReLU → dropout 0.5 → dense(classes). Reference input 32×32×3.

    Compact: a quarter of the filters (16 to 128), no dropout after the convolutions and
    half the dense dropout, 'same' pooling for 28×28 inputs, and dense(128). (With the
    convolutions' dropout, even halved, it reached only 97.5% on MNIST in three epochs.)
    """
    compact = check_form(form) == "compact"
    divisor, drop = _cifar_scales(compact)
    conv_drop = 0.0 if compact else 1.0
    inputs, x = model_input(input_shape, normalization, min_size=32 if not compact else 8)
    for b, (kernel, filters) in enumerate(zip((5, 5, 7, 7, 7), (64, 128, 256, 512, 512)), start=1):
        x = conv(x, filters // divisor, kernel, f"block{b}_conv1", batch_norm=True, weight_decay=WEIGHT_DECAY)
        if conv_drop:
            x = layers.Dropout(0.3 if b == 1 else 0.4, name=f"block{b}_dropout")(x)
        x = layers.MaxPooling2D(2, 2, padding="same" if compact else "valid", name=f"block{b}_pool")(x)
    x = layers.Dropout(drop * 0.5, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(512 // divisor, name="fc1")(x)
    x = batch_norm_layer("fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(drop * 0.5, name="fc1_dropout")(x)
    return keras.Model(inputs, classifier(x, classes), name=name)
