"""Every place the application reads or writes, and the environment variables that move
them (the tests use those, so that nothing of the user's is touched)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The project's bundled files: the datasets (MNIST) and the bundled model.
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
APP_NAME = ORGANIZATION_NAME = "CNN Studio"
#: Moves the model library (see :func:`library_dir`).
LIBRARY_ENV = "CNN_STUDIO_LIBRARY"
#: Moves My digits (see :func:`my_digits_dir`).
MY_DIGITS_ENV = "CNN_STUDIO_MY_DIGITS"
#: Moves My networks (see :func:`my_networks_dir`).
NETWORKS_ENV = "CNN_STUDIO_NETWORKS"
#: Moves the list of image folders added to the dataset list (see :func:`image_folders_file`).
FOLDERS_ENV = "CNN_STUDIO_IMAGE_FOLDERS"


def app_data_dir() -> Path:
    """The application's data directory, as ``QStandardPaths.AppDataLocation`` gives it
    for an application and organisation both named "CNN Studio"."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / ORGANIZATION_NAME / APP_NAME


def library_dir(app_data: str | os.PathLike | None = None) -> Path:
    """The library folder: ``$CNN_STUDIO_LIBRARY`` when set, else ``library`` in
    ``app_data`` (default :func:`app_data_dir`)."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return Path(override).expanduser()
    return Path(app_data or app_data_dir()) / "library"


def my_digits_dir() -> Path:
    """``$CNN_STUDIO_MY_DIGITS``, or ``My digits`` in the application's data directory."""
    override = os.environ.get(MY_DIGITS_ENV)
    return Path(override).expanduser() if override else app_data_dir() / "My digits"


def my_networks_dir() -> Path:
    """``$CNN_STUDIO_NETWORKS``, or ``My networks`` in the application's data directory."""
    override = os.environ.get(NETWORKS_ENV)
    return Path(override).expanduser() if override else app_data_dir() / "My networks"


def image_folders_file() -> Path:
    """Where the window remembers the image folders added to its dataset list:
    ``$CNN_STUDIO_IMAGE_FOLDERS``, or ``image-folders.txt`` in the application's data folder."""
    override = os.environ.get(FOLDERS_ENV)
    return Path(override).expanduser() if override else app_data_dir() / "image-folders.txt"


def keras_home() -> Path:
    """Keras's own folder: ``$KERAS_HOME``, by default ``~/.keras``."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def keras_datasets_dir() -> Path:
    """Keras's download cache: ``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``."""
    return keras_home() / "datasets"
