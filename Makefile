# storybot: `make chat` to talk to the bundled story, `make test` to run the whole suite.
PY ?= $(shell command -v python3.13 || command -v python3.12 || command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: install index chat bot test lint bench eval clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "storybot needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/storybot index

chat: install
	$(BIN)/storybot chat

bot: install
	$(BIN)/storybot serve

lint: install
	$(BIN)/ruff check bot index tests
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m bench

eval: install
	PATH="$(CURDIR)/$(BIN):$$PATH" PYTHON="$(CURDIR)/$(BIN)/python" ../shared/eval/run-dev-evals

clean:
	rm -rf $(VENV) .storybot .pytest_cache .mypy_cache .ruff_cache
