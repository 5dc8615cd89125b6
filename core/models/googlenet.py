"""GoogLeNet (Inception v1), with v2 and v3 block options and the CIFAR-10 variant."""

from __future__ import annotations

import keras
from keras import layers

from core.models.common import batch_norm_layer, check_form, classifier, conv, model_input

#: (name, c1, (c2a, c2b), (c3a, c3b), c4), from Table 1 of the paper; None marks a pooling.
BLOCKS = (
    ("inception3a", 64, (96, 128), (16, 32), 32),
    ("inception3b", 128, (128, 192), (32, 96), 64),
    None,
    ("inception4a", 192, (96, 208), (16, 48), 64),
    ("inception4b", 160, (112, 224), (24, 64), 64),
    ("inception4c", 128, (128, 256), (24, 64), 64),
    ("inception4d", 112, (144, 288), (32, 64), 64),
    ("inception4e", 256, (160, 320), (32, 128), 128),
    None,
    ("inception5a", 256, (160, 320), (32, 128), 128),
    ("inception5b", 384, (192, 384), (48, 128), 128),
)
AUX_AFTER = {"inception4a": "aux1", "inception4d": "aux2"}
VERSIONS = ("v1", "v2", "v3")
REFERENCE_SIDE = 224
AUX_LOSS_WEIGHT = 0.3


def _conv_nxn(x, filters, n, name, version, batch_norm):
    """An n×n convolution, factorised into 1×n then n×1 in Inception v3."""
    if version == "v3" and n > 1:
        x = conv(x, filters, (1, n), f"{name}_1x{n}", batch_norm=batch_norm)
        return conv(x, filters, (n, 1), f"{name}_{n}x1", batch_norm=batch_norm)
    return conv(x, filters, n, name, batch_norm=batch_norm)


def inception(x, c1, c2, c3, c4, name, version="v1", batch_norm=False):
    """Inception module: four parallel paths concatenated on the channel axis.

    1×1; 1×1 → 3×3; 1×1 → 5×5 (two 3×3 in v2 and v3); maxpool(3, 1) → 1×1. In v3 every
    3×3 is factorised into 1×3 then 3×1.
    """
    p1 = conv(x, c1, 1, f"{name}_1x1", batch_norm=batch_norm)
    p2 = conv(x, c2[0], 1, f"{name}_3x3_reduce", batch_norm=batch_norm)
    p2 = _conv_nxn(p2, c2[1], 3, f"{name}_3x3", version, batch_norm)
    p3 = conv(x, c3[0], 1, f"{name}_5x5_reduce", batch_norm=batch_norm)
    if version == "v1":
        p3 = conv(p3, c3[1], 5, f"{name}_5x5", batch_norm=batch_norm)
    else:
        p3 = _conv_nxn(p3, c3[1], 3, f"{name}_5x5_a", version, batch_norm)
        p3 = _conv_nxn(p3, c3[1], 3, f"{name}_5x5_b", version, batch_norm)
    p4 = layers.MaxPooling2D(3, 1, padding="same", name=f"{name}_pool")(x)
    p4 = conv(p4, c4, 1, f"{name}_pool_proj", batch_norm=batch_norm)
    return layers.Concatenate(name=f"{name}_concat")([p1, p2, p3, p4])


def aux_head(x, classes, name, conv_filters=128, dense=1024):
    """avgpool(5, 3, same) → conv(1×1) → flatten → dense → dense(classes)."""
    x = layers.AveragePooling2D(5, 3, padding="same", name=f"{name}_pool")(x)
    x = conv(x, conv_filters, 1, f"{name}_conv", padding="valid")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = layers.Dense(dense, activation="relu", name=f"{name}_fc")(x)
    return classifier(x, classes, name=f"{name}_predictions")


def inception_stack(x, divisor, version, batch_norm=False, after_block=None):
    """Modules 3a to 5b with their two poolings, channels divided by ``divisor``.

    ``after_block(x, name)``, when given, is called after each module (auxiliary heads).
    """
    pools = iter(("pool3", "pool4"))
    for block in BLOCKS:
        if block is None:
            x = layers.MaxPooling2D(3, 2, padding="same", name=next(pools))(x)
            continue
        block_name, c1, c2, c3, c4 = _scaled(block, divisor)
        x = inception(x, c1, c2, c3, c4, block_name, version, batch_norm=batch_norm)
        if after_block:
            after_block(x, block_name)
    return x


def _scaled(block, divisor):
    name, c1, c2, c3, c4 = block
    d = divisor
    return name, c1 // d, (c2[0] // d, c2[1] // d), (max(1, c3[0] // d), c3[1] // d), c4 // d


def _check(version):
    if version not in VERSIONS:
        raise ValueError(f"inception must be one of {', '.join(VERSIONS)}. Received: inception={version!r}")


def googlenet(input_shape=(224, 224, 3), classes=10, normalization="unit", form="reference",
              aux=False, inception_version="v1", name="googlenet"):
    """Builds GoogLeNet (Inception v1).

    Reference: conv(64, 7, s=2) → maxpool(3, 2) → conv(64, 1) → conv(192, 3) → maxpool →
    inception 3a, 3b → maxpool → 4a-4e → maxpool → 5a, 5b → global average pool →
    dense(classes), every pooling (3, 2, same). Inputs smaller than 32×32 are resized with
    padding to 224×224. With ``aux``, the model has three outputs: the main one and the
    auxiliary heads after 4a and 4d (avgpool(5, 3) → conv(128, 1) → dense(1024) →
    dense(classes)), trained with loss weights 1, 0.3, 0.3; inference drops them.
    ``inception_version`` "v2" replaces each 5×5 path by two 3×3, "v3" also factorises
    every 3×3 into 1×3 then 3×1.

    Compact (28×28, 32×32): a 3×3 stride-1 stem of 16 and 48 filters without its second
    pooling, and an eighth of the channels in every Inception module and auxiliary head,
    so that the nine modules fit a 28×28 digit and an epoch of MNIST fits the 2-minute
    budget on 2 CPU cores.

    Reference: Szegedy et al., "Going Deeper with Convolutions", CVPR 2015; v2/v3:
    Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016.
    """
    _check(inception_version)
    compact = check_form(form) == "compact"
    if compact:
        inputs, x = model_input(input_shape, normalization, min_size=8)
        x = conv(x, 16, 3, "conv1")
        x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
        x = conv(x, 16, 1, "conv2_reduce")
        x = conv(x, 48, 3, "conv2")
        divisor, aux_conv, aux_dense = 8, 16, 128
    else:
        inputs, x = model_input(input_shape, normalization, min_size=32, resize_to=REFERENCE_SIDE)
        x = conv(x, 64, 7, "conv1", strides=2)
        x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
        x = conv(x, 64, 1, "conv2_reduce")
        x = conv(x, 192, 3, "conv2")
        x = layers.MaxPooling2D(3, 2, padding="same", name="pool2")(x)
        divisor, aux_conv, aux_dense = 1, 128, 1024
    outputs_aux = []

    def after_block(x, block_name):
        if aux and block_name in AUX_AFTER:
            outputs_aux.append(aux_head(x, classes, AUX_AFTER[block_name], aux_conv, aux_dense))

    x = inception_stack(x, divisor, inception_version, after_block=after_block)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    main = classifier(x, classes)
    return keras.Model(inputs, [main, *outputs_aux] if aux else main, name=name)


def googlenet_cifar(input_shape=(32, 32, 3), classes=10, normalization="unit", form="reference",
                    aux=False, inception_version="v1", name="googlenet_cifar"):
    """Builds the halved GoogLeNet with batch normalisation of the CIFAR-10 tutorials.

    Reference: conv(64, 3) → bn → maxpool(3, 2, same) → conv(96, 5) → bn → maxpool(3, 2,
    same); the nine Inception modules with every channel count halved and bn after each
    convolution, maxpool(3, 2, same) after 3b and after 4e; global max pool → dense(512)
    → bn → dropout 0.5 → dense(classes). Reference input 32×32×3. It has no auxiliary
    heads (``aux`` is accepted for a uniform signature and must be False).

    Compact: an eighth of GoogLeNet's channels instead of half, a stem of 16 and 24
    filters, and dense(128).
    """
    _check(inception_version)
    if aux:
        raise ValueError("googlenet_cifar has no auxiliary heads. Received: aux=True")
    compact = check_form(form) == "compact"
    divisor, stem, dense = (8, (16, 24), 128) if compact else (2, (64, 96), 512)
    inputs, x = model_input(input_shape, normalization, min_size=8)
    x = conv(x, stem[0], 3, "conv1", batch_norm=True)
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
    x = conv(x, stem[1], 5, "conv2", batch_norm=True)
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool2")(x)
    x = inception_stack(x, divisor, inception_version, batch_norm=True)
    x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    x = layers.Dense(dense, name="fc1")(x)
    x = batch_norm_layer("fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(0.5, name="fc1_dropout")(x)
    return keras.Model(inputs, classifier(x, classes), name=name)
