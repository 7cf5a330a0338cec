"""Answer-quality metrics: a QA file in the shared JSONL format, and WikiQA sentence selection.

Pure: files come in as text and answers come from a function, so the same code scores the CLI's
`storybot eval` and an in-process tuning loop. The protocols follow the shared scorers:
- QA lines are {"q", "gold": [substring of the right sentence, ...]} or {"q", "abstain": true};
  an answerable question is right when it is answered and the top sentence holds a gold substring,
  an unanswerable one when it is not answered.
- WikiQA (Yang, Yih and Meek, EMNLP 2015): each document is a story (title line, then its sentences as
  one paragraph), each question is asked of its own story; P@1 and MRR over the questions that have a
  correct sentence, answer-triggering precision, recall and F1 over all questions.

Both reports also say how well the answers' confidence is calibrated: the expected calibration error
over 10 equal-width bins (|mean confidence - share whose top sentence is right|, weighted by the bin's
size; an unanswerable question's top sentence is never right), and the reliability table behind it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from index.types import Answer


class EvalFileError(Exception):
    """An evaluation file that cannot be read; the message is one line."""


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float
    count: int
    confidence: float  # mean confidence in the bin
    right: float  # share of its questions whose top sentence is right


@dataclass(frozen=True, slots=True)
class Calibration:
    ece: float
    bins: tuple[Bin, ...]  # the non-empty ones

    def table(self) -> str:
        """The reliability table: one line per non-empty bin."""
        lines = ["confidence    questions  mean confidence  right"]
        for b in self.bins:
            lines.append(f"{b.low:.1f}-{b.high:.1f}  {b.count:>13}  {b.confidence:>15.3f}  {b.right:>5.3f}")
        return "\n".join(lines)


def calibration(pairs: Iterable[tuple[float, bool]], bins: int = 10) -> Calibration:
    """(confidence, top sentence right) pairs to their expected calibration error and reliability table."""
    filled: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for conf, right in pairs:
        filled[min(max(int(conf * bins), 0), bins - 1)].append((conf, right))
    total = sum(len(b) for b in filled)
    rows: list[Bin] = []
    error = 0.0
    for n, inside in enumerate(filled):
        if not inside:
            continue
        mean = sum(c for c, _ in inside) / len(inside)
        share = sum(r for _, r in inside) / len(inside)
        error += abs(mean - share) * len(inside)
        rows.append(Bin(n / bins, (n + 1) / bins, len(inside), mean, share))
    return Calibration(error / total if total else 0.0, tuple(rows))


@dataclass(frozen=True, slots=True)
class QAItem:
    question: str
    gold: tuple[str, ...] = ()
    abstain: bool = False


@dataclass(frozen=True, slots=True)
class Miss:
    question: str
    answered: bool
    sentence: str


@dataclass(frozen=True, slots=True)
class QAReport:
    answered_right: int
    answerable: int
    abstained_right: int
    unanswerable: int
    misses: tuple[Miss, ...] = field(default=())
    calibration: Calibration = field(default_factory=lambda: calibration(()))

    def __str__(self) -> str:
        return (
            f"answered right {self.answered_right}/{self.answerable}, "
            f"abstained right {self.abstained_right}/{self.unanswerable}"
        )


def parse_qa(text: str) -> list[QAItem]:
    """QA lines to items; a malformed line is an EvalFileError naming it."""
    items: list[QAItem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            question = data["q"]
            abstain = bool(data.get("abstain", False))
            gold = () if abstain else tuple(data["gold"])
            if not isinstance(question, str) or not all(isinstance(g, str) for g in gold) or not (abstain or gold):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EvalFileError(
                f'line {n}: expected {{"q": str, "gold": [str, ...]}} or {{"q": str, "abstain": true}}'
            ) from None
        items.append(QAItem(question, gold, abstain))
    if not items:
        raise EvalFileError("no questions in the file")
    return items


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def score_qa(items: Iterable[QAItem], ask: Callable[[str], Answer]) -> QAReport:
    ok = answerable = abstained = unanswerable = 0
    misses: list[Miss] = []
    pairs: list[tuple[float, bool]] = []
    for item in items:
        result = ask(item.question)
        top = result.best.sentence.text if result.best else ""
        holds = not item.abstain and any(_norm(g) in _norm(top) for g in item.gold)
        pairs.append((result.confidence, holds))
        if item.abstain:
            unanswerable += 1
            good = not result.answered
            abstained += good
        else:
            answerable += 1
            good = result.answered and holds
            ok += good
        if not good:
            misses.append(Miss(item.question, result.answered, top))
    return QAReport(ok, answerable, abstained, unanswerable, tuple(misses), calibration(pairs))


@dataclass(frozen=True, slots=True)
class WikiDoc:
    id: str
    title: str
    sentence_ids: tuple[str, ...]
    sentences: tuple[str, ...]

    def story_text(self) -> str:
        """The story file the shared scorer writes for this document."""
        return self.title + "\n\n" + " ".join(self.sentences) + "\n"


@dataclass(frozen=True, slots=True)
class WikiQuestion:
    id: str
    question: str
    doc: str
    gold: frozenset[str]


@dataclass(frozen=True, slots=True)
class WikiReport:
    answerable: int
    questions: int
    mrr: float
    p_at_1: float
    precision: float
    recall: float
    f1: float
    wrong_story: int = 0
    calibration: Calibration = field(default_factory=lambda: calibration(()))

    def __str__(self) -> str:
        return (
            f"{self.answerable} answerable of {self.questions}; MRR {self.mrr:.3f} P@1 {self.p_at_1:.3f}; "
            f"triggering P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f}"
        )


WIKIQA_COLUMNS = ("QuestionID", "Question", "DocumentID", "DocumentTitle", "SentenceID", "Sentence", "Label")


def parse_wikiqa(text: str) -> tuple[dict[str, WikiDoc], list[WikiQuestion]]:
    """A WikiQA TSV (with its header line) to documents and questions, in file order."""
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or any(c not in rows[0] for c in WIKIQA_COLUMNS):
        raise EvalFileError("not a WikiQA TSV: expected the header " + "\\t".join(WIKIQA_COLUMNS))
    docs: dict[str, tuple[str, dict[str, str]]] = {}
    questions: dict[str, tuple[str, str, set[str]]] = {}
    for n, row in enumerate(rows, 2):
        if any(row.get(c) is None for c in WIKIQA_COLUMNS):
            raise EvalFileError(f"line {n}: expected {len(WIKIQA_COLUMNS)} tab-separated columns")
        _, sents = docs.setdefault(row["DocumentID"], (row["DocumentTitle"], {}))
        sents[row["SentenceID"]] = row["Sentence"]
        _, _, gold = questions.setdefault(row["QuestionID"], (row["Question"], row["DocumentID"], set()))
        if row["Label"].strip() == "1":
            gold.add(row["SentenceID"])
    wiki_docs = {did: WikiDoc(did, title, tuple(sents), tuple(sents.values())) for did, (title, sents) in docs.items()}
    wiki_questions = [WikiQuestion(qid, q, doc, frozenset(g)) for qid, (q, doc, g) in questions.items()]
    return wiki_docs, wiki_questions


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _closest(sentence: str, doc: WikiDoc) -> str:
    """The document sentence an answer's sentence is (the splitter may cut differently): best Jaccard."""
    words = _words(sentence)
    best, best_score = doc.sentence_ids[0], -1.0
    for sid, text in zip(doc.sentence_ids, doc.sentences, strict=True):
        other = _words(text)
        score = len(words & other) / (len(words | other) or 1)
        if score > best_score:
            best, best_score = sid, score
    return best


def score_wikiqa(
    docs: dict[str, WikiDoc], questions: Iterable[WikiQuestion], ask: Callable[[str, str], Answer]
) -> WikiReport:
    """Ask each question of its own document's story (k should be large, e.g. 40, for MRR)."""
    rr = p1 = 0.0
    answerable = total = triggered = correct_triggered = wrong_story = 0
    pairs: list[tuple[float, bool]] = []
    for q in questions:
        total += 1
        doc = docs[q.doc]
        try:
            result = ask(q.question, q.doc)
        except KeyError:  # the index skipped this document (nothing in it looked like story text)
            result = Answer(q.question, False, ())
        ranked: list[str] = []
        for hit in result.hits:
            if hit.passage.story_id != q.doc:
                wrong_story += 1
                continue
            sid = _closest(hit.sentence.text, doc)
            if sid not in ranked:
                ranked.append(sid)
        top_ok = bool(ranked) and ranked[0] in q.gold
        pairs.append((result.confidence, top_ok))
        if q.gold:
            answerable += 1
            p1 += top_ok
            rank = next((i for i, s in enumerate(ranked) if s in q.gold), None)
            rr += 1 / (rank + 1) if rank is not None else 0.0
        if result.answered:
            triggered += 1
            correct_triggered += top_ok and bool(q.gold)
    precision = correct_triggered / triggered if triggered else 0.0
    recall = correct_triggered / answerable if answerable else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return WikiReport(
        answerable,
        total,
        rr / answerable if answerable else 0.0,
        p1 / answerable if answerable else 0.0,
        precision,
        recall,
        f1,
        wrong_story,
        calibration(pairs),
    )
