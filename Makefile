# storybot: `make chat` to talk to the bundled story, `make test` to run the whole suite.
# the first Python 3.11+ that actually runs (pyenv shims exist for versions that are not selected)
PY ?= $(shell for p in python3 python3.13 python3.12 python3.11; do $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: install index chat bot test lint soak bench eval fit clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "storybot needs Python 3.11 or newer on PATH"; exit 2; }
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
	$(BIN)/ruff check bot index tests bench tools
	$(BIN)/mypy

# the suite spends most of its time waiting on subprocesses and the loopback Bot API: 4 workers on 2 cores
test: lint
	$(BIN)/pytest -n 4

# 10,000 questions through the loopback Bot API to a `storybot serve` process (1.5 to 2.5 minutes on
# 2 cores): all answered, resident memory at the end within 10% of that after the first 1,000.
# Not in `make test`, which it would more than double.
soak: install
	STORYBOT_SOAK=1 $(BIN)/pytest -s -p no:cacheprovider tests/test_bot_soak.py

# The `bench` extra brings torch (CPU) and sentence-transformers for the hybrid it compares against: never a
# runtime dependency. Sizes: e.g. `make bench BENCH_ARGS="--semantic-stories 400"` (`python -m bench --help`).
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m bench --readme $(BENCH_ARGS)

eval: install
	PATH="$(CURDIR)/$(BIN):$$PATH" PYTHON="$(CURDIR)/$(BIN)/python" ../shared/eval/run-dev-evals

# Refit index/answer_model.json and index/question_tuning.json on WikiQA train, the SQuAD 2.0 articles in ../shared and
# tools/news_qa (about half an hour on 2 cores: every sentence is embedded, the question side tuned six times); prints
# the out-of-fold figures. scikit-learn, scipy, torch and sentence-transformers are installed for this only (the `fit`
# extra; on Linux, CPU torch from https://download.pytorch.org/whl/cpu first, as for `make bench`).
fit: install
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[fit]'
	$(BIN)/python tools/fit_answer.py

clean:
	rm -rf $(VENV) .storybot .pytest_cache .mypy_cache .ruff_cache
