"""AlexNet."""

from __future__ import annotations

import keras
from keras import layers

from core.models.common import check_form, classifier, conv, model_input

REFERENCE_SIDE = 227


def alexnet(input_shape=(227, 227, 1), classes=10, normalization="unit", form="reference",
            name="alexnet"):
    """Builds AlexNet.

    Reference: conv(96, 11, s=4, valid) → maxpool(3, 2) → conv(256, 5) → maxpool(3, 2) →
    conv(384, 3) → conv(384, 3) → conv(256, 3) → maxpool(3, 2) → dense(4096) → dropout →
    dense(4096) → dropout → dense(classes); smaller inputs (MNIST) are resized with padding
    to 227×227. At 227×227×1 with 10 classes: 58,299,082 parameters.

    Compact (28×28 or 32×32 inputs): the same five convolutions and three overlapping
    max-pools, but 5×5 then 3×3 kernels at stride 1 (an 11×11 stride-4 kernel would leave
    nothing of a 28×28 digit), widths 32-64-96-96-64 instead of 96-256-384-384-256, and
    dense layers of 256 instead of 4096: about 1% of the compute, so that an epoch of
    MNIST takes well under 2 minutes on 2 CPU cores.

    Reference: Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep
    Convolutional Neural Networks", NeurIPS 2012.
    """
    if check_form(form) == "reference":
        inputs, x = model_input(input_shape, normalization, min_size=67, resize_to=REFERENCE_SIDE)
        widths, kernels, strides, dense = (96, 256, 384, 384, 256), (11, 5, 3, 3, 3), 4, 4096
    else:
        inputs, x = model_input(input_shape, normalization, min_size=20)
        widths, kernels, strides, dense = (32, 64, 96, 96, 64), (5, 3, 3, 3, 3), 1, 256
    x = conv(x, widths[0], kernels[0], "block1_conv1", strides=strides,
             padding="valid" if form == "reference" else "same")
    x = layers.MaxPooling2D(3, 2, name="block1_pool")(x)
    x = conv(x, widths[1], kernels[1], "block2_conv1")
    x = layers.MaxPooling2D(3, 2, name="block2_pool")(x)
    x = conv(x, widths[2], kernels[2], "block3_conv1")
    x = conv(x, widths[3], kernels[3], "block3_conv2")
    x = conv(x, widths[4], kernels[4], "block3_conv3")
    x = layers.MaxPooling2D(3, 2, name="block3_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="fc1_dropout")(x)
    x = layers.Dense(dense, activation="relu", name="fc2")(x)
    x = layers.Dropout(0.5, name="fc2_dropout")(x)
    return keras.Model(inputs, classifier(x, classes), name=name)
