# Two commands set everything up on a fresh machine: `make book` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# Same thread settings everywhere, so a notebook gives the same metrics on every run.
export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help install data book test check lint format pair clean

help:
	@echo "make book   - install, fetch data, execute every notebook, build _build/html"
	@echo "make test   - install, fetch data, run unit tests and nbval over every notebook"
	@echo "make check  - ruff, pairing checks and fast unit tests (< 60 s), before each commit"
	@echo "make data   - fetch and verify the datasets into the cache"
	@echo "make pair   - regenerate each notebook's .ipynb from its .md (outputs cleared)"

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

data: $(STAMP)
	$(PY) -m companion.data

book: install data
	$(BIN)/jupyter-book build . --warningiserror --keep-going --builder html
	$(PY) -m companion.book check-site
	@echo "Site: _build/html/index.html"

test: install data
	$(BIN)/pytest tests
	$(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-cell-timeout=900 $$($(PY) -m companion.book notebooks)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -m "not slow" tests

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

pair: install
	$(BIN)/jupytext --update --to ipynb $$($(PY) -m companion.book sources)

clean:
	rm -rf _build
