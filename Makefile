# The two commands in the README are the contract: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: system-packages run test setup install install-dev migrate messages seed lint check bench bench-quick bench-street clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# Pango and a CJK font for PDFs, gettext for translations: checked, and installed with apt when run as root.
system-packages:
	@deploy/system-packages

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Development settings for manage.py (debug on, a random key for this checkout); never overwritten,
# never read when DJANGO_SECRET_KEY is in the environment (manage.py). Also makes var/ for SQLite.
var/dev.env:
	mkdir -p var
	printf '# Written by make for development only; manage.py reads it. Delete it to get a new key.\nDJANGO_DEBUG=1\nDJANGO_SECRET_KEY=%s\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@.tmp
	mv $@.tmp $@

messages: var/dev.env
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

migrate: var/dev.env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

seed:
	$(PY) manage.py seed_demo

setup: system-packages install var/dev.env messages migrate seed

# The web server and, beside it, the worker that runs background tasks (imports, exports, notices) and the
# scheduled tick (start_tick: one waiting tick, however often it runs); stopping `make run` (Ctrl-C) stops both.
run: setup
	$(PY) manage.py start_tick
	$(PY) manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: system-packages install-dev messages
	$(PY) -m pytest -n auto

lint: install-dev
	$(VENV)/bin/ruff check .

# The full (community) size, then the street size of issues #17 and #18 (each writes bench/results/latest-<size>.json).
bench: install-dev messages
	$(PY) bench/run.py --full
	$(PY) bench/run.py --street

bench-street: install-dev messages
	$(PY) bench/run.py --street

bench-quick: install-dev messages
	$(PY) bench/run.py --quick

clean:
	rm -rf var/db.sqlite3* staticfiles .pytest_cache
