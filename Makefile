# The template repository's two doors: `make demo` and `make test`.
# Both bootstrap .venv from the hashed requirements-dev.txt first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint lock

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed  ## bake the defaults into build/demo, build its env, check it
	rm -rf $(DEMO_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .
	$(MAKE) -C $(DEMO_DIR)/my-ml-project env check-env
	@echo "demo project ready in $(DEMO_DIR)/my-ml-project (cd there; make test)"

test: $(VENV)/.installed  ## the template's tests, slow tier included
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed  ## only the fast tier (unit tests, bakes, answers, hook files: 52-69 s on 2 cores, most runs under 60 s)
	$(BIN)/python -m pytest -m "not slow" -n auto $(PYTEST_ARGS)

lock: $(VENV)/.installed  ## re-lock requirements-dev.txt from requirements-dev.in
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements-dev.txt requirements-dev.in
