# The two commands a new user runs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The suite runs on every core (pytest-xdist); e.g. PYTEST_ARGS="-n 0 -x tests/api" for one process.
PYTEST_ARGS ?= -n auto
# Production workers: two per core plus one, THREADS threads each (conflictmap/gunicorn_conf.py).
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(2 * (os.cpu_count() or 1) + 1)')
THREADS ?= 4
# Two `make run` at once: the second waits for the first to finish migrating and seeding.
LOCK := flock $(VENV)/.setup.lock
# Development defaults; production sets DEBUG=0 and SECRET_KEY in the environment.
export DEBUG ?= 1

.PHONY: run serve test install install-dev migrate seed admin bench lint mypy-baseline mypy-report clean backup restore loadtest

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(LOCK) $(PY) manage.py migrate --no-input

seed: migrate
	$(LOCK) $(PY) manage.py load_seed

## Background jobs (imports) run inside the request here; JOBS_SYNC=0 to queue them for a jobs_worker.
run: export JOBS_SYNC ?= 1
run: seed
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## Production mode: gunicorn, DEBUG off, hashed and compressed static files through whitenoise.
## Needs SECRET_KEY and ALLOWED_HOSTS in the environment (README, "Production").
serve: export DEBUG = 0
serve: install
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY and ALLOWED_HOSTS (README, Production)"; exit 1; }
	$(LOCK) $(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py jobs_worker --while-pid $$PPID &  # the job worker, stopped when make serve ends
	$(VENV)/bin/gunicorn conflictmap.wsgi -c conflictmap/gunicorn_conf.py --workers $(WORKERS) --threads $(THREADS) \
	  --bind 127.0.0.1:$(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

## Create the first admin account interactively (no default password exists).
admin: migrate
	$(PY) manage.py createsuperuser

## Performance figures beside floors measured in the same run, at 10,000 towns x 1,000,000 changes
## (built once through the bulk write paths and cached): make bench BENCH="--towns 1000 --changes 100000";
## BENCH=--quick for a smoke test; DATABASE_URL=postgres://... to run it on PostgreSQL (PERFORMANCE.md);
## BENCH="--theatres 2" also times theatre 1 beside a second theatre (1,000 towns x 50,000 changes).
bench: install-dev
	$(PY) -m bench $(BENCH)

## Back up the database while the app serves (pg_dump custom format / the SQLite backup API).
## FILE=path to choose the file; default var/backups/conflictmap-<time>.dump|.sqlite3.
backup: install
	$(PY) manage.py backup_data $(if $(FILE),--output "$(FILE)")

## Replace the whole database with a backup: make restore FILE=... (asks first; YES=1 to skip asking).
restore: install
	@test -n "$(FILE)" || { echo "make restore: say which backup, e.g. make restore FILE=var/backups/conflictmap-....dump"; exit 1; }
	$(PY) manage.py restore_data "$(FILE)" $(if $(YES),--yes)

$(VENV)/.installed-loadtest: requirements-loadtest.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-loadtest.txt
	touch $@

## READERS (50) readers + EDITORS (5) editors for DURATION (60s) with locust, against a `make serve`
## that it starts on a free loopback port (LOADTEST_URL= to target a running one); README, "Load test".
loadtest: $(VENV)/.installed-loadtest
	$(PY) -m loadtest

## ruff, then mypy (django-stubs, pyproject.toml [tool.mypy]) on the product packages against the baseline
## .ci/mypy-baseline.txt: a new error fails, and so does a fixed one the baseline still lists (make mypy-baseline).
MYPY_REPORT := .mypy_cache/report.txt
lint: install-dev
	$(VENV)/bin/ruff check .
	@$(MAKE) -s --no-print-directory mypy-report
	@$(VENV)/bin/mypy-baseline filter < $(MYPY_REPORT) || { echo "make lint: fix the new type errors above;" \
	  "where errors were fixed, \`make mypy-baseline\` drops them from .ci/mypy-baseline.txt"; exit 1; }

## After fixing type errors: rewrite the baseline without them. It only shrinks: a new error stops it.
mypy-baseline: install-dev mypy-report
	$(VENV)/bin/mypy-baseline filter --allow-unsynced --hide-stats < $(MYPY_REPORT)
	$(VENV)/bin/mypy-baseline sync < $(MYPY_REPORT)

# mypy's report, kept for mypy-baseline; exit 1 is "errors found" (the baseline judges them), above is a crash.
mypy-report:
	@mkdir -p .mypy_cache; status=0; $(VENV)/bin/mypy > $(MYPY_REPORT) 2>&1 || status=$$?; \
	if [ $$status -gt 1 ]; then cat $(MYPY_REPORT); echo "mypy did not run (exit $$status)"; exit $$status; fi

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache .mypy_cache
