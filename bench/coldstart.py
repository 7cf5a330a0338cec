"""Cold start: `storybot ask QUESTION` in a new process against the bare import of its two main libraries."""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

FLOOR = "import rank_bm25, pydantic_settings"


@dataclass(frozen=True, slots=True)
class ColdStart:
    ask: float  # median seconds
    floor: float
    rounds: int


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(index: Path, stories: Path, workdir: Path, question: str, rounds: int = 15) -> ColdStart:
    """Alternate the two commands, each first in turn, so drift in the machine's load hits both alike.

    storybot's own modules are byte-compiled first, as pip does when it installs a package (the floor's
    libraries were): otherwise, where PYTHONDONTWRITEBYTECODE is set, every run would compile them anew."""
    project = Path(__file__).resolve().parent.parent
    for package in ("bot", "index"):
        compileall.compile_dir(project / package, quiet=1)
    bin_dir = Path(sys.executable).parent
    storybot = bin_dir / "storybot"
    ask = [str(storybot), "ask", "--index", str(index), question]
    floor = [sys.executable, "-c", FLOOR]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOT_", "TELEGRAM_"))}
    env["STORYBOT_STORIES_DIR"] = str(stories)
    workdir.mkdir(parents=True, exist_ok=True)  # no .env there: the settings read only what is set above
    _run(ask, workdir, env)  # warm the page cache and byte-compile once, untimed
    _run(floor, workdir, env)
    asks: list[float] = []
    floors: list[float] = []
    for i in range(rounds):
        if i % 2:
            asks.append(_run(ask, workdir, env))
            floors.append(_run(floor, workdir, env))
        else:
            floors.append(_run(floor, workdir, env))
            asks.append(_run(ask, workdir, env))
    return ColdStart(statistics.median(asks), statistics.median(floors), rounds)
