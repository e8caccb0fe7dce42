# dam: `make run` serves the admin and API on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The tool that writes the lock (only `make lock` needs it; installs use pip and the hashes).
UV_SPEC ?= uv>=0.9,<1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run setup test lint format typecheck bench schema clean lock cluster cluster-down test-cluster

# Exactly the locked, hash-checked versions (dev tools included), then dam itself without its
# dependencies; `pip check` then fails when pyproject.toml asks for what the lock lacks.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -c 'import sys; sys.exit("dam needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; \
	  echo "$(LOCK) does not satisfy pyproject.toml: run 'make lock' and commit $(LOCK)" >&2; exit 1; }
	touch $(STAMP)

# Regenerate the lock from pyproject.toml (all platforms, Python >= 3.11, with the dev extra).
# Pins that still satisfy pyproject.toml are kept; `make lock UPGRADE=1` moves all to the newest.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(UV_SPEC)"
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --generate-hashes --no-header --quiet $(if $(UPGRADE),--upgrade) --output-file $(LOCK)

setup: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py seed

run: setup
	@echo "Serving http://$(HOST):$(PORT)/admin/ (Ctrl-C stops)"
	DAM_PUBLIC_BASE_URL=$${DAM_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py runserver $(HOST):$(PORT)

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
	$(PY) bench/run.py $(BENCH_ARGS)

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
