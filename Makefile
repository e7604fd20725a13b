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

.PHONY: help install data book test check lint format pair clean student assignments book-student test-jax test-backends
.PHONY: gpu-wheels gpu-data gpu-bundle test-gpu

help:
	@echo "make book   - install, fetch data, execute every notebook, build _build/html"
	@echo "make test   - install, fetch data, run unit tests and nbval over every notebook"
	@echo "make check  - ruff, pairing checks and fast unit tests (< 60 s), before each commit"
	@echo "make data   - fetch and verify the datasets into the cache"
	@echo "make pair   - update each notebook's .ipynb from its .md (cell ids kept, so diffs stay small)"
	@echo "make test-jax      - nbval over every notebook with KERAS_BACKEND=jax (CPU is fine)"
	@echo "make test-backends - CI-sized: unit tests and three Mathematics notebooks under JAX"
	@echo "For instructors:"
	@echo "make student      - student notebooks, solutions removed, into _build/student"
	@echo "make assignments  - nbgrader course folder, one assignment per part, into _build/nbgrader"
	@echo "make book-student - the site with solutions hidden, into _build/student-html"
	@echo "The GPU run (JAX and PyTorch, mixed precision; README 'Running on a GPU'):"
	@echo "make gpu-bundle   - wheels and datasets for a machine without internet, into _build/gpu"
	@echo "make test-gpu     - nbval over every notebook and the CNN benchmark per backend, one JSON"

$(STAMP): requirements.txt pyproject.toml authoring/pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11, 5), "Python 3.11.5+ is needed (the pins need it), found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip install --quiet --no-deps -e ./authoring
	touch $(STAMP)

install: $(STAMP)

data: $(STAMP)
	$(PY) -m companion.data

book: install data
	$(BIN)/jupyter-book build . --warningiserror --keep-going --builder html
	$(PY) -m authoring.book check-site
	@echo "Site: _build/html/index.html"

test: install data
	$(BIN)/pytest tests
	$(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-cell-timeout=900 $$($(PY) -m authoring.book notebooks)

# The same notebooks on another Keras backend (JAX's CPU wheels come from PyPI).
MATH_UNDER_JAX := book/math/forward.ipynb book/math/losses.ipynb book/math/backprop.ipynb

test-jax: install data
	KERAS_BACKEND=jax $(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-cell-timeout=900 $$($(PY) -m authoring.book notebooks)

test-backends: install
	KERAS_BACKEND=jax $(BIN)/pytest -q -p no:cacheprovider -m "not slow" tests
	KERAS_BACKEND=jax $(BIN)/pytest -q -p no:cacheprovider --nbval-lax --nbval-cell-timeout=900 $(MATH_UNDER_JAX)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -m "not slow" tests

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

pair: install
	$(BIN)/jupytext --update --to ipynb $$($(PY) -m authoring.book sources)

# For instructors: editions generated from the chapters and companion.exercises.
student: install
	rm -rf _build/student
	$(PY) -m authoring.editions student --out _build/student

assignments: install
	rm -rf _build/nbgrader/source
	$(PY) -m authoring.editions assignments --out _build/nbgrader

book-student: install data
	$(PY) -m authoring.editions student-site-config --out _build/student-site/_config.yml
	rm -rf _build/student-site/_build/html
	$(BIN)/jupyter-book build . --config _build/student-site/_config.yml --path-output _build/student-site --warningiserror --keep-going --builder html
	rm -rf _build/student-html
	cp -r _build/student-site/_build/html _build/student-html
	@echo "Student site (solutions hidden): _build/student-html/index.html"

# The GPU run: benchmarks/gpu_run.py on a machine with JAX and PyTorch but no internet
# and no TensorFlow. `make gpu-bundle` (here, online) fills _build/gpu; carry that
# folder to the GPU machine and run `make test-gpu` there (its python3, no .venv).
GPU_DIR := _build/gpu
GPU_PYTHON_VERSION ?= 3.12
GPU_PLATFORMS := manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64
GPU_BACKENDS ?= jax torch
GPU_NOTEBOOKS ?=
GPU_KIND ?= gpu
GPU_MIXED ?= 1
GPU_JOBS ?= 1
GPU_ARGS ?=
GPU_PY := $(if $(wildcard $(PY)),$(PY),python3)

gpu-wheels: install
	rm -rf $(GPU_DIR)/wheels
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: --implementation cp \
		--python-version $(GPU_PYTHON_VERSION) $(addprefix --platform ,$(GPU_PLATFORMS)) \
		-d $(GPU_DIR)/wheels -r benchmarks/gpu-requirements.txt
	du -sh $(GPU_DIR)/wheels

gpu-data: data
	rm -rf $(GPU_DIR)/datasets
	$(PY) benchmarks/gpu_run.py --pack-data $(GPU_DIR)/datasets
	du -sh $(GPU_DIR)/datasets

gpu-bundle: gpu-wheels gpu-data
	du -sh $(GPU_DIR)

test-gpu:
	$(GPU_PY) benchmarks/gpu_run.py --kind $(GPU_KIND) --backends $(GPU_BACKENDS) \
		$(if $(GPU_NOTEBOOKS),--notebooks $(GPU_NOTEBOOKS)) --jobs $(GPU_JOBS) \
		$(if $(filter 1,$(GPU_MIXED)),--mixed-precision,--no-mixed-precision) \
		$(if $(wildcard $(GPU_DIR)/wheels/*.whl),--wheels $(GPU_DIR)/wheels) \
		$(if $(wildcard $(GPU_DIR)/datasets),--data $(GPU_DIR)/datasets) $(GPU_ARGS)

clean:
	rm -rf _build
