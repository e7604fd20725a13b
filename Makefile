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

.PHONY: help install data book test check lint format pair clean student assignments leak-check book-student notebooks test-notebooks test-jax test-backends test-mixed
.PHONY: gpu-wheels gpu-data gpu-bundle test-gpu
.PHONY: assets test-site chromium linkcheck
# The browser `make test-site` drives (Debian's package; any Chrome/Chromium works).
CHROMIUM ?= /usr/bin/chromium

help:
	@echo "make book   - install, fetch data, execute every notebook, build _build/html"
	@echo "make test   - install, fetch data, run unit tests and nbval over every notebook"
	@echo "make check  - ruff, pairing checks and fast unit tests (< 60 s), before each commit"
	@echo "make data   - fetch and verify the datasets into the cache"
	@echo "make pair   - update each notebook's .ipynb from its .md (cell ids kept, so diffs stay small)"
	@echo "make notebooks      - the notebook edition (what Colab opens) from the built book, into _build/notebooks"
	@echo "make test-notebooks - check the built editions and the site's Colab links (run by make book)"
	@echo "make test-site - the built site in headless Chromium, offline: maths, diagrams, links, buttons, search"
	@echo "make linkcheck - check the book's external links (weekly in CI)"
	@echo "make test-jax      - nbval over every notebook with KERAS_BACKEND=jax (CPU is fine)"
	@echo "make test-backends - CI-sized: unit tests and three Mathematics notebooks under JAX"
	@echo "make test-mixed    - Concepts and Mathematics under JAX with mixed precision (float16), on CPU"
	@echo "For instructors:"
	@echo "make student      - student notebooks, solutions removed, into _build/student"
	@echo "make assignments  - nbgrader course folder, one assignment per part, into _build/nbgrader"
	@echo "make leak-check   - scan the student edition and the nbgrader release for solutions and hidden cases"
	@echo "make book-student - the site with solutions hidden, into _build/student-html"
	@echo "The GPU run (JAX and PyTorch, mixed precision; README 'Running on a GPU'):"
	@echo "make gpu-bundle   - wheels and datasets for a machine without internet, into _build/gpu"
	@echo "make test-gpu     - nbval over every notebook and the CNN benchmark per backend, one JSON"
	@echo "                    (refused without a GPU: GPU_KIND=cpu-dry-run rehearses it on a CPU)"

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

# MathJax and Mermaid from npm, sha256-verified, into _build/static (the site's _static/).
assets: install
	$(PY) -m authoring.assets

book: install data assets
	$(BIN)/jupyter-book build . --warningiserror --keep-going --builder html
	$(MAKE) --no-print-directory notebooks test-notebooks
	@echo "Site: _build/html/index.html"

# The notebook edition: every executable page, rendered from the executed build (no re-run).
notebooks: install
	rm -rf _build/notebooks
	$(PY) -m authoring.notebook_edition --out _build/notebooks

test-notebooks: install
	$(PY) -m authoring.book check-site
	COMPANION_BUILT_BOOK=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_built_editions.py

# Tests and notebooks run in two pytest-xdist workers: on two cores, while one notebook
# trains, the other's kernel starts, imports and runs its Python-bound cells. Every notebook
# stays in one worker (--dist loadfile), the slowest start first, and results do not depend
# on it (TensorFlow's op determinism is on). TEST_JOBS=1 runs them one at a time.
TEST_JOBS ?= 2
XDIST = $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS))
NBVAL = $(BIN)/pytest -p no:cacheprovider $(XDIST) $(if $(XDIST),--dist loadfile) --nbval-lax

test: install data
	$(BIN)/pytest $(XDIST) tests
	$(NBVAL) --nbval-cell-timeout=900 -p authoring.nbval_cache --store-executed=_build/.jupyter_cache $$($(PY) -m authoring.book notebooks --slowest-first)

# The same notebooks on another Keras backend (JAX's CPU wheels come from PyPI).
MATH_UNDER_JAX := book/math/forward.ipynb book/math/losses.ipynb book/math/backprop.ipynb

# JAX's CPU convolutions are several times slower than TensorFlow's: "Making it better"'s
# headline training takes about ten minutes on 2 idle cores, so cells get twice the time.
test-jax: install data
	KERAS_BACKEND=jax $(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-cell-timeout=1800 $$($(PY) -m authoring.book notebooks)

# The stand-in on CPU for the GPU run's precision: the Concepts and Mathematics notebooks under
# JAX with mixed precision on (layers compute in float16), where every comparison of NumPy maths
# with Keras must hold at the precision it ran in. Pretraining is left out: it compares no maths
# with Keras (its checks are accuracies, run by `make test`), and it trains for minutes on a CPU
# under mixed precision. Likelihood is left out too: it trains a small GPT, and JAX's CPU
# dot_general refuses float16 products accumulated in float32 ("precision F16_F16_F32 is not
# supported by dot_general on CPU"), which a GPU runs; its comparison with Keras is a loss.
MIXED_LEFT_OUT := book/concepts/pretraining.ipynb book/math/likelihood.ipynb
MIXED_NOTEBOOKS := $(filter-out $(MIXED_LEFT_OUT),$(wildcard book/concepts/*.ipynb) $(wildcard book/math/*.ipynb))

test-mixed: install data
	KERAS_BACKEND=jax COMPANION_MIXED_PRECISION=1 $(NBVAL) -q --nbval-cell-timeout=900 $(MIXED_NOTEBOOKS)

test-backends: install
	KERAS_BACKEND=jax $(BIN)/pytest -q -p no:cacheprovider $(XDIST) -m "not slow" tests
	KERAS_BACKEND=jax $(NBVAL) -q --nbval-cell-timeout=900 $(MATH_UNDER_JAX)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q $(XDIST) -m "not slow" tests
	$(BIN)/actionlint

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

pair: install
	$(BIN)/jupytext --update --to ipynb $$($(PY) -m authoring.book sources)

# For instructors: editions generated from the chapters and companion.exercises, rendered
# like the notebook edition (they read the numbers and links of the built book: `make book` first).
student: install
	rm -rf _build/student
	$(PY) -m authoring.editions student --out _build/student

assignments: install
	rm -rf _build/nbgrader/source
	$(PY) -m authoring.editions assignments --out _build/nbgrader

# What students get must hold no reference solution and no hidden case: scan it
# (after `make student`, `make assignments` and `nbgrader generate_assignment`).
SCANNED = $(wildcard _build/student _build/nbgrader/release)
leak-check: install
	@test -n "$(SCANNED)" || { echo "Nothing to scan: run make student, or make assignments then nbgrader generate_assignment"; exit 1; }
	$(PY) -m authoring.instructor.leaks $(SCANNED)

book-student: install data assets
	$(PY) -m authoring.editions student-site-config --out _build/student-site/_config.yml
	rm -rf _build/student-site/_build/html
	$(BIN)/jupyter-book build . --config _build/student-site/_config.yml --path-output _build/student-site --warningiserror --keep-going --builder html
	rm -rf _build/student-html
	cp -r _build/student-site/_build/html _build/student-html
	@echo "Student site (solutions hidden): _build/student-html/index.html"

# The site as a reader gets it, in a real browser with the network blocked (after `make book`).
test-site: install chromium
	@test -f _build/html/index.html || { echo "No site in _build/html: run 'make book' first."; exit 1; }
	SITE_HTML=_build/html CHROMIUM=$(CHROMIUM) $(BIN)/pytest -p no:cacheprovider tests/site

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update && sudo apt-get install -y chromium; \
	else echo "make test-site needs Chromium at $(CHROMIUM). Install it with"; \
	  echo "  sudo apt-get update && sudo apt-get install -y chromium"; \
	  echo "or point CHROMIUM at a Chrome/Chromium binary (e.g. after 'playwright install chromium')."; exit 1; fi
	@test -x "$(CHROMIUM)" || { echo "apt installed chromium but $(CHROMIUM) is missing: set CHROMIUM."; exit 1; }

linkcheck: install data assets
	$(BIN)/jupyter-book build . --builder linkcheck

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
# On the GPU machine (16 cores, one GPU): both backends side by side, 4 notebooks each,
# 2 CPU threads per notebook, then each benchmark alone with at most 150 s; one 10-minute command.
GPU_JOBS ?= $(if $(filter gpu,$(GPU_KIND)),4,1)
GPU_BENCH_TIMEOUT ?= $(if $(filter gpu,$(GPU_KIND)),150,0)
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
	$(if $(filter-out 0 1,$(GPU_MIXED)),$(error GPU_MIXED must be 1 (mixed precision on, the default) or 0 (off), got '$(GPU_MIXED)': run e.g. make test-gpu GPU_MIXED=0))
	$(GPU_PY) benchmarks/gpu_run.py --kind $(GPU_KIND) --backends $(GPU_BACKENDS) \
		$(if $(GPU_NOTEBOOKS),--notebooks $(GPU_NOTEBOOKS)) --jobs $(GPU_JOBS) \
		--bench-timeout $(GPU_BENCH_TIMEOUT) \
		$(if $(filter 1,$(GPU_MIXED)),--mixed-precision,--no-mixed-precision) \
		$(if $(wildcard $(GPU_DIR)/wheels/*.whl),--wheels $(GPU_DIR)/wheels) \
		$(if $(wildcard $(GPU_DIR)/datasets),--data $(GPU_DIR)/datasets) $(GPU_ARGS)

clean:
	rm -rf _build

# Colab-like test (tests/colab/run.py says what it sets up): a fresh virtual environment with
# the packages Colab ships and no companion; each notebook's first cell installs it from git.
.PHONY: test-colab test-colab-subset
COLAB_PYTHON ?= $(PYTHON)
COLAB_VENV := _build/colab-venv
COLAB_STAMP := $(COLAB_VENV)/.installed
# The notebook edition once `make notebooks` wrote it, else the committed notebooks; not the
# instructor guide, a build-time page that imports the authoring package.
COLAB_ROOT := $(if $(wildcard _build/notebooks/book),_build/notebooks/,)
COLAB_NOTEBOOKS ?= $(filter-out %/instructor-guide.ipynb,$(if $(COLAB_ROOT),$(shell find _build/notebooks -name '*.ipynb' | sort),$(shell $(PY) -m authoring.book notebooks 2>/dev/null)))
# The getting-started page (MNIST and Fashion-MNIST) and one notebook per other dataset path:
# The getting-started page (MNIST and Fashion-MNIST) and one notebook per other dataset path:
# tokens (an npm tarball and two Debian packages), spam (npm tarball over HTTPS), recommendation
# (a wheel from PyPI), forecasting (statsmodels), retrieval (a Debian .deb over HTTPS).
COLAB_SUBSET := $(addprefix $(COLAB_ROOT),book/intro/getting-started.ipynb book/concepts/tokens.ipynb book/applications/spam.ipynb book/applications/recommendation.ipynb book/applications/forecasting.ipynb book/applications/retrieval.ipynb)

$(COLAB_STAMP): tests/colab/requirements-colab.txt
	rm -rf $(COLAB_VENV)
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet -r tests/colab/requirements-colab.txt
	touch $(COLAB_STAMP)

test-colab: $(COLAB_STAMP) data
	$(COLAB_VENV)/bin/python tests/colab/run.py --serve "$$($(PY) -c 'from companion import data; print(data.cache_dir())')" --repository "$$($(PY) -c 'from authoring.book import repository_url; print(repository_url())')" --clone . $(COLAB_NOTEBOOKS)

test-colab-subset:
	$(MAKE) test-colab COLAB_NOTEBOOKS="$(COLAB_SUBSET)"
