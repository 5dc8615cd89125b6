"""LeNet-5."""

from __future__ import annotations

import keras
from keras import layers

from core.models.common import check_form, classifier, model_input


def lenet5(input_shape=(28, 28, 1), classes=10, normalization="symmetric", form="reference",
           name="lenet5"):
    """Builds LeNet-5 in the modern variant for 28×28 inputs.

    conv(6, 3, valid, linear) → maxpool(2, 2) → ReLU → conv(16, 3, valid, linear) →
    maxpool(3, 1) → ReLU → flatten → dense(120) → dense(84) → dense(classes).
    At 28×28×1 it has 167,594 parameters. Inputs smaller than 12×12 are resized up. It is
    small already: the compact form is the reference form.

    Reference: LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to
    document recognition", Proc. IEEE 1998.
    """
    check_form(form)
    inputs, x = model_input(input_shape, normalization, min_size=12)
    x = layers.Conv2D(6, 3, padding="valid", name="block1_conv1")(x)
    x = layers.MaxPooling2D(2, 2, name="block1_pool")(x)
    x = layers.ReLU(name="block1_relu")(x)
    x = layers.Conv2D(16, 3, padding="valid", name="block2_conv1")(x)
    x = layers.MaxPooling2D(3, 1, name="block2_pool")(x)
    x = layers.ReLU(name="block2_relu")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="relu", name="fc1")(x)
    x = layers.Dense(84, activation="relu", name="fc2")(x)
    return keras.Model(inputs, classifier(x, classes), name=name)
