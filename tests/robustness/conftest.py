"""The robustness suite (issue "Robust under bad input, faults and long sessions").

Every test here is marked ``robustness``: ``make robustness`` (or
``pytest -m robustness``) runs the suite on its own; the full suite includes it. The
tests that count what they tried print it (``pytest -m robustness -s`` shows it).
"""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/robustness/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.robustness)


from tests.gui.conftest import window  # noqa: E402,F401  (the main window, TensorFlow loaded)
