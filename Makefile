# Two commands: `make book` and `make test`. Both create .venv and install everything on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PyTorch: kept if importable; else the CPU wheel on Linux without an NVIDIA GPU, PyPI's build elsewhere
# (recsys_tutorial/_install_torch.py; `make torch-plan` prints the choice). TORCH=<requirement> overrides it.
TORCH ?=
PROFILE ?= default
STAMP := $(VENV)/.installed

.PHONY: help book test lint bench clean system-deps torch-plan
.DEFAULT_GOAL := help

## help: list the targets (a bare `make` prints this)
help:
	@echo "make targets (variables: PROFILE=default|electronics|books|ci, SCALE=…, TORCH=<pip requirement>):"
	@grep -E '^## [a-z-]+:' $(MAKEFILE_LIST) | sed -e 's/^## /  /'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	TORCH="$(TORCH)" $(PYTHON) recsys_tutorial/_install_torch.py --python $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[book,test]"
	@touch $@

## book: execute every chapter on PROFILE (default: default) and build the HTML book in _build/html; DATASET=<file or category> overrides the profile's data
book: $(STAMP)
	$(BIN)/python -m recsys_tutorial.book --profile $(PROFILE) $(if $(DATASET),--set DATASET=$(DATASET))

## test: ruff, unit tests, the book build and every notebook (nbmake) on the tiny ci profile
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadgroup --nbmake --nbmake-timeout=600 tests book

## lint: ruff over everything
lint: $(STAMP)
	$(BIN)/ruff check .

## torch-plan: print the pip command `make` would use to install PyTorch on this machine (no network)
torch-plan:
	@TORCH="$(TORCH)" $(PYTHON) recsys_tutorial/_install_torch.py --python $(BIN)/python --dry-run

## bench: the benchmarks at SCALE (default: default)
SCALE ?= default
bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script --scale $(SCALE) || exit 1; done

# The browser tests need Chromium; install Debian's package when we can (root with apt-get).
system-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Chromium for the browser checks: install it (Debian/Ubuntu: sudo apt-get install chromium)"; \
	    exit 1; \
	  fi; }

## clean: remove the build, caches of pytest, ruff and hypothesis
clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
