"""The team's news question set (tools/news_qa), fitting data for the answer model: well formed."""

from __future__ import annotations

import json
from pathlib import Path

NEWS = Path(__file__).resolve().parent.parent / "tools" / "news_qa"


def _questions() -> list[dict[str, object]]:
    lines = (NEWS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_question_names_a_story_and_either_gold_answers_or_an_abstention() -> None:
    stories = {p.stem for p in (NEWS / "stories").glob("*.txt")}
    questions = _questions()
    assert len(stories) >= 10
    assert len(questions) >= 20 * len(stories)
    for q in questions:
        assert q["story"] in stories, q
        assert isinstance(q["q"], str), q
        assert q["q"].strip(), q
        assert ("gold" in q) != bool(q.get("abstain")), q
    assert {q["story"] for q in questions} == stories  # no story without questions


def test_each_gold_answer_is_text_of_its_story() -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (NEWS / "stories").glob("*.txt")}
    for q in _questions():
        for gold in q.get("gold", []):  # type: ignore[attr-defined]
            assert isinstance(gold, str), q
            assert gold in texts[str(q["story"])], q


def test_both_kinds_of_question_are_there_in_a_readers_mix() -> None:
    questions = _questions()
    answerable = sum("gold" in q for q in questions)
    assert 0.5 < answerable / len(questions) < 0.9
