# Two commands: `make run` (install, set up, serve) and `make test` (install, lint, test).
# `make run` serves at once; the CRF tagger trains meanwhile in the background worker.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
# bash: the test recipes pipe pytest through a tagger and must keep its exit status.
SHELL := /bin/bash

.PHONY: install run setup serve test test-sqlite test-postgres lint format chromium bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first and pinned: pip takes this machine's CPU build from disk; camel-tools
# would otherwise pull a multi-gigabyte CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Idempotent: running it again adds no places, articles or users. No training here: it
# takes minutes, so the CRF trains in the background worker that `make run` starts.
setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_gazetteer
	$(BIN)/python manage.py load_actors
	@echo "Importing the samples; their pre-tagging is queued for the background worker…"
	$(BIN)/python manage.py ingest fixtures/samples --corpus Samples
	$(BIN)/python manage.py demo_users --corpus Samples
	@echo "Queueing again the tasks a stopped worker left running (no worker runs yet)…"
	$(BIN)/python manage.py recover_tasks --older-than 0
	@echo "Queueing the CRF training on ANERcorp, when it is beside the repository (once)…"
	$(BIN)/python manage.py train_tagger --base --if-none --queue

run: setup
	HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Under `make test` each line says which database it is from ([sqlite], [postgres]).
tag = $(if $(TAGGED),sed -u 's/^/[$(1)] /',cat)

test-sqlite: install chromium
	set -o pipefail; env -u DATABASE_URL $(BIN)/pytest 2>&1 | $(call tag,sqlite)

test-postgres: install chromium
	@set -o pipefail; { if [ -n "$$DATABASE_URL" ]; then url="$$DATABASE_URL"; \
	elif $(BIN)/python scripts/port_open.py 127.0.0.1 5432; then url="$(PG_URL)"; \
	else echo "PostgreSQL: no DATABASE_URL and nothing on 127.0.0.1:5432, skipped"; exit 0; fi; \
	echo "PostgreSQL run: $$url"; DATABASE_URL="$$url" $(BIN)/pytest; } 2>&1 | $(call tag,postgres)

# The two databases' suites run side by side: most of a run is waiting (the browser, the
# live server, the worker's subprocesses), so on two cores both end in about the time of
# one. Their lines come as they are written, each tagged with its database.
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=none TAGGED=1 test-sqlite test-postgres

bench: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/python bench/run.py

# Screenshots of the main pages, Arabic and English, desktop and phone, for the README.
screenshots: install chromium
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var
