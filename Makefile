# Two commands set everything up on a fresh Debian machine: `make run` and `make test`.
# Each step leaves a stamp in .stamps/ so a second run installs nothing again.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
export QT_QPA_FONTDIR ?=

.PHONY: run run-xvfb backoffice test test-fast lint check-layers pytest bench fuzz package setup translations clean help

help:
	@echo "make run    install what is missing, then start the kiosk (demo mode without reader/camera)"
	@echo "make test   install what is missing, then run every check"
	@echo "make test-fast  the unit tests only (no pcscd, window or browser): the inner loop"
	@echo "make bench  run the benchmarks (JSON in bench/results/)"
	@echo "make backoffice  the city's back office on a local PostgreSQL (docs/backoffice.md)"

setup: $(STAMPS)/system $(STAMPS)/venv $(STAMPS)/faces translations

$(STAMPS)/system: packaging/debian-packages.txt packaging/install-system-deps.sh
	@mkdir -p $(STAMPS)
	@packaging/install-system-deps.sh
	@touch $@

# Pinned with hashes (packaging/lock.sh writes packaging/lock/*.txt from pyproject.toml).
$(STAMPS)/venv: pyproject.toml packaging/lock/dev.txt packaging/lock/no-deps.txt $(STAMPS)/system
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) ..." >&2
	@$(BIN)/python -m pip install -q --require-hashes -r packaging/lock/dev.txt
	@# face_recognition with its dependencies would compile dlib for 10 minutes; dlib-bin is already there.
	@$(BIN)/python -m pip install -q --require-hashes --no-deps -r packaging/lock/no-deps.txt
	@# The project itself: its dependencies are all in the lock above.
	@$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

$(STAMPS)/faces: packaging/fetch_faces.py $(STAMPS)/venv
	@$(BIN)/python packaging/fetch_faces.py
	@touch $@

translations: $(STAMPS)/venv
	@$(BIN)/python -m kiosk.ui.i18n_build

run: setup
	@$(BIN)/kiosk run $(ARGS)

# The back office: PostgreSQL cluster in .backoffice/, migrations, a demo kiosk, the service.
backoffice: setup
	@$(BIN)/python -m backoffice up $(ARGS)

# The kiosk on a virtual 1080p display, for machines without a screen.
run-xvfb: setup
	@xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/kiosk run $(ARGS)

lint: setup
	$(BIN)/ruff check kiosk backoffice tests bench packaging
	$(BIN)/ruff format --check kiosk backoffice tests bench packaging
	$(BIN)/mypy

check-layers: setup
	$(BIN)/lint-imports

pytest: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

test: lint check-layers pytest

# The unit tier for the inner loop (under two minutes), one worker per core (pytest-xdist);
# `make test` still runs everything, in one process.
test-fast: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest tests/unit -q -n auto $(PYTEST_ARGS)

bench: setup
	@mkdir -p bench/results
	@# startup drives pcscd's virtual readers: wait for any test run that holds them.
	@for b in bench/[a-z]*.py; do n=$$(basename $$b .py); echo "== $$n" >&2; \
		flock /tmp/kiosk-pcscd.lock $(BIN)/python -m bench.$$n || exit 1; done

# Coverage-guided fuzzing of the card parsers for FUZZ_SECONDS (crashes land in build/fuzz/).
FUZZ_SECONDS ?= 300
fuzz: setup
	@mkdir -p build/fuzz/corpus
	$(BIN)/python -m tests.fuzz.card_parsers build/fuzz/corpus -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=build/fuzz/ -print_final_stats=1

# The kiosk as a Debian package in dist/ (docs/install.md). Its venv is built from pyproject.toml.
package: $(STAMPS)/system
	@python3 packaging/build_deb.py --out dist

clean:
	rm -rf $(STAMPS) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
