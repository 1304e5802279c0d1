# The two commands in the README are the contract: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := project.settings

.PHONY: run test setup install install-dev migrate messages seed lint check bench bench-quick clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

messages:
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --verbosity 0

migrate:
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

seed:
	$(PY) manage.py seed_demo

setup: install messages migrate seed

run: export DJANGO_DEBUG ?= 1
run: setup
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install-dev messages
	$(PY) -m pytest -n auto

lint: install-dev
	$(VENV)/bin/ruff check .

bench: install-dev messages
	$(PY) bench/run.py --full

bench-quick: install-dev messages
	$(PY) bench/run.py --quick

clean:
	rm -rf var/db.sqlite3* staticfiles .pytest_cache
