# The two commands a new user runs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Development defaults; production sets DEBUG=0 and SECRET_KEY in the environment.
export DEBUG ?= 1

.PHONY: run test install install-dev migrate seed admin bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements-scripts.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py load_seed

run: seed
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

## Create the first admin account interactively (no default password exists).
admin: migrate
	$(PY) manage.py createsuperuser

## Performance figures beside floors measured in the same run.
bench: install-dev
	$(PY) -m bench $(BENCH)

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache
