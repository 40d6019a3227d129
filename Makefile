# The README's commands. Each target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help

# Python writes and reuses its bytecode (__pycache__/, ignored by git) for everything the targets
# run. Some machines set PYTHONDONTWRITEBYTECODE=1 (this project's dev machines do): then no
# .pyc is ever written and every process compiles each module it imports from source, again:
# ~10 s of each pytest worker's collection and ~1-3 s of every server, CLI and `cdk synth` the
# suite starts (hundreds of them). The Lambda image compiles its own at build time (compileall).
unexport PYTHONDONTWRITEBYTECODE
.PHONY: help run test lint migrate create-admin demo-data simulate bench bench-deps browser-deps screenshots clean lock

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# Every install is from a lock file, hash-checked, and never resolved again: the lock already
# names every package of the tree, so scripts/install_lock.sh installs exactly those (uv pip sync,
# or --no-deps) and then checks that they fit (uv pip check). A resolver going back to the index
# takes a release newer than the lock as soon as one appears (2026-12-06: pip 23.2 re-resolved
# pytest-cov's coverage[toml] and refused coverage 7.18, so a fresh clone's `make test` failed).
# uv comes from its own hash lock through the venv's pip, --no-deps (one wheel, no dependencies);
# upgrading pip first would be the one download no hash checks.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-installed: api/requirements.lock | $(UV)
	bash scripts/install_lock.sh $(VENV) api/requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(UV)
	bash scripts/install_lock.sh $(VENV) requirements-dev.lock --exact
	touch $@ $(VENV)/.app-installed

# The locks, written by uv from the direct requirements (the *.txt files, pinned by hand).
# --universal: one lock for every platform and Python from LOCK_PYTHON up, markers where they
# differ (the dev machines' 3.11, the Lambda image's 3.12 on x86_64 and arm64), with the hashes
# of every file of each release. The OpenTelemetry lock is the runtime's plus tracing, the dev
# lock everything: each takes the versions of the one before as constraints, so the tests run
# what the image ships. uv keeps the pins already in a lock unless LOCK_ARGS=--upgrade.
LOCK_PYTHON := 3.11
UV_COMPILE = $(UV) pip compile --quiet --universal --python-version $(LOCK_PYTHON) \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)

$(UV): requirements-uv.lock | $(PY)
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-uv.lock
	touch $@

lock: $(UV) ## Rewrite the hash-pinned lock files from the direct requirements (LOCK_ARGS=--upgrade: newest)
	$(UV_COMPILE) api/requirements.txt -o api/requirements.lock
	$(UV_COMPILE) api/requirements.txt api/requirements-otel.txt -c api/requirements.lock \
		-o api/requirements-otel.lock
	$(UV_COMPILE) requirements-dev.txt -c api/requirements-otel.lock -o requirements-dev.lock
	$(UV_COMPILE) requirements-uv.txt -o requirements-uv.lock

# --no-proxy-headers: uvicorn would otherwise take the client IP from X-Forwarded-For sent from
# 127.0.0.1, and anyone could rotate it past the per-IP login and sign-up limits.
run: $(VENV)/.app-installed ## Serve the app on HOST:PORT with the embedded database and demo data
	PYTHONPATH=api $(PY) -m courtside migrate
	PYTHONPATH=api $(PY) scripts/demo_data.py load --if-empty
	PYTHONPATH=api $(PY) scripts/demo_refresh.py refresh
	PYTHONPATH=api $(PY) scripts/demo_bets.py --user demo-user
	@echo "Courtside: web http://$(HOST):$(PORT)/  API docs http://$(HOST):$(PORT)/docs"
	PYTHONPATH=api exec $(PY) -m uvicorn courtside.main:app --host $(HOST) --port $(PORT) --no-proxy-headers

browser-deps: ## Install Debian's Chromium for the browser test (root; skipped when present)
	@command -v /usr/bin/chromium >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.dev-installed browser-deps ## Run the whole suite against this machine's PostgreSQL and Redis, then lint
	$(PY) -m pytest -n 2 --dist loadfile --cov --cov-report= $(PYTEST_ARGS)
	$(MAKE) --no-print-directory lint

screenshots: $(VENV)/.dev-installed browser-deps ## Refresh docs/screenshots from the browser test
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser -q

lint: $(VENV)/.dev-installed ## ruff, mypy and the import contracts (.importlinter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	PYTHONPATH=api $(VENV)/bin/lint-imports --cache-dir $(VENV)/.import_linter_cache

migrate: $(VENV)/.app-installed ## Apply migrations to DATABASE_URL (default: the embedded SQLite file)
	PYTHONPATH=api $(PY) -m courtside migrate

# The password is asked for twice, or read from ADMIN_PASSWORD: never from the command line
# (shell history). Asks for what ADMIN_USERNAME / ADMIN_EMAIL do not give.
create-admin: $(VENV)/.app-installed ## Create an Admin in DATABASE_URL (ADMIN_USERNAME=, ADMIN_EMAIL=, else asked)
	@username="$$ADMIN_USERNAME"; email="$$ADMIN_EMAIL"; \
	[ -n "$$username" ] || read -rp 'Username: ' username || exit 2; \
	[ -n "$$email" ] || read -rp 'E-mail: ' email || exit 2; \
	PYTHONPATH=api exec $(PY) -m courtside create-admin --username "$$username" --email "$$email" \
	  $${ADMIN_PASSWORD:+--password-env ADMIN_PASSWORD}

demo-data: $(VENV)/.app-installed ## Load the demo season (idempotent)
	PYTHONPATH=api $(PY) scripts/demo_data.py load
	PYTHONPATH=api $(PY) scripts/demo_bets.py --user demo-user

simulate: $(VENV)/.app-installed ## Local demo: finalise every game that has tipped off (bets settle)
	PYTHONPATH=api $(PY) scripts/demo_refresh.py simulate

bench-deps: ## Install wrk for the throughput benchmarks (root; skipped when present)
	@command -v wrk >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: $(VENV)/.dev-installed bench-deps ## Every benchmark, ratios against a floor (BENCH_ARGS=--quick: fewer runs)
	$(PY) scripts/bench/run_all.py $(BENCH_ARGS)

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache cdk.out

-include infra.mk
