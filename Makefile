# Two commands on a fresh machine:
#   make run    installs everything and serves the application on SQLite
#   make test   installs everything, checks the code (ruff, import contracts) and runs the tests
# Everything lands in .venv/ and node_modules/ inside the clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint format bench clean

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# The process editor's bundle (web/frontend/ → web/static/build/, esbuild from npm), rebuilt
# when its sources change; built files are not committed.
FRONTEND := $(shell find web/frontend -type f -not -path '*/test/*')
BUNDLE := web/static/build/modeler.js
$(BUNDLE): $(STAMP) $(FRONTEND)
	npm run build

install: $(STAMP) $(BUNDLE)

run: $(STAMP) $(BUNDLE)
	$(BIN)/anct serve --demo --host $(HOST) --port $(PORT)

test: $(STAMP) $(BUNDLE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	CHROMIUM=$${ANCT_CHROMIUM:-/usr/bin/chromium} node web/frontend/test/roundtrip.mjs
	CHROMIUM=$${ANCT_CHROMIUM:-/usr/bin/chromium} node web/frontend/test/ui.mjs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/engine_throughput.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache
