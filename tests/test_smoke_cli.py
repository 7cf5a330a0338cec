"""The command end to end on the bundled story, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from index.model import load
from tests.conftest import ROOT


def storybot(*args: str, stdin: str = "", env_index: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_where_is_the_third_summit(tmp_path: Path) -> None:
    index = str(tmp_path / "index.json")
    r = storybot("ask", "--index", index, "--json", "where is the third summit?")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "in an unspecified time and place" in out["answers"][0]["sentence"]
    # answered when the fitted model is sure enough (semantic weights: the default settings)
    ranker = load().ranker(semantic=True)
    assert out["answered"] == (out["confidence"] >= ranker.min_confidence - 5e-5)
    assert out["answers"][0]["story"] == "third-trump-kim-summit"


def test_chat_reads_piped_questions(tmp_path: Path) -> None:
    r = storybot("chat", "--index", str(tmp_path / "i.json"), stdin="where is the third summit?\n")
    assert r.returncode == 0, r.stderr
    assert "unspecified time and place" in r.stdout
    assert "¶1" in r.stdout
