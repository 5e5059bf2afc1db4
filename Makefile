# rasoat — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-fast install bench tablet harness clean system-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,tablet,harness]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# System packages the tests need (Xvfb for the Kivy window, Chromium for the console).
system-deps:
	@bash scripts/system-deps.sh

run: install
	@bash scripts/run.sh

test: install system-deps
	@bash scripts/test.sh

# The quick loop while working: everything but the tests marked slow (real windows, browsers, the
# harness, whole processes). `make test` (and CI) runs them all.
test-fast: install
	@bash scripts/test.sh -m "not slow" -q

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run_all.py

# Reliability, security and load harness: full counts (docs/reliability.md). Loopback only.
harness: install
	$(BIN)/python -m harness

tablet: install
	$(BIN)/python main.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
