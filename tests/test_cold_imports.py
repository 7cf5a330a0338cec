"""`storybot index`, `ask` and `chat` start fast: they never import the Telegram stack, nor index-building
libraries they do not use. Each command runs in a fresh interpreter, which then lists what it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NEVER = ("telegram", "httpx", "httpcore", "trafilatura")
RUN = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported(args: list[str], stdin: str = "") -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], {m.split(".")[0] for m in result["modules"]}


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (["ask", "where is the third summit?"], ""),
        (["ask", "--json", "--story", "rail-strike-called-off", "why was the strike called off?"], ""),
        (["chat"], "where is the third summit?\n/stories\n"),
    ],
)
def test_ask_and_chat_import_no_bot_stack(index_path: Path, command: list[str], stdin: str) -> None:
    code, modules = imported([command[0], "--index", str(index_path), *command[1:]], stdin)
    assert code == 0
    assert not modules & set(NEVER)
    assert "syntok" not in modules  # sentence splitting is for building; a built index needs none


def test_index_imports_no_bot_stack(stories_dir: Path, tmp_path: Path) -> None:
    code, modules = imported(["index", "--stories", str(stories_dir), "--index", str(tmp_path / "i.json")])
    assert code == 0
    assert "syntok" in modules  # it did build
    assert not modules & set(NEVER)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc (Linux)")
@pytest.mark.parametrize(("given", "threads"), [(None, 1), ("2", 2)])
def test_numpy_blas_runs_on_one_thread_unless_the_user_says_otherwise(given: str | None, threads: int) -> None:
    """The shell keeps numpy's OpenBLAS to one thread (bot/__init__.py): OpenBLAS starts its extra threads when
    numpy is imported, so the process's thread count shows it. A value the user set is kept."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = "import os, bot, numpy; print(len(os.listdir('/proc/self/task')))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == threads
