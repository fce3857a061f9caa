# biaoge — set-up and the two commands. Idempotent: a second run only checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test system system-test venv bench clean

run: system $(STAMP)
	@echo "biaoge: starting on http://127.0.0.1:8000/ (data in data/)"
	$(BIN)/biaoge serve --host 127.0.0.1 --port 8000 --data data

test: system-test $(TEST_STAMP)
	$(BIN)/pytest

system:
	@scripts/system-packages.sh run

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
