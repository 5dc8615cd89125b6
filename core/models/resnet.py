"""ResNet-18 and ResNet-34 with basic residual units."""

from __future__ import annotations

import keras
from keras import layers

from core.models.common import batch_norm_layer, check_form, classifier, model_input

STAGES = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}
WIDTHS = (64, 128, 256, 512)
COMPACT_WIDTHS = (8, 16, 32, 64)
REFERENCE_SIDE = 224


def residual_unit(x, filters: int, strides: int, name: str):
    """conv(3, s) → bn → ReLU → conv(3) → bn, plus the input (or a 1×1 projection)."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, name=f"{name}_proj")(x)
    y = layers.Conv2D(filters, 3, strides=strides, padding="same", name=f"{name}_conv1")(x)
    y = batch_norm_layer(f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    y = batch_norm_layer(f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def resnet(depth="resnet18", input_shape=(224, 224, 1), classes=10, normalization="unit",
           form="reference", name=None):
    """Builds ResNet-18 or ResNet-34.

    Reference (ImageNet stem): conv(64, 7, s=2) → bn → ReLU → maxpool(3, 2, same); four
    stages of basic units with 64, 128, 256, 512 filters (2, 2, 2, 2 units for ResNet-18,
    3, 4, 6, 3 for ResNet-34), the first unit of stages 2-4 with stride 2 and a 1×1
    projection shortcut without bn; global average pool → dense(classes). Inputs smaller
    than 32×32 are resized with padding to 224×224. Convolutions keep their biases, as in
    the tutorials, so the counts differ from torchvision's (no biases, bn on projections).

    Compact: the spec's 28×28 variant (CIFAR-style stem conv(3, s=1, valid) → bn → ReLU →
    maxpool(2, 1, same)) with an eighth of the filters (8, 16, 32, 64): the full-width
    network needs about 60 times the compute, over an hour an epoch here.

    Reference: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition",
    CVPR 2016.
    """
    if depth not in STAGES:
        raise ValueError(f"depth must be one of {', '.join(STAGES)}. Received: depth={depth!r}")
    compact = check_form(form) == "compact"
    if compact:
        widths = COMPACT_WIDTHS
        inputs, x = model_input(input_shape, normalization, min_size=8)
        x = layers.Conv2D(widths[0], 3, padding="valid", name="stem_conv")(x)
        x = batch_norm_layer("stem_bn")(x)
        x = layers.Activation("relu", name="stem_relu")(x)
        x = layers.MaxPooling2D(2, 1, padding="same", name="stem_pool")(x)
    else:
        widths = WIDTHS
        inputs, x = model_input(input_shape, normalization, min_size=32, resize_to=REFERENCE_SIDE)
        x = layers.Conv2D(widths[0], 7, strides=2, padding="same", name="stem_conv")(x)
        x = batch_norm_layer("stem_bn")(x)
        x = layers.Activation("relu", name="stem_relu")(x)
        x = layers.MaxPooling2D(3, 2, padding="same", name="stem_pool")(x)
    for s, (units, filters) in enumerate(zip(STAGES[depth], widths), start=1):
        for u in range(1, units + 1):
            strides = 2 if s > 1 and u == 1 else 1
            x = residual_unit(x, filters, strides, f"stage{s}_unit{u}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, classifier(x, classes), name=name or depth)


def resnet18(input_shape=(224, 224, 1), classes=10, normalization="unit", form="reference", name=None):
    """Builds ResNet-18; see :func:`resnet`."""
    return resnet("resnet18", input_shape, classes, normalization, form, name)


def resnet34(input_shape=(224, 224, 1), classes=10, normalization="unit", form="reference", name=None):
    """Builds ResNet-34; see :func:`resnet`."""
    return resnet("resnet34", input_shape, classes, normalization, form, name)
