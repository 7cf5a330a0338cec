"""`storybot ask --jsonl` embeds the questions of the lines it has read in one batched call up front
(AnswerService.prefetch), and prints exactly what it printed when each question was embedded on its own."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli.asking import READ_AHEAD, _ask_jsonl
from index.service import AnswerService
from tests.conftest import ROOT
from tests.storybot_run import run

NEWS = ROOT / "tools" / "news_qa"


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Our news set's stories in an index with sentence embeddings (the real model)."""
    folder = tmp_path_factory.mktemp("news")
    stories = folder / "stories"
    shutil.copytree(NEWS / "stories", stories)
    path = folder / "index.json"
    AnswerService(path, stories, semantic=True).open()
    return path, stories


def _input() -> str:
    """Our news set's questions, and around them what a file of questions holds besides: repeats, a blank
    line, a broken one, an unknown story, and conversations whose follow-ups resolve to new text."""
    items: list[dict[str, object]] = []
    for n, line in enumerate((NEWS / "questions.jsonl").read_text(encoding="utf-8").splitlines()):
        if line.strip():
            item = json.loads(line)
            items.append({"question": item["q"], "chat": f"c{n % 7}"} if n % 5 == 0 else {"question": item["q"]})
            if n % 5 == 0:
                items.append({"question": "who said so?" if n % 2 else "and what else?", "chat": f"c{n % 7}"})
    lines = [json.dumps(item) for item in items]
    lines[10:10] = ["", "not json", lines[3], json.dumps({"question": "who won?", "story": "no-such-story"})]
    return "\n".join(lines) + "\n"


def _answered(service: AnswerService, read_ahead: int, stdin: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr("sys.stdout", out)
    assert _ask_jsonl(service, 3, read_ahead) == 0
    return out.getvalue().splitlines()


def _same_but_for_the_last_digit(prefetched: str, alone: str) -> bool:
    """The same answer, word for word, its confidence and scores within one unit of their 4th decimal place."""
    a, b = json.loads(prefetched), json.loads(alone)
    numbers = [("confidence", a.get("confidence"), b.get("confidence"))]
    pairs = zip(a["answers"], b["answers"], strict=True)
    numbers += [(f"score {i}", x.pop("score"), y.pop("score")) for i, (x, y) in enumerate(pairs)]
    a.pop("confidence", None)
    b.pop("confidence", None)
    return a == b and all(x == y or abs(x - y) <= 1.0001e-4 for _, x, y in numbers)


def test_prefetched_lines_are_the_one_by_one_lines_but_for_a_last_digit(
    news_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, stories = news_index
    stdin = _input()
    alone = AnswerService(path, stories, semantic=True)
    one_by_one = _answered(alone, 0, stdin, monkeypatch)
    together = AnswerService(path, stories, semantic=True)
    prefetched = _answered(together, READ_AHEAD, stdin, monkeypatch)
    assert len(one_by_one) == len(prefetched) == stdin.count("\n") - 1  # every line answered, the blank one skipped
    # A batch's rows differ from a lone call's in the last bits of a float32 (ONNX Runtime computes a batch of
    # one in another order), so a score on the edge of its 4th decimal place may print one unit apart: here one
    # line in 582 did, on the day --prefetch was written. Nothing else may differ.
    for a, b in zip(prefetched, one_by_one, strict=True):
        assert a == b or _same_but_for_the_last_digit(a, b), (a, b)

    # the questions were embedded before they were asked: their first asking found them in the cache
    assert together._question_vector.cache_info().hits > alone._question_vector.cache_info().hits + 300

    # the command itself, reading a pipe (the read-ahead's thread on a real file descriptor): without --prefetch it
    # prints what it printed before; with it, the same lines as above however the lines happened to arrive
    result = run("ask", "--index", str(path), "--jsonl", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == one_by_one
    result = run("ask", "--index", str(path), "--jsonl", "--prefetch", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == prefetched


def test_prefetch_fills_the_cache_the_questions_are_asked_through(
    news_index: tuple[Path, Path],
) -> None:
    path, stories = news_index
    service = AnswerService(path, stories, semantic=True)
    questions = ["How much are property taxes going up in Millbrook?", "What happened at the meeting?"]
    service.prefetch([*questions, questions[0]])
    assert service._question_vector.cache_info().hits == 0
    answers = [service.ask(q) for q in questions]
    assert service._question_vector.cache_info().hits == 2  # neither reached the model
    alone = AnswerService(path, stories, semantic=True)
    assert [a.to_json() for a in answers] == [alone.ask(q).to_json() for q in questions]

    words = AnswerService(path, stories, semantic=False)
    words.prefetch(questions)  # nothing to embed for: the model is never loaded
    assert words.embedder() is None
