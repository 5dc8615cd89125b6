"""Where TensorFlow runs: the device, quiet start-up, and distribution strategies."""
