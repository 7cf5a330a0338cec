"""Fit the answer model (index/answer_model.json) on WikiQA, SQuAD 2.0 and the team's news set: `make fit`.

    .venv/bin/python tools/fit_answer.py            # fit and write index/answer_model.json
    .venv/bin/python tools/fit_answer.py --dry-run  # fit and print the figures, write nothing

Data, read from ../shared at fit time and never copied into the project:
- WikiQA train (Yang, Yih and Meek, EMNLP 2015): each document becomes one story exactly as the shared
  scorer writes it; a candidate is right when it is (by word overlap) a sentence labelled 1.
- the 16 SQuAD 2.0 development articles in ../shared/eval/squad2 (Rajpurkar, Jia and Liang, ACL 2018,
  CC BY-SA 4.0); a candidate is right when it holds a gold answer text. Each question is asked twice:
  of its article, and of the whole index (then the sentence must also be from its article).
- tools/news_qa (in the project): fictional news stories, scraped-page clutter included, and the
  questions readers ask of such stories, written by the storybot team: yes/no questions, paraphrases,
  off-topic questions. Neither WikiQA nor SQuAD has the kind of text or question the bot serves.

Every feature comes from index.features.featurize, the function that serves answers. The candidates'
scores come from a listwise logistic ranker; the confidence from a logistic regression (Platt scaling,
scikit-learn, only here) over the best candidate's own features and its margins to the runner-up,
fitted on out-of-fold rankings with each data set weighing the same. It weighs only evidence that
means the same whatever the size of the document (CONFIDENCE_FEATURES, CONFIDENCE_MARGINS): not the
number of candidates, a softmax share over them, raw BM25 scores or positions, which tell the data sets
apart (short WikiQA documents, mostly unanswerable; long SQuAD articles) more than right from wrong.
One kind of text does change the odds, and that is weighed openly (STORY_LEVEL, never in the ranking):
how much of the story reports what people said. Readers of a news report mostly ask what it says (three
in four of the news set's questions), while SQuAD 2.0 was written half unanswerable and most WikiQA
questions have no answer in their summary; without it the confidence was too low on news and too high on
WikiQA, and the one threshold fitted neither.

With embeddings, the questions are embedded by the model's question side, tuned here first
(tools/tune_questions.py, written to index/question_tuning.json): on each fold's training part, and each held-out
question embedded by the side tuned without its document, so the ranker is fitted and scored on the vectors
new questions will have. The side that ships is tuned on every question.

Everything reported is out of fold: five folds split by WikiQA document, SQuAD article and news story,
never by question, and the calibration inside each fold is itself fitted on inner folds of the training
part only. Transfer, the same procedure across data sets: fitted without one data set (threshold
included, chosen on its inner folds) and scored on it.
The minimum confidence is the threshold most accurate on the news set, the kind of story and question the
bot serves (choose_thresholds); WikiQA and SQuAD, mostly or half unanswerable, would set it higher.
WikiQA dev and the story question sets are checks (`make eval`), never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import tune_questions  # noqa: E402  (tools/, beside this file)

from index.build import build  # noqa: E402
from index.corpus import Corpus  # noqa: E402
from index.embed import (  # noqa: E402
    MODEL_VERSION,
    QUESTION_TUNING,
    TUNING_FORMAT,
    TUNING_VERSION,
    Embedder,
    model_zip_path,
    read_tuning,
)
from index.evaluate import WikiDoc, _closest, parse_wikiqa  # noqa: E402
from index.features import FEATURES, LEXICAL, SEMANTIC, featurize  # noqa: E402
from index.model import FORMAT, MARGINS, MODEL_PATH, VERSION, corrected, evidence, parse, report_share  # noqa: E402
from index.question import parse as parse_question  # noqa: E402
from index.service import NamedEmbedder, _cores, load_embedder  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
WIKIQA_TRAIN = SHARED / "wikiqa" / "WikiQA-train.tsv"
SQUAD_STORIES = SHARED / "squad2" / "stories"
SQUAD_QA = SHARED / "squad2" / "squad2-dev.jsonl"
NEWS = ROOT / "tools" / "news_qa"  # the team's own news stories and readers' questions (tools/news_qa/README.md)
FOLDS = 5
INNER_FOLDS = 4
K = 3  # answers asked for: the candidate pool of `storybot ask`'s default
BINS = 10
MAYBE_PRECISION = 1 / 4  # the middle band: the nearest sentence is right at least one time in four
MAYBE_WINDOW = 0.05  # ... among the questions of confidences this close above the band's bound
SERVED = "news"  # the data set like what the bot serves: the minimum confidence is chosen on it
GRID_STEP = 0.01  # the thresholds tried, this far apart
SMOOTHING = 0.03  # accuracy averaged over thresholds this close when choosing the minimum
LEVEL = 0.005  # ... and thresholds whose news-set accuracy is this close to the best are as good for it
# What the confidence weighs (those of a mode's features): the best candidate's own evidence, and its
# margins to the runner-up in the same terms. Chosen by out-of-fold calibration and transfer.
CONFIDENCE_FEATURES: tuple[str, ...] = (
    "held",
    "asks_kind",
    "cue",
    "near",
    "short",
    "verb_missing",
    "counted",
    "uncounted",
    "missing_rare",
    "cosine",
    "cosine_held",
    "asks_polar",
    "specific_missing",
    "story_reports",
)
CONFIDENCE_MARGINS: tuple[str, ...] = ("held", "cosine")
# features of the story, the same for all its sentences: they say how likely a question about such a text
# is to be answered at all (a news report's readers mostly ask what it says; SQuAD 2.0 was written half
# unanswerable), so the confidence weighs them, never the ranking
STORY_LEVEL: tuple[str, ...] = ("story_reports",)
RANKED_ON = ("wikiqa", "squad")  # the data sets the ranker is fitted on; the confidence is fitted on all
REPORTS_TAUGHT_BY = ("news",)  # the data set the news correction to the ranking is fitted on
REPORTS_L2 = 10.0  # its ridge, on standardised columns: the news set has a few hundred questions
# weighed, with the news correction, only with the embeddings on: by words alone, out of fold, they raised no
# set's P@1 by more than 0.003 and lowered every set's accuracy (WikiQA 0.603 -> 0.576, SQuAD 0.547 -> 0.538,
# news set 0.558 -> 0.544), so the lexical mode ranks as the release before
SEMANTIC_ONLY: tuple[str, ...] = ("held_offtopic", "offtopic_held")


@dataclass(slots=True)
class Example:
    dataset: str  # "wikiqa" or "squad"
    group: str  # the document or article: folds never split one
    answerable: bool
    matrix: np.ndarray  # (candidates, FEATURES)
    labels: np.ndarray  # (candidates,) bool: the candidate answers the question
    keys: list[str]  # per candidate, what the ranking is scored on (a WikiQA sentence id, or the text)
    question: str = ""
    sentences: np.ndarray | None = None  # (candidates, 384) with embeddings: what the question side is tuned on


def _norm(text: str) -> str:
    """As the shared scorers normalise text before looking for a gold answer in it."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def _corpus(files: dict[str, str], embedder: Remembering | None) -> Corpus:
    with tempfile.TemporaryDirectory(prefix="storybot-fit-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        index, _ = build(Path(tmp), embedder=embedder)
    return Corpus(index)


class Remembering:
    """The sentence embedder, remembering each text's row: the corpora are built twice (before and after the
    question side is tuned) and their sentences need embedding once."""

    def __init__(self, embedder: NamedEmbedder) -> None:
        self.embedder = embedder
        self.version = embedder.version
        self.rows: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.rows))
        if missing:
            self.rows.update(zip(missing, self.embedder.embed(missing), strict=True))
        return np.vstack([self.rows[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


# a question's vector by (its group, its text): the tuned question side's, out of fold
QuestionVectors = dict[tuple[str, str], np.ndarray]


def _examples(
    corpus: Corpus,
    asked: list[tuple[str, str | None, str, bool, Callable[[str, str], bool], Callable[[str], str]]],
    dataset: str,
    embedder: Remembering | None,
    questions: QuestionVectors | None,
) -> list[Example]:
    """(question, story or None for the whole index, group, answerable, is a candidate (its story, its
    text) right?, its ranking key) to examples, with the features index.features gives. The questions'
    vectors are `questions`' when given, else the sentence embedder's."""
    vectors = embedder.embed([q for q, *_ in asked]) if embedder is not None and questions is None else None
    out: list[Example] = []
    for n, (question, story, group, answerable, right, key) in enumerate(asked):
        if story is not None and story not in corpus.story_passages:
            continue  # the build skipped the document (nothing in it looked like story text)
        vector = None if embedder is None else questions[(group, question)] if questions is not None else vectors[n]
        found = featurize(corpus, parse_question(question), story, K, vector)
        texts = [corpus.passages[p].sentences[i].text for p, i in found.sentences]
        stories = [corpus.passages[p].story_id for p, _ in found.sentences]
        labels = np.asarray([right(s, t) for s, t in zip(stories, texts, strict=True)], dtype=bool)
        rows = None
        if corpus.embeddings is not None:
            first = corpus.passage_first_sentence
            rows = corpus.embeddings.take(np.asarray([first[p] + i for p, i in found.sentences], dtype=np.int64))
        e = Example(dataset, group, answerable, found.matrix, labels, [key(t) for t in texts], question, rows)
        out.append(e)
    return out


def wikiqa(
    embedder: Remembering | None, tuned: QuestionVectors | None = None
) -> tuple[list[Example], dict[str, int]]:
    docs, questions = parse_wikiqa(WIKIQA_TRAIN.read_text(encoding="utf-8"))
    safe = {d: re.sub(r"[^A-Za-z0-9_-]", "_", d) for d in docs}
    corpus = _corpus({f"{safe[d.id]}.txt": d.story_text() for d in docs.values()}, embedder)

    def asked(q_doc: WikiDoc, gold: frozenset[str]) -> tuple[Callable[[str, str], bool], Callable[[str], str]]:
        return (lambda _, t: _closest(t, q_doc) in gold), (lambda t: _closest(t, q_doc))

    items = []
    for q in questions:
        right, key = asked(docs[q.doc], q.gold)
        items.append((q.question, safe[q.doc], "wikiqa:" + q.doc, bool(q.gold), right, key))
    examples = _examples(corpus, items, "wikiqa", embedder, tuned)
    counts = {"documents": len(docs), "questions": len(questions), "answerable": sum(bool(q.gold) for q in questions)}
    return examples, counts


def _holds_any(story: str, gold: list[str]) -> Callable[[str, str], bool]:
    return lambda in_story, text: in_story == story and any(g in _norm(text) for g in gold)


def squad(
    embedder: Remembering | None, tuned: QuestionVectors | None = None
) -> tuple[list[Example], dict[str, int]]:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(SQUAD_STORIES.glob("*.txt"))}
    corpus = _corpus(files, embedder)
    qa = [json.loads(line) for line in SQUAD_QA.read_text(encoding="utf-8").splitlines() if line.strip()]
    items: list[tuple[str, str | None, str, bool, Callable[[str, str], bool], Callable[[str], str]]] = []
    for d in qa:
        right = _holds_any(d["story"], [_norm(g) for g in d.get("gold", [])])
        items.append((d["q"], d["story"], "squad:" + d["story"], "gold" in d, right, _norm))
    examples = _examples(corpus, items, "squad", embedder, tuned)
    # the same questions asked of the whole index, as the bot asks by default: the right sentence must
    # also come from the right article (this is what teaches story_share its weight)
    unscoped = [(q, None, group, answerable, right, key) for q, _, group, answerable, right, key in items]
    examples += _examples(corpus, unscoped, "squad_unscoped", embedder, tuned)
    counts = {"articles": len(files), "questions": len(qa), "answerable": sum("gold" in d for d in qa)}
    return examples, counts


def news(
    embedder: Remembering | None, tuned: QuestionVectors | None = None
) -> tuple[list[Example], dict[str, int]]:
    """The team's own scraped-style news stories, each question asked of its story: the kind of text and
    question the bot serves (yes/no questions, paraphrases, page clutter a reader may ask about)."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted((NEWS / "stories").glob("*.txt"))}
    if not files:
        return [], {}
    corpus = _corpus(files, embedder)
    lines = (NEWS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    qa = [json.loads(line) for line in lines if line.strip()]
    items: list[tuple[str, str | None, str, bool, Callable[[str, str], bool], Callable[[str], str]]] = []
    for d in qa:
        right = _holds_any(d["story"], [_norm(g) for g in d.get("gold", [])])
        items.append((d["q"], d["story"], "news:" + d["story"], "gold" in d, right, _norm))
    examples = _examples(corpus, items, "news", embedder, tuned)
    counts = {"stories": len(files), "questions": len(qa), "answerable": sum("gold" in d for d in qa)}
    return examples, counts


# ---- fitting ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Linear:
    weights: np.ndarray  # over the columns used, on the raw features
    bias: float

    def __call__(self, matrix: np.ndarray) -> np.ndarray:
        out: np.ndarray = matrix @ self.weights + self.bias
        return out


@dataclass(frozen=True, slots=True)
class Scorer:
    """The fitted ranking over the columns used: a linear score, plus a correction weighed by the share of
    reported speech in the best-scored candidate's story, as index.model.Ranker.score applies them."""

    columns: list[int]
    weights: np.ndarray
    bias: float
    report_weights: np.ndarray

    def __call__(self, matrix: np.ndarray) -> np.ndarray:
        x = matrix[:, self.columns]
        return corrected(x @ self.weights + self.bias, matrix, x @ self.report_weights)


def _listwise(
    used: list[Example], x: np.ndarray, l2: float, offset: np.ndarray | None = None, center: bool = True
) -> Linear:
    """A conditional logit: per question, maximise the softmax share of its right candidates among all
    its candidates, each data set weighing the same in total; `offset`, a score already given each row."""
    from scipy.optimize import minimize

    per_set = {d: sum(e.dataset == d for e in used) for d in {e.dataset for e in used}}
    y = np.concatenate([e.labels for e in used]).astype(float)
    sizes = np.asarray([len(e.labels) for e in used])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    qw = np.asarray([1.0 / per_set[e.dataset] for e in used])
    qw *= len(used) / qw.sum()
    mean = x.mean(axis=0) if center else np.zeros(x.shape[1])
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - mean) / scale
    row_q = np.repeat(np.arange(len(used)), sizes)
    given = np.zeros(len(y)) if offset is None else offset

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ w + given
        top = np.maximum.reduceat(s, starts)
        e_all = np.exp(s - top[row_q])
        sum_all = np.add.reduceat(e_all, starts)
        e_pos = e_all * y
        sum_pos = np.add.reduceat(e_pos, starts)
        value = float((qw * (np.log(sum_all) - np.log(sum_pos))).sum()) + 0.5 * l2 * float(w @ w)
        coef = qw[row_q] * (e_all / sum_all[row_q] - e_pos / sum_pos[row_q])
        return value, z.T @ coef + l2 * w

    found = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B")
    weights = found.x / scale
    return Linear(weights, float(-(weights * mean).sum()))


def _teaches(e: Example, sets: tuple[str, ...]) -> bool:
    return bool(e.labels.any()) and not e.labels.all() and _family(e.dataset) in sets


@dataclass(frozen=True, slots=True)
class Ranking:
    """What a mode's ranker weighs: feature columns, and whether news reports get their correction."""

    columns: list[int]
    news_correction: bool


def fit_ranker(examples: list[Example], ranking: Ranking, l2: float = 1.0) -> Scorer:
    """The listwise ranker, fitted on the large sets (RANKED_ON) only: the news set is too small to teach
    it (fitted with it, the news ranking gained next to nothing out of fold and WikiQA's lost). Then, with
    that ranker's scores held fixed, the news correction: the same columns times story_reports, fitted on
    the news set (REPORTS_TAUGHT_BY). It is about 0 on an encyclopaedia entry, so only news reports move."""
    columns = ranking.columns
    used = [e for e in examples if _teaches(e, RANKED_ON)]
    base = _listwise(used, np.vstack([e.matrix[:, columns] for e in used]), l2)
    news = [e for e in examples if _teaches(e, REPORTS_TAUGHT_BY)] if ranking.news_correction else []
    correction = np.zeros(len(columns))
    if news:
        given = [e.matrix[:, columns] @ base.weights + base.bias for e in news]
        gate = [report_share(g, e.matrix) for e, g in zip(news, given, strict=True)]
        x = np.vstack([e.matrix[:, columns] * g for e, g in zip(news, gate, strict=True)])
        # not centred: a correction of 0 must stay 0 where no one is reported
        correction = _listwise(news, x, REPORTS_L2, np.concatenate(given), center=False).weights
    return Scorer(columns, base.weights, base.bias, correction)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Which of index.model.evidence's numbers the confidence weighs: positions in its features
    followed by its margins."""

    features: tuple[str, ...]
    margins: tuple[str, ...]

    @property
    def picks(self) -> list[int]:
        return [FEATURES.index(n) for n in self.features] + [len(FEATURES) + MARGINS.index(n) for n in self.margins]


@dataclass(frozen=True, slots=True)
class Top:
    """The best candidate of one question: the evidence the confidence weighs, and whether it is right."""

    inputs: np.ndarray
    right: bool
    dataset: str


def top_of(e: Example, ranker: Scorer, ev: Evidence) -> tuple[Top, list[str]]:
    """The best candidate's evidence (index.model.evidence), whether it is right, and the ranking."""
    if not len(e.labels):
        return Top(np.zeros(len(ev.picks)), False, e.dataset), []
    scores = ranker(e.matrix)
    order = np.lexsort((np.arange(len(scores)), -scores))
    ranking = list(dict.fromkeys(e.keys[i] for i in order.tolist()))
    top, margins = evidence(scores, e.matrix)
    return Top(np.concatenate((top, margins))[ev.picks], bool(e.labels[order[0]]), e.dataset), ranking


def _family(dataset: str) -> str:
    return "squad" if dataset.startswith("squad") else dataset


def fit_calibration(tops: list[Top]) -> Linear:
    """Logistic regression (Platt scaling, widened to the best candidate's evidence): the chance that
    the best candidate is right. Unanswerable questions count: their best candidate is wrong. WikiQA
    and SQuAD weigh the same, so neither's share of answerable questions becomes the prior."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([t.inputs for t in tops])
    y = np.asarray([t.right for t in tops])
    per_set: dict[str, int] = {}
    for t in tops:
        per_set[_family(t.dataset)] = per_set.get(_family(t.dataset), 0) + 1
    w = np.asarray([1.0 / per_set[_family(t.dataset)] for t in tops])
    w *= len(tops) / w.sum()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y, sample_weight=w)
    weights = model.coef_[0] / scale
    return Linear(weights, float(model.intercept_[0] - (weights * mean).sum()))


def confidence(cal: Linear, inputs: np.ndarray) -> float:
    z = float(cal(inputs[None, :])[0])
    return 1.0 / (1.0 + math.exp(-max(-500.0, z)))


def _folds(examples: list[Example], n: int) -> list[tuple[list[int], list[int]]]:
    from sklearn.model_selection import GroupKFold

    groups = [e.group for e in examples]
    return [(a.tolist(), b.tolist()) for a, b in GroupKFold(n_splits=n).split(np.zeros(len(groups)), groups=groups)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question, answered out of fold."""

    dataset: str
    answerable: bool
    confidence: float
    top_right: bool
    rr: float  # reciprocal rank of the first right candidate (0 if none)


def _outcome(e: Example, ranker: Scorer, cal: Linear | None, ev: Evidence) -> tuple[Outcome, Top]:
    top, ranking = top_of(e, ranker, ev)
    right = {k for k, lab in zip(e.keys, e.labels.tolist(), strict=True) if lab}
    rank = next((r for r, key in enumerate(ranking) if key in right), None)
    sure = 0.0 if cal is None else confidence(cal, top.inputs)
    return Outcome(e.dataset, e.answerable, sure, top.right, 0.0 if rank is None else 1 / (1 + rank)), top


def _inner(part: list[Example], ranking: Ranking, ev: Evidence) -> tuple[Scorer, Linear, list[Outcome]]:
    """A ranker fitted on `part`, and the calibration fitted on the rankings of its inner folds, each
    scored by a ranker fitted without it; with those inner outcomes, as that calibration scores them."""
    inner: list[tuple[Outcome, Top]] = []
    for fit_on, held in _folds(part, INNER_FOLDS):
        inner_ranker = fit_ranker([part[i] for i in fit_on], ranking)
        inner += [_outcome(part[i], inner_ranker, None, ev) for i in held]
    cal = fit_calibration([t for _, t in inner])
    rescored = [Outcome(o.dataset, o.answerable, confidence(cal, t.inputs), o.top_right, o.rr) for o, t in inner]
    return fit_ranker(part, ranking), cal, rescored


def out_of_fold(examples: list[Example], ranking: Ranking, ev: Evidence) -> tuple[list[Outcome], list[Top]]:
    """Every question scored by a ranker and a calibration fitted without its document or article."""
    outcomes: list[Outcome | None] = [None] * len(examples)
    tops: list[Top | None] = [None] * len(examples)
    for train, test in _folds(examples, FOLDS):
        ranker, cal, _ = _inner([examples[i] for i in train], ranking, ev)
        for i in test:
            outcomes[i], tops[i] = _outcome(examples[i], ranker, cal, ev)
    return [o for o in outcomes if o is not None], [t for t in tops if t is not None]


def transfer(examples: list[Example], ranking: Ranking, ev: Evidence) -> dict[str, object]:
    """Fitted without one data set (ranker, calibration and minimum confidence, all as `make fit` does,
    the minimum chosen on its inner folds) and scored on it: does the confidence mean the same on data
    it has never seen the like of?"""
    out: dict[str, object] = {}
    families = sorted({_family(e.dataset) for e in examples})
    for target in families:
        rest = [e for e in examples if _family(e.dataset) != target]
        if len(families) < 2:
            break
        ranker, cal, inner = _inner(rest, ranking, ev)
        threshold, _ = choose_thresholds(inner)
        scored = [_outcome(e, ranker, cal, ev)[0] for e in examples if _family(e.dataset) == target]
        found = figures(scored, threshold)
        found.pop("all")
        source = "_".join(f for f in families if f != target)
        out[f"{source}_to_{target}"] = {"min_confidence": threshold, **found}
    return out


def ece(pairs: list[tuple[float, bool]]) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over BINS equal-width bins, and the reliability table."""
    table = []
    total = 0.0
    for b in range(BINS):
        inside = [(c, ok) for c, ok in pairs if min(int(c * BINS), BINS - 1) == b]
        if not inside:
            continue
        mean = sum(c for c, _ in inside) / len(inside)
        share = sum(ok for _, ok in inside) / len(inside)
        total += abs(mean - share) * len(inside)
        table.append({"bin": b, "count": len(inside), "confidence": round(mean, 4), "right": round(share, 4)})
    return total / max(1, len(pairs)), table


def figures(outcomes: list[Outcome], threshold: float) -> dict[str, object]:
    """The shared scorers' figures on out-of-fold outcomes, answering at `threshold`."""
    out: dict[str, object] = {}
    for dataset in ("wikiqa", "squad", "squad_unscoped", "news"):
        mine = [o for o in outcomes if o.dataset == dataset]
        if not mine:
            continue
        answerable = [o for o in mine if o.answerable]
        answered = [o for o in mine if o.confidence >= threshold]
        right = sum(o.top_right for o in answered)
        precision = right / len(answered) if answered else 0.0
        recall = right / len(answerable) if answerable else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        accuracy = _accuracy(mine, threshold)
        error, _ = ece([(o.confidence, o.top_right) for o in mine])
        out[dataset] = {
            "questions": len(mine),
            "mrr": round(sum(o.rr for o in answerable) / len(answerable), 4),
            "p_at_1": round(sum(o.top_right for o in answerable) / len(answerable), 4),
            "accuracy": round(accuracy, 4),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "ece": round(error, 4),
        }
    error, table = ece([(o.confidence, o.top_right) for o in outcomes])
    out["all"] = {"ece": round(error, 4), "reliability": table}
    return out


def _accuracy(mine: list[Outcome], t: float) -> float:
    good = sum((o.confidence >= t and o.top_right) or (not o.answerable and o.confidence < t) for o in mine)
    return good / len(mine)


def choose_thresholds(outcomes: list[Outcome]) -> tuple[float, float]:
    """min_confidence: the best accuracy out of fold on the news set (SERVED), the kind of story and of
    question the bot is for. WikiQA and SQuAD, where half to two thirds of the questions have no answer,
    would put it where a news reader's answerable question with the right sentence on top is refused
    (their own best accuracy lies well above the news set's). Accuracy is averaged over the thresholds
    within SMOOTHING of each, so that one question of a small set does not pick it. Where the news set's
    accuracy is level (within LEVEL of its best: two or three of its questions), it cannot choose, and the
    threshold among those best for all the data sets' mean accuracy is taken. Without the news set
    (transfer to it), the data sets' mean accuracy, each weighing the same.
    maybe_confidence: the lowest bound at which the top sentences just above it (within MAYBE_WINDOW)
    are still right at least MAYBE_PRECISION of the time. Not the whole band's average: a band reaching
    down to where sentences are right one time in ten would show those too, carried by the better ones
    above them."""
    grid = [round(t, 2) for t in np.arange(0.05, 0.96, GRID_STEP)]
    sets = {o.dataset for o in outcomes} - {"squad_unscoped"}  # the shared scorers ask scoped
    judged = [SERVED] if SERVED in sets else sorted(sets)

    by_set = {d: [o for o in outcomes if o.dataset == d] for d in sets}

    def accuracy(t: float, of: list[str]) -> float:
        return float(np.mean([_accuracy(by_set[d], t) for d in of]))

    raw = [accuracy(t, judged) for t in grid]
    reach = round(SMOOTHING / GRID_STEP)
    smoothed = [float(np.mean(raw[max(0, i - reach) : i + reach + 1])) for i in range(len(grid))]
    top = max(smoothed)
    level = [i for i in range(len(grid)) if smoothed[i] >= top - LEVEL]

    best = grid[max(level, key=lambda i: (accuracy(grid[i], sorted(sets)), -abs(grid[i] - 0.5)))]
    low = best
    for t in [g for g in grid if g < best]:  # the lowest bound whose band is right often enough
        band = [o for o in outcomes if t <= o.confidence < min(best, t + MAYBE_WINDOW)]
        if band and sum(o.top_right for o in band) / len(band) >= MAYBE_PRECISION:
            low = t
            break
    return best, low


TUNED_ON = RANKED_ON  # the data sets the question side is tuned on (each question asked of its own document)
REFERENCE_QUESTIONS = (  # embedded by sentence-transformers with the tuning, for the test that ONNX Runtime agrees
    "Who announced the agreement?",
    "When will the new bridge open?",
    "How many people were evacuated from the valley?",
    "Why did the talks collapse?",
    "Where is the summit being held?",
    "Did the council approve the budget?",
)
REFERENCE = ROOT / "tests" / "fixtures" / "question-tuning-reference.json"


def _tuning_items(examples: list[Example]) -> list[tune_questions.Item]:
    return [
        tune_questions.Item(e.question, e.sentences, e.labels)
        for e in examples
        if e.dataset in TUNED_ON and e.sentences is not None and len(e.labels)
    ]


def tuning_file(parameters: dict[str, np.ndarray], fitted_on: str) -> dict[str, object]:
    """The question side's parameters as index.embed.read_tuning reads them (7 significant digits)."""
    return {
        "format": TUNING_FORMAT,
        "version": TUNING_VERSION,
        "model": MODEL_VERSION,
        "method": f"BitFit (biases and LayerNorm of the question side), {tune_questions.EPOCHS} epochs, AdamW "
        f"{tune_questions.LEARNING_RATE}, listwise softmax over each question's candidates at scale "
        f"{tune_questions.SCALE}, the sentences' vectors held fixed: tools/tune_questions.py",
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fitted_on": fitted_on,
        "parameters": {k: [float(f"{v:.7g}") for v in a.ravel().tolist()] for k, a in sorted(parameters.items())},
    }


def _write_tuning(path: Path, parameters: dict[str, np.ndarray], fitted_on: str) -> None:
    path.write_text(json.dumps(tuning_file(parameters, fitted_on), separators=(",", ":")) + "\n", encoding="utf-8")


def tune_question_side(examples: list[Example]) -> tuple[QuestionVectors, dict[str, np.ndarray]]:
    """Every question's vector from a question side tuned without its document (the folds the ranker is
    scored on, so its figures stay out of fold), embedded by ONNX Runtime as the answers will be; and the
    question side tuned on all of them, to ship."""
    model_zip = model_zip_path()
    vectors: QuestionVectors = {}
    with tempfile.TemporaryDirectory(prefix="storybot-tuning-") as tmp:
        path = Path(tmp) / "tuning.json"
        for n, (train, test) in enumerate(_folds(examples, FOLDS)):
            start = time.perf_counter()
            parameters = tune_questions.fit(model_zip, _tuning_items([examples[i] for i in train]))
            _write_tuning(path, parameters, "one fold")
            model = Embedder.load(threads=_cores(), tuning=path)
            asked = list(dict.fromkeys((examples[i].group, examples[i].question) for i in test))
            vectors.update(zip(asked, model.embed([q for _, q in asked]), strict=True))
            print(f"  question side, fold {n + 1}: {time.perf_counter() - start:.0f} s", flush=True)
    return vectors, tune_questions.fit(model_zip, _tuning_items(examples))


def write_reference(tuning: Path) -> None:
    """Vectors of REFERENCE_QUESTIONS from sentence-transformers with the written tuning in place: the fixture
    that tests ONNX Runtime's question side against (tests/test_question_tuning.py)."""
    parameters = read_tuning(tuning)
    rows = tune_questions.reference_vectors(model_zip_path(), parameters, REFERENCE_QUESTIONS)
    fixture = {
        "tuning_sha256": hashlib.sha256(tuning.read_bytes()).hexdigest(),
        "questions": list(REFERENCE_QUESTIONS),
        "vectors": [[round(float(v), 7) for v in row] for row in rows],
    }
    REFERENCE.write_text(json.dumps(fixture) + "\n", encoding="utf-8")


def fit_mode(
    examples: list[Example], names: tuple[str, ...], news_correction: bool, outcomes_to: Path | None = None
) -> dict[str, object]:
    ranked = tuple(n for n in names if n not in STORY_LEVEL)
    ranking = Ranking([FEATURES.index(n) for n in ranked], news_correction)
    ev = Evidence(tuple(n for n in CONFIDENCE_FEATURES if n in names), tuple(CONFIDENCE_MARGINS))
    ev = Evidence(ev.features, tuple(n for n in ev.margins if n == "score" or n in names))
    start = time.perf_counter()
    outcomes, tops = out_of_fold(examples, ranking, ev)
    if outcomes_to is not None:  # for tables of what the minimum trades (any threshold's figures follow from them)
        rows = [[o.dataset, o.answerable, round(o.confidence, 6), o.top_right, round(o.rr, 6)] for o in outcomes]
        outcomes_to.write_text(json.dumps(rows) + "\n", encoding="utf-8")
    cal = fit_calibration(tops)
    ranker = fit_ranker(examples, ranking)
    threshold, low = choose_thresholds(outcomes)
    found = figures(outcomes, threshold)
    found["transfer"] = transfer(examples, ranking, ev)
    print(f"  fitted {len(names)} features in {time.perf_counter() - start:.0f} s")
    weights = [round(float(w), 6) for w in cal.weights]
    return {
        "weights": {n: round(float(w), 6) for n, w in zip(ranked, ranker.weights, strict=True)},
        "bias": round(ranker.bias, 6),
        **(
            {"report_weights": {n: round(float(w), 6) for n, w in zip(ranked, ranker.report_weights, strict=True)}}
            if news_correction
            else {}
        ),
        "confidence": {
            "bias": round(cal.bias, 6),
            "weights": dict(zip(ev.features, weights[: len(ev.features)], strict=True)),
            "margins": dict(zip(ev.margins, weights[len(ev.features) :], strict=True)),
        },
        "min_confidence": threshold,
        "maybe_confidence": low,
        "out_of_fold": found,
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    p.add_argument("--lexical-only", action="store_true", help="fit only the weights used without embeddings")
    p.add_argument("--outcomes", type=Path, help="write each mode's out-of-fold outcomes to OUTCOMES.MODE.json")
    p.add_argument("--out", type=Path, default=MODEL_PATH)
    p.add_argument("--tuning-out", type=Path, default=QUESTION_TUNING)
    args = p.parse_args(argv)
    import sklearn

    modes: dict[str, dict[str, object]] = {}
    fitted_on: dict[str, object] = {}
    embed = None if args.lexical_only else Remembering(load_embedder(batch=True))
    lexical = tuple(n for n in LEXICAL if n not in SEMANTIC_ONLY)
    plans = [("lexical", lexical, None, False)] + ([("semantic", LEXICAL + SEMANTIC, embed, True)] if embed else [])
    for mode, names, embedder, news_correction in plans:
        start = time.perf_counter()
        wiki, wiki_counts = wikiqa(embedder)
        sq, sq_counts = squad(embedder)
        written, news_counts = news(embedder)
        if embedder is not None:  # the questions again, embedded by the question side tuned out of fold
            print(f"{mode}: tuning the question side", flush=True)
            asked_vectors, parameters = tune_question_side(wiki + sq + written)
            wiki, _ = wikiqa(embedder, asked_vectors)
            sq, _ = squad(embedder, asked_vectors)
            written, _ = news(embedder, asked_vectors)
        asked = len(wiki) + len(sq) + len(written)
        print(f"{mode}: features of {asked} questions in {time.perf_counter() - start:.0f} s")
        dump = None if args.outcomes is None else args.outcomes.with_suffix(f".{mode}.json")
        modes[mode] = fit_mode(wiki + sq + written, names, news_correction, dump)
        print(json.dumps(modes[mode]["out_of_fold"], indent=None))
        fitted_on = {
            "wikiqa": {"file": "WikiQA-train.tsv (Yang, Yih and Meek, EMNLP 2015)", **wiki_counts},
            "squad2": {
                "files": "squad2/stories/*.txt, squad2/squad2-dev.jsonl: 16 SQuAD 2.0 development articles "
                "(Rajpurkar, Jia and Liang, ACL 2018), CC BY-SA 4.0; each question asked of its article and "
                "of the whole index",
                **sq_counts,
            },
            **(
                {
                    "news": {
                        "files": "tools/news_qa/stories/*.txt, tools/news_qa/questions.jsonl: fictional news "
                        "stories and readers' questions written by the storybot team; each question asked of its "
                        "story",
                        **news_counts,
                    }
                }
                if news_counts
                else {}
            ),
            "candidates_per_question": f"the sentences of BM25's best passages for k={K}, and with embeddings "
            "(semantic) those nearest the question",
            "folds": f"{FOLDS} by document, article or story (GroupKFold); calibration inside each on "
            f"{INNER_FOLDS} inner folds",
            "transfer": "fitted without one data set (the others only) and scored on it, for each data set",
            "parts": {
                "weights": f"the listwise ranker, on {' and '.join(RANKED_ON)}",
                "report_weights": f"the news correction (semantic only), on {' and '.join(REPORTS_TAUGHT_BY)}, "
                "with the ranker's scores held fixed",
                "confidence": "Platt scaling on every data set, out of fold inside each training fold",
                "min_confidence": f"the best out-of-fold accuracy on {SERVED}, averaged over thresholds within "
                f"{SMOOTHING}",
            },
        }
    model = {
        "format": FORMAT,
        "version": VERSION,
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fitted_with": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, tools/fit_answer.py",
        "fitted_on": fitted_on,
        "modes": modes,
    }
    parse(model)  # what is written must be what the answer path reads
    if args.dry_run:
        return 0
    args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    if embed is not None:
        tuned_on = f"the questions of {' and '.join(TUNED_ON)} (fitted_on in {args.out.name})"
        _write_tuning(args.tuning_out, parameters, tuned_on)
        write_reference(args.tuning_out)
        print(f"wrote {args.tuning_out} and {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
