"""The Qt window. The only package that imports Qt; TensorFlow work runs in workers."""
