"""The `storybot` command's contract: index, ask (plain, --json, --jsonl, -k, --story) and their errors."""

from __future__ import annotations

import gc
import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from index.store import load
from tests.conftest import RAIL, SEED
from tests.storybot_run import one_line_error, run

SUMMIT = "where is the third summit?"
UNSPECIFIED = "in an unspecified time and place"
ANSWER_KEYS = {"story", "title", "passage_id", "paragraph", "sentence", "passage", "score", "citation"}


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _check_contract(
    result: dict[str, object], question: str, k: int, extra: frozenset[str] = frozenset()
) -> list[dict[str, object]]:
    assert set(result) == {"question", "answered", "confidence", "answers"} | extra
    assert result["question"] == question
    assert isinstance(result["answered"], bool)
    # the chance that the top sentence answers the question
    assert isinstance(result["confidence"], float)
    assert 0.0 <= result["confidence"] <= 1.0
    answers = result["answers"]
    assert isinstance(answers, list)
    assert len(answers) <= k
    for entry in answers:
        assert set(entry) == ANSWER_KEYS
        assert entry["sentence"] in entry["passage"]
        assert isinstance(entry["paragraph"], int)
        assert entry["paragraph"] >= 1
        assert entry["passage_id"].startswith(f"{entry['story']}:{entry['paragraph']}.")
    sentences = [e["sentence"] for e in answers]
    assert len(set(sentences)) == len(sentences)
    scores = [e["score"] for e in answers]
    assert scores == sorted(scores, reverse=True)
    return answers


def test_ask_plain_prints_the_sentence_and_its_citation(
    capsys: pytest.CaptureFixture[str], index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYBOT_MIN_CONFIDENCE", "0")  # answered whatever the fitted model's confidence
    code, out, _ = _main(capsys, "ask", "--index", str(index_path), SUMMIT)
    assert code == 0
    first = out.splitlines()[0]
    assert "in an unspecified time and place" in first
    assert "The U.S. and North Korea are holding 'behind-the-scenes talks'" in out  # the story title
    assert "¶1 (The Week, third-trump-kim-summit.txt)" in out


def test_ask_json_follows_the_contract(capsys: pytest.CaptureFixture[str], index_path: Path) -> None:
    code, out, _ = _main(capsys, "ask", "--index", str(index_path), "--json", SUMMIT)
    assert code == 0
    answers = _check_contract(json.loads(out), SUMMIT, 3)
    assert len(answers) == 3
    assert "in an unspecified time and place" in answers[0]["sentence"]
    assert answers[0]["story"] == SEED
    assert answers[0]["paragraph"] == 1
    assert "third-trump-kim-summit.txt" in answers[0]["citation"]


@pytest.mark.parametrize("k", [1, 5])
def test_ask_k_limits_the_answers(capsys: pytest.CaptureFixture[str], index_path: Path, k: int) -> None:
    question = "Trump Kim summit union strike rail"
    code, out, _ = _main(capsys, "ask", "--index", str(index_path), "--json", "-k", str(k), question)
    assert code == 0
    assert len(_check_contract(json.loads(out), question, k)) == k


def test_ask_story_scopes_the_question(capsys: pytest.CaptureFixture[str], index_path: Path) -> None:
    question = "what was agreed in the deal and the talks?"  # both stories have an answer of sorts
    _, out, _ = _main(capsys, "ask", "--index", str(index_path), "--json", "-k", "5", question)
    assert {a["story"] for a in json.loads(out)["answers"]} == {SEED, RAIL}
    for story in (SEED, RAIL):
        _, out, _ = _main(capsys, "ask", "--index", str(index_path), "--json", "-k", "5", "--story", story, question)
        result = json.loads(out)
        assert result["answers"]
        assert {a["story"] for a in result["answers"]} == {story}


def test_an_unanswerable_question_says_so_and_still_lists_candidates(
    capsys: pytest.CaptureFixture[str], index_path: Path
) -> None:
    question = "How many lifeguards did the summit hire?"
    _, out, _ = _main(capsys, "ask", "--index", str(index_path), "--json", question)
    result = json.loads(out)
    assert result["answered"] is False
    assert result["answers"]
    _, out, _ = _main(capsys, "ask", "--index", str(index_path), question)
    assert out.startswith("The story doesn't say")


def test_ask_jsonl_answers_each_line_in_order(
    capsys: pytest.CaptureFixture[str], index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"question": SUMMIT},
        {"question": "what did the union accept?", "story": RAIL},
        {"question": "who called Kim's letter beautiful?", "story": SEED},
        {"question": "what did the union accept?", "story": "no-such-story"},
        {"question": "how many daily riders would the strike have hit?"},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines[:2]) + "\n\nnot json\n" + "\n".join(json.dumps(x) for x in lines[2:])
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))
    code, out, _ = _main(capsys, "ask", "--index", str(index_path), "--jsonl", "-k", "2")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 6  # the blank line is skipped, the bad one answered with an error
    good = [r for i, r in enumerate(results) if i not in (2, 4)]
    assert [r["question"] for r in good] == [x["question"] for x in lines if x.get("story") != "no-such-story"]
    for r, asked in zip(good, [lines[0], lines[1], lines[2], lines[4]], strict=True):
        _check_contract(r, asked["question"], 2, frozenset({"understood"}))
        assert r["understood"] == asked["question"]  # no chat id: answered alone
        if "story" in asked:
            assert {a["story"] for a in r["answers"]} == {asked["story"]}
    assert "in an unspecified time and place" in results[0]["answers"][0]["sentence"]
    assert results[2]["answered"] is False
    assert "line 4" in results[2]["error"]  # numbered as in the input, blank lines included
    assert results[4]["answers"] == []
    assert "no-such-story" in results[4]["error"]
    assert "210,000" in results[5]["answers"][0]["sentence"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ask", "--story", "no-such-story", SUMMIT], "no story 'no-such-story' in the index"),
        (["ask", "-k", "0", SUMMIT], "-k must be at least 1"),
        (["ask"], "give a QUESTION, or --jsonl"),
        (["ask", "--jsonl", SUMMIT], "give a QUESTION, or --jsonl"),
        (["ask", "--prefetch", SUMMIT], "--prefetch goes with --jsonl"),
        (["chat", "--story", "no-such-story"], "no story 'no-such-story' in the index"),
    ],
)
def test_usage_errors_are_one_line_exit_2(index_path: Path, argv: list[str], expected: str) -> None:
    line = one_line_error(run(*argv, "--index", str(index_path)))
    assert expected in line


def test_ask_builds_the_index_when_missing(stories_dir: Path, tmp_path: Path) -> None:
    index_path = tmp_path / "fresh" / "index.json"
    env = {"STORYBOT_STORIES_DIR": str(stories_dir), "STORYBOT_MIN_CONFIDENCE": "0"}
    r = run("ask", "--index", str(index_path), "--json", SUMMIT, env=env)
    assert r.returncode == 0, r.stderr
    assert "built the index" in r.stderr
    assert json.loads(r.stdout)["answered"] is True
    assert UNSPECIFIED in json.loads(r.stdout)["answers"][0]["sentence"]
    assert {s.id for s in load(index_path).stories} == {SEED, RAIL}


def test_index_reports_passages_kept_and_lines_dropped(
    capsys: pytest.CaptureFixture[str], stories_dir: Path, tmp_path: Path
) -> None:
    index_path = tmp_path / "i.json"
    code, out, err = _main(capsys, "index", "--stories", str(stories_dir), "--index", str(index_path))
    assert code == 0
    assert err == ""
    assert out.splitlines() == [
        "rail-strike-called-off: 4 passages kept, 13 lines dropped",
        "third-trump-kim-summit: 4 passages kept, 29 lines dropped",
        f"index written to {index_path}: 2 stories, 0 skipped; 2 analysed, 0 unchanged",
    ]
    code, out, _ = _main(capsys, "index", "--stories", str(stories_dir), "--index", str(index_path))
    assert code == 0
    assert out.splitlines() == [  # a second run reuses both stories and reports them the same
        "rail-strike-called-off: 4 passages kept, 13 lines dropped",
        "third-trump-kim-summit: 4 passages kept, 29 lines dropped",
        f"index written to {index_path}: 2 stories, 0 skipped; 0 analysed, 2 unchanged",
    ]
    code, out, _ = _main(capsys, "index", "--stories", str(stories_dir), "--index", str(index_path), "--show-dropped")
    assert "  - line 1 [navigation]: Skip to main content" in out
    assert "  - line 18 [author bio]: Tom Reyes covers transportation" in out
    assert sum(1 for line in out.splitlines() if line.startswith("  - line ")) == 13 + 29


def test_bytes_that_are_not_utf8_never_crash_the_command(index_path: Path) -> None:

    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}  # the strictest locale a user can have
    base = [sys.executable, "-m", "bot.cli"]
    r = subprocess.run(
        [*base, "ask", "--index", str(index_path), "--json", b"summit \xff".decode("utf-8", "surrogateescape")],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["question"].startswith("summit ")
    stdin = b'{"question": "where is the summit?"}\n\xff\xfe\n{"question": "summit \xc3"}\n'
    r = subprocess.run(
        [*base, "ask", "--index", str(index_path), "--jsonl"], input=stdin, capture_output=True, env=env, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.decode().splitlines()) == 3
    r = subprocess.run(
        [*base, "chat", "--index", str(index_path)],
        input=b"\xff\xfe?\n" + SUMMIT.encode() + b"\n",
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "in an unspecified time and place" in r.stdout.decode()


def test_ask_jsonl_replies_to_each_line_as_it_arrives(index_path: Path) -> None:

    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", "--index", str(index_path), "--jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # buffered, as for a user
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        for line, expected in [('{"question": "where is the third summit?"}', SUMMIT), ("oops", "")]:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()  # stdin stays open: the reply must come before the next question
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, f"no reply to {line!r} while stdin stays open"
            assert json.loads(proc.stdout.readline())["question"] == expected
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdin.close()
        proc.stdout.close()


def test_a_run_of_questions_freezes_the_loaded_index_out_of_the_collectors_way(
    capsys: pytest.CaptureFixture[str], index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"question": SUMMIT}) + "\n"))
    assert gc.get_freeze_count() == 0
    code, out, _ = _main(capsys, "ask", "--index", str(index_path), "--jsonl")
    assert code == 0
    assert json.loads(out)["question"] == SUMMIT
    assert gc.get_freeze_count() > 0  # as the bot and the chat do (bot/heap.py); the fixture unfreezes it
