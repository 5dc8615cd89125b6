"""Keras factories of the architecture zoo, one module per family.

Every factory has the signature ``f(input_shape, classes, normalization, name)`` and
returns an uncompiled functional model whose input is raw pixel values in [0, 255] and
whose output is a softmax over ``classes``.
"""
