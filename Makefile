# make run   — build .venv from requirements.txt (when it changed) and open the window
# make test  — build .venv the same way and run the whole test suite headless
# make robustness — only the robustness suite (bad input, faults, long sessions), with its counts
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements.stamp

.PHONY: run test robustness clean

$(STAMP): requirements.txt
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 not found; install it, or run: make PYTHON=/path/to/python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

run: $(STAMP)
	$(BIN)/python main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

robustness: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m robustness -s

clean:
	rm -rf $(VENV) .pytest_cache
