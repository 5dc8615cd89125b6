"""A multilayer perceptron, the fully connected baseline of the zoo."""

from __future__ import annotations

import keras
from keras import layers, regularizers

from core.models.common import check_form, classifier, model_input


def mlp(input_shape=(28, 28, 1), classes=10, normalization="unit", form="reference", name="mlp"):
    """Builds the MLP of the spec.

    flatten → dense(256, L2 1e-3) → dropout 0.2 → dense(128, L2 1e-3) → dense(classes).
    At 28×28×1 it has 235,146 parameters. It is small already: the compact form is the
    reference form.

    Reference: Rumelhart, Hinton & Williams, "Learning representations by
    back-propagating errors", Nature 1986.
    """
    check_form(form)
    inputs, x = model_input(input_shape, normalization)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", kernel_regularizer=regularizers.L2(1e-3), name="fc1")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    x = layers.Dense(128, activation="relu", kernel_regularizer=regularizers.L2(1e-3), name="fc2")(x)
    return keras.Model(inputs, classifier(x, classes), name=name)
