# make run   — build .venv from requirements.lock (when it changed) and open the window
# make test  — the same, plus requirements-dev.lock, then the whole test suite headless
# make robustness — only the robustness suite (bad input, faults, long sessions), with its counts
# make desktop — the freedesktop menu entry and icon, for a `pipx install .`ed cnn-studio
# make lock  — regenerate both lock files (exact versions and hashes) from requirements*.txt
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements.stamp
DEV_STAMP := $(VENV)/.requirements-dev.stamp
PIP := $(BIN)/python -m pip install --disable-pip-version-check --require-hashes --no-deps
COMPILE := pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test robustness lock clean desktop

$(STAMP): requirements.lock
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 not found; install it, or run: make PYTHON=/path/to/python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(BIN)/python -m pip check
	touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PIP) -r requirements-dev.lock
	$(BIN)/python -m pip check
	touch $@

run: $(STAMP)
	@$(BIN)/python main.py || { status=$$?; if [ $$status -ge 128 ]; then \
	  echo "The window stopped (status $$status). If Qt said it could not load the platform plugin \"xcb\", install Qt's X11 libraries:"; \
	  echo "  sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libegl1"; \
	  echo "(Fedora: sudo dnf install xcb-util-cursor). See README, Requirements."; fi; exit $$status; }

test: $(DEV_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

robustness: $(DEV_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m robustness -s -n 0

# pip-tools runs in a throw-away environment of its own; the runtime lock comes first,
# since the dev lock is made within its versions.
lock:
	$(PYTHON) -m venv /tmp/cnn-studio-pip-tools
	/tmp/cnn-studio-pip-tools/bin/python -m pip install --quiet pip-tools
	/tmp/cnn-studio-pip-tools/bin/$(COMPILE) -o requirements.lock requirements.txt
	/tmp/cnn-studio-pip-tools/bin/$(COMPILE) -o requirements-dev.lock requirements-dev.txt

# After `pipx install .` (which puts `cnn-studio` on the PATH): the menu entry and its icon.
desktop:
	install -D -m 644 resources/cnn-studio.desktop $(HOME)/.local/share/applications/cnn-studio.desktop
	install -D -m 644 resources/icons/cnn-studio.svg $(HOME)/.local/share/icons/hicolor/scalable/apps/cnn-studio.svg

clean:
	rm -rf $(VENV) .pytest_cache
