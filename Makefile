# biaoge — set-up and the two commands. Idempotent: a second run only checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test system system-test js-test venv bench clean

run: system $(STAMP)
	@echo "biaoge: starting on http://127.0.0.1:8000/ (data in data/)"
	$(BIN)/biaoge serve --host 127.0.0.1 --port 8000 --data data

test: system-test $(TEST_STAMP) js-test
	$(BIN)/pytest

system:
	@scripts/system-packages.sh run

# axe-core for the accessibility tests, from the npm registry into tests/js/node_modules (locked)
js-test: tests/js/node_modules/axe-core/axe.min.js

tests/js/node_modules/axe-core/axe.min.js: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --silent
	touch $@

system-test:
	@scripts/system-packages.sh test
	@scripts/postgres.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

bench: $(TEST_STAMP)
	@for b in bench/*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) output/* .pytest_cache
