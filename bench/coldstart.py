"""Cold start: `storybot ask QUESTION` in a new process against the bare import of its main libraries, by words
alone (STORYBOT_SEMANTIC=false) and with the sentence-embedding model (an index built with embeddings)."""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import OWN_BLAS_THREADS

FLOOR = "import rank_bm25, pydantic_settings"
# what a semantic `ask` cannot start without: the model runs on ONNX Runtime with tokenizers, over numpy rows
SEMANTIC_FLOOR = "import rank_bm25, pydantic_settings, onnxruntime, tokenizers, numpy"


@dataclass(frozen=True, slots=True)
class ColdStart:
    ask: float  # median seconds, STORYBOT_SEMANTIC=false
    floor: float
    rounds: int
    semantic_ask: float = 0.0  # 0: not measured
    semantic_floor: float = 0.0


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(
    index: Path, stories: Path, workdir: Path, question: str, rounds: int = 15, semantic_index: Path | None = None
) -> ColdStart:
    """Take turns, each command first in turn, so drift in the machine's load hits all alike.

    storybot's own modules are byte-compiled first, as pip does when it installs a package (the floor's
    libraries were): otherwise, where PYTHONDONTWRITEBYTECODE is set, every run would compile them anew."""
    project = Path(__file__).resolve().parent.parent
    for package in ("bot", "index"):
        compileall.compile_dir(project / package, quiet=1)
    storybot = str(Path(sys.executable).parent / "storybot")
    # as the user's shell has it: not the OpenBLAS setting the bench made for its own process (bench/__init__.py),
    # which storybot makes for itself and the floor would not have
    own = ("OPENBLAS_NUM_THREADS",) if OWN_BLAS_THREADS else ()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOT_", "TELEGRAM_")) and k not in own}
    env["STORYBOT_STORIES_DIR"] = str(stories)
    lexical = {**env, "STORYBOT_SEMANTIC": "false"}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "ask": ([storybot, "ask", "--index", str(index), question], lexical),
        "floor": ([sys.executable, "-c", FLOOR], env),
    }
    if semantic_index is not None:  # STORYBOT_SEMANTIC unset: on by default
        commands["semantic_ask"] = ([storybot, "ask", "--index", str(semantic_index), question], env)
        commands["semantic_floor"] = ([sys.executable, "-c", SEMANTIC_FLOOR], env)
    workdir.mkdir(parents=True, exist_ok=True)  # no .env there: the settings read only what is set above
    for argv, command_env in commands.values():  # warm the page cache and byte-compile once, untimed
        _run(argv, workdir, command_env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            argv, command_env = commands[name]
            times[name].append(_run(argv, workdir, command_env))
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    return ColdStart(rounds=rounds, **medians)
