"""`storybot eval`: a QA file against a stories folder, and a WikiQA-format TSV, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from index.answer import answer
from index.build import build
from index.corpus import Corpus

STORY = """Library to open a second branch in Riverside

The city library will open a second branch in the Riverside district in September, director Ana Lima said on Monday.
The branch will cost 3 million dollars and hold about 40,000 books.
Lima said the old reading room downtown would stay open.
"""

QA = [
    {"q": "When will the second branch open?", "gold": ["in September"]},
    {"q": "How many books will the branch hold?", "gold": ["40,000 books"]},
    {"q": "Who is the library director?", "gold": ["director Ana Lima"]},
    {"q": "What will happen to the swimming pool?", "abstain": True},
]

DOCS = {
    "D1": ("Pangolin", ["Pangolins are scaly mammals found in Asia and Africa.", "They eat ants and termites."]),
    "D2": ("Lake Vostok", ["Lake Vostok is a lake buried under the ice of Antarctica.", "It was found in 1993."]),
}
ROWS = [
    ("Q1", "what do pangolins eat", "D1", 1),
    ("Q2", "when was lake vostok found", "D2", 1),
    ("Q3", "how deep is lake vostok", "D2", None),
]


def _tsv(path: Path) -> Path:
    lines = ["QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel"]
    for qid, question, doc, gold in ROWS:
        title, sentences = DOCS[doc]
        for i, sentence in enumerate(sentences):
            lines.append(f"{qid}\t{question}\t{doc}\t{title}\t{doc}-{i}\t{sentence}\t{int(i == gold)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers by words alone: the figures below are compared with index.answer's own, asked lexically."""
    monkeypatch.setenv("STORYBOT_SEMANTIC", "false")


@pytest.mark.usefixtures("lexical")
def test_eval_scores_a_qa_file_against_a_stories_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "library.txt").write_text(STORY, encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps(item) + "\n" for item in QA), encoding="utf-8")
    assert main(["eval", str(qa), "--stories", str(stories), "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    # the figures are those of the answers themselves, asked in-process here
    corpus = Corpus(build(stories)[0])
    answers = [answer(corpus, item["q"], None, 3) for item in QA]
    right = sum(
        a.answered and a.best is not None and str(item["gold"][0]) in a.best.sentence.text
        for item, a in zip(QA, answers, strict=True)
        if "gold" in item
    )
    assert out[0] == f"qa.jsonl: answered right {right}/3, abstained right {int(not answers[3].answered)}/1"
    assert re.fullmatch(r"confidence: expected calibration error \d\.\d{3} \(10 bins\)", out[1])
    assert len(out) == 2  # --quiet: no misses, no reliability table


def test_eval_lists_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "library.txt").write_text(STORY, encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"q": "When will the second branch open?", "gold": ["stay open"]}) + "\n")
    assert main(["eval", str(qa), "--stories", str(stories)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("miss: 'When will the second branch open?' -> ")
    assert out[1] == "qa.jsonl: answered right 0/1, abstained right 0/0"
    # the one question's top sentence is not right whatever its confidence: a one-row reliability table
    assert out[2].startswith("confidence: expected calibration error ")
    assert out[3].split() == ["confidence", "questions", "mean", "confidence", "right"]
    assert out[4].split()[1] == "1"
    assert out[4].split()[3] == "0.000"


@pytest.mark.usefixtures("lexical")
def test_eval_scores_a_wikiqa_tsv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(_tsv(tmp_path / "tiny.tsv"))]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    found = re.fullmatch(
        r"WikiQA tiny: 2 answerable of 3; MRR (\S+) P@1 (\S+); triggering P (\S+) R (\S+) F1 (\S+)", out[0]
    )
    assert found, out
    mrr, p1, *_ = (float(x) for x in found.groups())
    assert (mrr, p1) == (1.0, 1.0)
    assert out[1].startswith("confidence: expected calibration error ")
    assert sum(int(line.split()[1]) for line in out[3:]) == 3  # every question in one bin of the table


def test_eval_with_the_embedding_model_scores_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYBOT_SEMANTIC", "true")
    assert main(["eval", str(_tsv(tmp_path / "tiny.tsv")), "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"WikiQA tiny: 2 answerable of 3; MRR \S+ P@1 \S+; triggering P \S+ R \S+ F1 \S+", out[0])
    assert re.fullmatch(r"confidence: expected calibration error \d\.\d{3} \(10 bins\)", out[1])


def test_eval_bad_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 2
    assert capsys.readouterr().err.strip() == f"storybot: no such file: {tmp_path / 'missing.jsonl'}"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "wrong key"}\n')
    assert main(["eval", str(bad), "--stories", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("storybot: ")
    assert "line 1: expected" in err
    assert "\n" not in err
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("a\tb\n1\t2\n")
    assert main(["eval", str(tsv)]) == 2
    assert "not a WikiQA TSV" in capsys.readouterr().err
