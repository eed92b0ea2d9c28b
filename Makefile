# Two commands: `make book` and `make test`. Both create .venv and install everything on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch for machines without a GPU. Override (e.g. TORCH=torch) to take PyPI's default build.
TORCH ?= torch==2.13.0
PROFILE ?= default
STAMP := $(VENV)/.installed

.PHONY: book test lint bench clean system-deps

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[book,test]"
	@touch $@

## book: execute every chapter on PROFILE (default: default) and build the HTML book in _build/html
book: $(STAMP)
	$(BIN)/python -m recsys_tutorial.book --profile $(PROFILE)

## test: ruff, unit tests, the book build and every notebook (nbmake) on the tiny ci profile
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest --nbmake --nbmake-timeout=600 tests book

lint: $(STAMP)
	$(BIN)/ruff check .

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

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
