"""Issue 11: questions arriving together share one model call (index/coalesce.py), and `ask --jsonl --prefetch`.

Side by side in one run, taking turns, medians of the rounds:
- threads embedding distinct questions at once (our news set's questions, tools/news_qa, dealt out to them),
  each question in its own ONNX Runtime call as before, against the same threads through `CoalescingEmbedder`
  allowing one call at a time and allowing one per core (the service's choice). The embedder is loaded as
  the service loads it for questions: one intra-op thread.
- `storybot ask --jsonl` on a file of those questions (a fresh process: the model's load included), against
  the same with `--prefetch`, on the bundled story's index with embeddings.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NEWS_QUESTIONS = ROOT / "tools" / "news_qa" / "questions.jsonl"


@dataclass(frozen=True, slots=True)
class Way:
    """One way of embedding the questions: questions/s in each round, and model calls in the last."""

    name: str
    runs: tuple[float, ...]
    calls: int

    @property
    def per_second(self) -> float:
        return statistics.median(self.runs)


@dataclass(frozen=True, slots=True)
class Coalescing:
    questions: int
    threads: int
    rounds: int
    cores: int
    ways: tuple[Way, ...]  # the first is one call per question, as before
    jsonl_seconds: tuple[float, ...] = ()  # `ask --jsonl`, each round
    prefetch_seconds: tuple[float, ...] = ()  # `ask --jsonl --prefetch`, each round
    jsonl_lines: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # the machine's load average at the start and at the end


def news_questions() -> list[str]:
    lines = NEWS_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys(json.loads(line)["q"] for line in lines if line.strip()))


def _rate(questions: Sequence[str], threads: int, embed_one: Callable[[str], np.ndarray]) -> float:
    """Questions/s with `threads` threads each embedding its share, all started together."""
    shares = [questions[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def work(share: Sequence[str]) -> None:
        start.wait()
        for question in share:
            embed_one(question)

    workers = [threading.Thread(target=work, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return len(questions) / (time.perf_counter() - began)


def _jsonl(index: Path, stdin: str, prefetch: bool) -> float:
    command = [sys.executable, "-m", "bot.cli", "ask", "--index", str(index), "--jsonl"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOT_", "TELEGRAM_"))}
    began = time.perf_counter()
    done = subprocess.run(
        [*command, *(["--prefetch"] if prefetch else [])], input=stdin, capture_output=True, text=True, env=env
    )
    took = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"bench: `storybot ask --jsonl` failed:\n{done.stderr}")
    return took


def measure(semantic_index: Path | None, threads: int = 8, rounds: int = 5) -> Coalescing:
    """`semantic_index`: an index with embeddings for the `ask --jsonl` rows (None: those rows are skipped)."""
    from index.coalesce import CoalescingEmbedder
    from index.embed import Embedder
    from index.service import _cores

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    model = Embedder.load(1)
    questions = news_questions()
    for question in questions[:20]:  # warm: the first calls allocate
        model.embed_one(question)
    cores = _cores()
    calls: list[int] = []

    def counted(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return model.embed(texts)

    def one_each(question: str) -> np.ndarray:
        calls.append(1)
        return model.embed_one(question)

    ways: dict[str, Callable[[], Callable[[str], np.ndarray]]] = {
        "one call per question (before)": lambda: one_each,
        "coalesced, one call at a time": lambda: CoalescingEmbedder(counted).embed_one,
        f"coalesced, one call per core ({cores}: the service's choice)": lambda: (
            CoalescingEmbedder(counted, calls=cores).embed_one
        ),
    }
    runs: dict[str, list[float]] = {name: [] for name in ways}
    last_calls: dict[str, int] = {}
    stdin = "".join(json.dumps({"question": q}) + "\n" for q in questions)
    jsonl: list[float] = []
    prefetch: list[float] = []
    for round_ in range(rounds):
        names = list(ways)
        names = names[round_ % len(names) :] + names[: round_ % len(names)]  # each first in turn
        for name in names:
            calls.clear()
            runs[name].append(_rate(questions, threads, ways[name]()))
            last_calls[name] = len(calls)
        if semantic_index is not None and round_ < 3:
            first, second = (False, True) if round_ % 2 == 0 else (True, False)
            for prefetched in (first, second):
                (prefetch if prefetched else jsonl).append(_jsonl(semantic_index, stdin, prefetched))
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return Coalescing(
        questions=len(questions),
        threads=threads,
        rounds=rounds,
        cores=cores,
        ways=tuple(Way(name, tuple(runs[name]), last_calls[name]) for name in ways),
        jsonl_seconds=tuple(jsonl),
        prefetch_seconds=tuple(prefetch),
        jsonl_lines=len(questions),
        load=(load_start, load_end),
    )
