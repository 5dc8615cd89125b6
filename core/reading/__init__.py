"""Reading images with a model: drawings prepared MNIST-style, photos at the model's size,
image files, and fast single-image prediction."""
