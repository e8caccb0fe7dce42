# dam: `make run` serves the admin and API on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run setup test lint format typecheck bench schema clean cluster cluster-down test-cluster

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("dam needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py seed

run: setup
	@echo "Serving http://$(HOST):$(PORT)/admin/ (Ctrl-C stops)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

bench: $(STAMP)
	$(PY) bench/run.py

cluster: $(STAMP)  ## nginx + 2 web nodes + 2 workers + PostgreSQL + Redis + S3 (moto) on loopback
	$(PY) -m deploy.cluster up

cluster-down:
	$(PY) -m deploy.cluster down

test-cluster: $(STAMP)  ## only the cluster fault-injection and soak suite (part of `make test`)
	$(PY) -m pytest -m cluster $(PYTEST_ARGS)

schema: $(STAMP)  ## regenerate the committed OpenAPI schema (a test fails when it is stale)
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
