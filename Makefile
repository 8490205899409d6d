# Casualty Ledger. `make run` serves the embedded default; `make test` lints and tests.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000

.PHONY: install run test test-deep lint format migrations-check check-deploy seed reset-local-db bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_default_data --if-empty
	$(PY) manage.py reconcile
	$(PY) manage.py flags_refresh
	$(PY) manage.py ensure_local_editor
	$(PY) manage.py runserver $(HOST)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Django's deployment checks against the production settings (DEBUG=0, a throwaway random
# SECRET_KEY); any warning fails.
check-deploy: install
	DEBUG=0 ALLOWED_HOSTS=example.org \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(PY) manage.py check --deploy --fail-level WARNING

# On every core (pytest-xdist; each worker has its own test database); PYTEST_WORKERS=0 runs
# in one process.
PYTEST_WORKERS ?= auto
test: install lint migrations-check
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The property tests with random draws and ten times the examples (make test runs them
# derandomized, with each test's fixed budget, so a run passes or fails for the code alone).
test-deep: install
	HYPOTHESIS_PROFILE=deep $(VENV)/bin/pytest -q tests/claims/test_figure_properties.py \
		tests/claims/test_reconciliation_properties.py tests/claims/test_rules_rollups.py \
		tests/casualties/test_charts.py tests/claims/test_exporting.py $(PYTEST_ARGS)

reset-local-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm

clean: reset-local-db
	rm -rf $(VENV) staticfiles .pytest_cache
