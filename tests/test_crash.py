"""`storybot index` killed with SIGKILL at random moments, again and again: the index left always
loads, and is the old one or the new one, never half of either. Every third kill aims at the
moment the writer starts touching the index folder, where a non-atomic write would be caught."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.build import build
from index.store import load, save
from tests.conftest import BUNDLED, FIXTURES, RAIL, SEED

ROUNDS = 15
COPIES = 60  # per story: a build takes about half a second


def _fill(folder: Path, prefix: str) -> None:
    """Two sets of story files; which set is in the folder decides what a build holds."""
    for old in folder.iterdir():
        old.unlink()
    for i in range(COPIES):
        shutil.copy(BUNDLED / f"{SEED}.txt", folder / f"{prefix}-summit-{i:03d}.txt")
        shutil.copy(FIXTURES / f"{RAIL}.txt", folder / f"{prefix}-rail-{i:03d}.txt")


def _signature(index_path: Path) -> tuple[str, ...]:
    return tuple(s.id for s in load(index_path).stories)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for entry in os.scandir(folder):
        try:
            info = entry.stat()
        except FileNotFoundError:  # renamed away while we looked
            continue
        out[entry.name] = (info.st_size, info.st_mtime_ns)
    return out


def _wait_for_change(
    folder: Path, before: dict[str, tuple[int, int]], proc: subprocess.Popen[bytes], then: float
) -> None:
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline and _files(folder) == before:
        time.sleep(0.0002)
    time.sleep(then)


def test_sigkill_during_rebuilds_leaves_the_old_or_the_new_index(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    index_path = tmp_path / "index" / "index.json"
    expected = {}
    for prefix in ("old", "new"):
        _fill(folder, prefix)
        index, _ = build(folder)
        expected[prefix] = tuple(s.id for s in index.stories)
        whole = index
    save(whole, index_path)  # start from a complete "new" index

    rng = random.Random(20260512)
    command = [sys.executable, "-m", "bot.cli", "index", "--stories", str(folder), "--index", str(index_path)]
    # the words-only build: the write under test is the same with embeddings, which only make it slower
    env = {**os.environ, "STORYBOT_SEMANTIC": "false"}
    started = time.monotonic()
    first = subprocess.run(command, capture_output=True, timeout=60, check=True, env=env)
    duration = time.monotonic() - started
    assert first.returncode == 0

    outcomes = []
    for round_number in range(ROUNDS):
        before = _signature(index_path)
        prefix = "old" if round_number % 2 == 0 else "new"
        _fill(folder, prefix)
        files_before = _files(index_path.parent)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        if round_number % 3 == 2:
            # The moment the writer touches the index folder: a file rewritten in place would be
            # cut short here, so the rounds that aim at the write are the ones that can catch it.
            _wait_for_change(index_path.parent, files_before, proc, rng.uniform(0, 0.002))
        else:
            time.sleep(rng.uniform(0.05, duration * 1.5))  # mid-build, mid-write or after
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        mid_write = any(p.name.endswith(".tmp") and p.name not in files_before for p in index_path.parent.iterdir())
        after = _signature(index_path)  # raises if the file is half written
        assert after in (before, expected[prefix]), f"round {round_number}: neither the old nor the new index"
        outcomes.append("mid-write" if mid_write else "new" if after == expected[prefix] != before else "old")
    print(f"SIGKILL rounds: {', '.join(f'{outcomes.count(o)} {o}' for o in ('old', 'mid-write', 'new'))}")

    # The killed writers' temp files go with the next complete build.
    subprocess.run(command, capture_output=True, timeout=60, check=True, env=env)
    assert sorted(p.name for p in index_path.parent.iterdir()) == ["index.json"]
    assert _signature(index_path) == expected["new" if (ROUNDS - 1) % 2 else "old"]
