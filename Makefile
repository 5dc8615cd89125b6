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
	@$(BIN)/python main.py || { status=$$?; if [ $$status -ge 128 ]; then \
	  echo "The window stopped (status $$status). If Qt said it could not load the platform plugin \"xcb\", install Qt's X11 libraries:"; \
	  echo "  sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libegl1"; \
	  echo "(Fedora: sudo dnf install xcb-util-cursor). See README, Requirements."; fi; exit $$status; }

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

robustness: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m robustness -s

clean:
	rm -rf $(VENV) .pytest_cache
