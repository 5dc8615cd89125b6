"""The datasets: the catalogue and the built-in sets, folders of images (read whole or
streamed), My digits, the one download, and augmentation."""
