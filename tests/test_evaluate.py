"""The metrics: computed exactly on hand-made answers, so each number is checked against arithmetic."""

from __future__ import annotations

import pytest

from index.evaluate import EvalFileError, parse_qa, parse_wikiqa, score_qa, score_wikiqa
from index.types import Answer, Citation, Hit, Passage, Sentence

HEADER = "QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel"


def _answer(question: str, answered: bool, sentences: list[str], story: str = "D1") -> Answer:
    hits = []
    for i, text in enumerate(sentences):
        sentence = Sentence(text, 0, len(text))
        passage = Passage(f"{story}:1.{i}", story, 1, (sentence,), 0, len(text))
        hits.append(Hit(passage, sentence, 1.0, Citation(story, "t", 1, "", "f")))
    return Answer(question, answered, tuple(hits))


def test_parse_qa_reads_gold_and_abstain_lines_and_names_a_bad_line() -> None:
    items = parse_qa('{"q": "a?", "gold": ["x"]}\n\n{"q": "b?", "abstain": true}\n')
    assert [(i.question, i.gold, i.abstain) for i in items] == [("a?", ("x",), False), ("b?", (), True)]
    with pytest.raises(EvalFileError, match="line 2"):
        parse_qa('{"q": "a?", "gold": ["x"]}\n{"q": "b?"}\n')
    with pytest.raises(EvalFileError, match="no questions"):
        parse_qa("\n")


def test_score_qa_counts_right_answers_and_right_abstentions() -> None:
    items = parse_qa(
        '{"q": "right", "gold": ["Cost  is $41 million"]}\n'
        '{"q": "wrong sentence", "gold": ["nowhere"]}\n'
        '{"q": "abstained", "gold": ["cost"]}\n'
        '{"q": "should abstain", "abstain": true}\n'
        '{"q": "answered anyway", "abstain": true}\n'
    )
    replies = {
        "right": _answer("right", True, ["The cost is $41 million over three years."]),
        "wrong sentence": _answer("wrong sentence", True, ["Something else."]),
        "abstained": _answer("abstained", False, ["The cost is high."]),
        "should abstain": _answer("should abstain", False, []),
        "answered anyway": _answer("answered anyway", True, ["A guess."]),
    }
    report = score_qa(items, lambda q: replies[q])
    assert (report.answered_right, report.answerable, report.abstained_right, report.unanswerable) == (1, 3, 1, 2)
    assert [m.question for m in report.misses] == ["wrong sentence", "abstained", "answered anyway"]
    assert str(report) == "answered right 1/3, abstained right 1/2"


TSV = "\n".join(
    [
        HEADER,
        "Q1\twhat is a kiwi\tD1\tKiwi\tD1-0\tThe kiwi is a flightless bird.\t1",
        "Q1\twhat is a kiwi\tD1\tKiwi\tD1-1\tIt lives in New Zealand.\t0",
        "Q1\twhat is a kiwi\tD1\tKiwi\tD1-2\tIt lays one large egg.\t0",
        "Q2\twhere do kiwis live\tD1\tKiwi\tD1-0\tThe kiwi is a flightless bird.\t0",
        "Q2\twhere do kiwis live\tD1\tKiwi\tD1-1\tIt lives in New Zealand.\t0",
        "Q2\twhere do kiwis live\tD1\tKiwi\tD1-2\tIt lays one large egg.\t1",
        "Q3\twhat do kiwis eat\tD1\tKiwi\tD1-0\tThe kiwi is a flightless bird.\t0",
        "Q3\twhat do kiwis eat\tD1\tKiwi\tD1-1\tIt lives in New Zealand.\t0",
        "Q3\twhat do kiwis eat\tD1\tKiwi\tD1-2\tIt lays one large egg.\t0",
    ]
)


def test_parse_wikiqa_groups_documents_and_gold_sentences() -> None:
    docs, questions = parse_wikiqa(TSV)
    assert docs["D1"].story_text() == (
        "Kiwi\n\nThe kiwi is a flightless bird. It lives in New Zealand. It lays one large egg.\n"
    )
    assert [(q.id, q.doc, sorted(q.gold)) for q in questions] == [
        ("Q1", "D1", ["D1-0"]),
        ("Q2", "D1", ["D1-2"]),
        ("Q3", "D1", []),
    ]
    with pytest.raises(EvalFileError, match="not a WikiQA TSV"):
        parse_wikiqa("a\tb\n1\t2\n")


def test_score_wikiqa_mrr_p1_and_answer_triggering() -> None:
    docs, questions = parse_wikiqa(TSV)
    replies = {
        # gold first and answered: P@1 hit, correct trigger
        "what is a kiwi": _answer("q1", True, ["The kiwi is a flightless bird.", "It lives in New Zealand."]),
        # gold second (a split sentence still maps to its closest document sentence): RR 1/2, wrong trigger
        "where do kiwis live": _answer("q2", True, ["It lives in New Zealand", "It lays one large egg."]),
        # no gold in the document: answering it is a wrong trigger
        "what do kiwis eat": _answer("q3", True, ["It lays one large egg."]),
    }
    report = score_wikiqa(docs, questions, lambda q, story: replies[q])
    assert (report.answerable, report.questions) == (2, 3)
    assert report.mrr == pytest.approx((1 + 1 / 2) / 2)
    assert report.p_at_1 == pytest.approx(1 / 2)
    assert report.precision == pytest.approx(1 / 3)
    assert report.recall == pytest.approx(1 / 2)
    assert report.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_score_wikiqa_counts_a_skipped_document_and_foreign_answers_as_misses() -> None:
    docs, questions = parse_wikiqa(TSV)

    def ask(question: str, story: str) -> Answer:
        if question == "what is a kiwi":
            raise KeyError(story)
        return _answer(question, False, ["It lays one large egg."], story="D9")

    report = score_wikiqa(docs, questions, ask)
    assert report.mrr == 0.0
    assert report.wrong_story == 2
    assert report.f1 == 0.0


def test_calibration_bins_confidences_and_weighs_each_bins_gap_by_its_size() -> None:
    from index.evaluate import calibration

    result = calibration([(0.05, False), (0.95, True), (0.95, False), (1.0, True)])
    assert [(b.low, b.count) for b in result.bins] == [(0.0, 1), (0.9, 3)]
    top = result.bins[1]
    assert top.confidence == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    assert top.right == pytest.approx(2 / 3)
    assert result.ece == pytest.approx((0.05 + 3 * abs(top.confidence - 2 / 3)) / 4)
    assert calibration([]).ece == 0.0
    assert len(result.table().splitlines()) == 3
