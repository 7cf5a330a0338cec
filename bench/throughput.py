"""Issue 5, item 4: bot throughput. NOT MEASURED YET - this is the hook for it.

What it is to measure: questions answered per second through `storybot serve` against the loopback Bot
API server (tests' fake Telegram server on 127.0.0.1), with flood and per-user limits off
(STORYBOT_MAX_SENDS_PER_SECOND=0, STORYBOT_USER_QUESTIONS_PER_MINUTE=0), against a bare
python-telegram-bot echo bot on the same server in the same run (the ceiling). Target: storybot at least
0.7x the echo bot; answering must not hold the event loop.

It needs `storybot serve` and the loopback Bot API server, which the Telegram bot's helper is building.
To add it: make `measure` start the server, run the echo bot then storybot against it (each fed the same
burst of updates), and return a Throughput. `python -m bench` prints whatever `measure` returns and
prints "not measured" while it returns None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Throughput:
    storybot_per_second: float
    echo_per_second: float
    questions: int


def measure(index: Path, workdir: Path) -> Throughput | None:
    """Questions per second through `storybot serve` and through the echo bot; None until written."""
    return None
