"""The candidate sentences for a question, and one named feature vector per candidate.

Serving (index/answer.py) and fitting (tools/fit_answer.py) both call `featurize`, so the model is
fitted on exactly the numbers it is later applied to. No feature is keyed to a particular question;
how much each one counts is fitted (index/answer_model.json), not set here.

Candidates are the sentences of BM25's best passages, plus, when the question comes with an
embedding, the sentences nearest to it by meaning (a paraphrase sharing no word with the story).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.background import rarity
from index.corpus import Corpus
from index.focus import counts, focus
from index.question import Question, cue, echoes, spells_out
from index.rank import lucene_idf

# The order of the columns of every feature matrix. The model file names its weights by these names.
LEXICAL: tuple[str, ...] = (
    "held",  # share of the question's weight (rarity in English x idf here) the sentence holds or refers to
    "held_gap",  # held minus the best held among the candidates
    "passage_rel",  # the passage's BM25 score relative to the best passage's
    "passage_abs",  # the passage's BM25 score relative to the most the question's terms could score
    "passage_rank",  # 1 / (1 + the passage's BM25 rank)
    "asks_kind",  # the question asks for a place, date, name, number or reason
    "cue",  # the sentence holds something new of that kind (or reports on an embedded question)
    "story_lead",  # 1 / (1 + the sentence's position in its story)
    "paragraph_lead",  # 1 / (1 + its position in its paragraph)
    "near",  # share of the question's neighbouring terms standing within three words of each other
    "short",  # a fragment of under four words
    "length",  # log of the sentence's word count
    "verb_missing",  # the question's (not light) verb is not in the sentence
    "counted",  # a number in the sentence counts what a "how many" question counts
    "uncounted",  # the sentence names what a "how many" question counts, and no number counts it
    "story_share",  # share of the question's weight held anywhere in the sentence's story
    "missing_rare",  # a rare word of the question is nowhere in the sentence's story
    "asks_polar",  # a yes/no question: no kind of thing is asked for, the sentence that settles it answers
    "specific_missing",  # share of the question's names and numbers neither in the sentence nor referred to
    "held_offtopic",  # share of the question's weight off the story's topic (its title and first two
    # sentences) that the sentence holds: what singles out the part of the story asked about
    "offtopic_held",  # the same, as a share of the whole question's weight
    "story_reports",  # share of the story's passages reporting what someone said or told: a news report
)
SEMANTIC: tuple[str, ...] = (
    "cosine",  # the question's embedding against the sentence's
    "cosine_gap",  # cosine minus the best cosine among the candidates
    "cosine_rank",  # 1 / (1 + the sentence's rank by cosine among the candidates)
    "passage_cosine",  # the question against the mean of the passage's sentences
    "neighbour_cosine",  # the question against the sentence before or after it in the story, the closer
    "cosine_held",  # cosine x held: meaning and words agreeing
    "centrality",  # the sentence against the mean of its story's sentences: one like the whole story (a lead)
    # is near every question about the story, whichever it asks
)
FEATURES: tuple[str, ...] = LEXICAL + SEMANTIC

PASSAGES_PER_ANSWER = 8  # passages reranked per answer wanted, at least
MIN_PASSAGES = 30
NEAREST_SENTENCES = 20  # sentences nearest the question by embedding, added to BM25's

# the terms (as index.analyze makes them) of the verbs a news report quotes people with: "said", "says", "told"
REPORTING = ("say", "tell")
PRONOUN_CREDIT = 0.7  # a term of the previous sentence counts this much, in a sentence opening with a pronoun
TITLE_CREDIT = 0.5  # a title term, in any sentence of the story
LEAD_TITLE_CREDIT = 0.8  # ... in one of its first LEAD_SENTENCES sentences
LEAD_SENTENCES = 2
SHORT_WORDS = 4
KEY_RARITY = 3.0  # a question word this rare in English (Zipf <= 4.5) should be in the story
PREDICATE_RARITY = 2.0  # a verb this common ("get", "make": Zipf >= 5.5) may be phrased otherwise



@dataclass(frozen=True, slots=True)
class Candidates:
    """The sentences considered for a question (passage number, sentence number within it) and their
    features, one row each, columns in FEATURES order."""

    sentences: tuple[tuple[int, int], ...]
    matrix: np.ndarray  # (len(sentences), len(FEATURES)) float64


def passages_for(k: int) -> int:
    return max(MIN_PASSAGES, PASSAGES_PER_ANSWER * k)


def featurize(
    corpus: Corpus,
    q: Question,
    story: str | None,
    k: int,
    question_vector: np.ndarray | None = None,
) -> Candidates:
    """The candidates for a parsed question and their features. `question_vector` (the question's
    embedding, a unit row) turns on the semantic candidates and features; without it they are 0."""
    within = corpus.story_passages[story] if story else None  # KeyError for an unknown story
    ranked = corpus.ranker.top(list(q.terms), passages_for(k), within) if q.terms else []
    cosines: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    semantic = question_vector is not None and corpus.embeddings is not None
    if semantic:
        assert question_vector is not None  # noqa: S101 - narrowed for mypy
        ranked, cosines = _add_nearest(corpus, q, ranked, within, question_vector)
    if not ranked:
        return Candidates((), np.zeros((0, len(FEATURES))))
    f = focus(q.text)
    weights = _weights(corpus, q)
    total = sum(weights.values()) or 1.0
    best_passage = ranked[0][1] or 1.0
    most = _most_possible(corpus, q) or 1.0
    verb_matters = bool(f.predicate) and rarity(f.predicate_word) >= PREDICATE_RARITY
    stories = list(dict.fromkeys(corpus.passages[pid].story_id for pid, _ in ranked))
    shares, missing = _story_coverage(corpus, q, stories, weights, total)
    reports = corpus.share_holding_any(REPORTING)
    offtopic = {s: _offtopic(corpus, s, weights) for s in stories}
    sentences: list[tuple[int, int]] = []
    rows: list[list[float]] = []
    for rank, (pid, pscore) in enumerate(ranked):
        passage = corpus.passages[pid]
        title = corpus.title_terms[passage.story_id]
        known = title | frozenset(q.terms)
        into_paragraph = _paragraph_position(corpus, pid)
        for i, terms in enumerate(corpus.sentence_terms[pid]):
            text = passage.sentences[i].text
            position = corpus.lead[pid] + i
            held, matched, unmatched = _held(corpus, q, weights, total, pid, i, terms, text, title, position)
            count = counts(f.counted, corpus.facts.pairs(text)) if q.qtype == "number" and f.counted else None
            has_cue = held > 0 and (echoes(q, text) or _holds_kind(corpus, q, count, text, known))
            words = corpus.facts.shape(text)[0]
            lacks = missing[passage.story_id]
            if lacks and q.acronyms:
                lacks = frozenset(t for t in lacks if not _spelled_out(q, t, text))
            off_weights, off_total = offtopic[passage.story_id]
            off_held = sum(w for t, w in off_weights.items() if t in terms) / off_total if off_total else 0.0
            sentences.append((pid, i))
            rows.append(
                [
                    held,
                    0.0,  # held_gap, below
                    pscore / best_passage,
                    pscore / most,
                    1.0 / (1 + rank),
                    float(bool(q.qtype)),
                    float(has_cue),
                    1.0 / (1 + position),
                    1.0 / (1 + into_paragraph + i),
                    _nearness(q.terms, terms) if matched > 1 else 0.0,
                    float(words < SHORT_WORDS),
                    math.log(1 + words),
                    float(verb_matters and f.predicate not in terms),
                    float(held > 0 and count is True),
                    float(count is False),
                    shares[passage.story_id],
                    float(bool(lacks)),
                    float(q.polar),
                    sum(t in unmatched for t in q.specific) / len(q.specific) if q.specific else 0.0,
                    off_held,
                    off_held * off_total / total,
                    reports[passage.story_id],
                ]
                + [0.0] * len(SEMANTIC)
            )
    matrix = np.asarray(rows, dtype=np.float64)
    column = {name: n for n, name in enumerate(FEATURES)}
    matrix[:, column["held_gap"]] = matrix[:, column["held"]] - matrix[:, column["held"]].max()
    if semantic:
        found = np.asarray([cosines.get(s, (0.0, 0.0, 0.0, 0.0)) for s in sentences]).reshape(-1, 4)
        cos = found[:, 0]
        matrix[:, column["cosine"]] = cos
        matrix[:, column["cosine_gap"]] = cos - cos.max()
        order = np.argsort(-cos, kind="stable")
        rank_of = np.empty(len(cos))
        rank_of[order] = np.arange(len(cos))
        matrix[:, column["cosine_rank"]] = 1.0 / (1 + rank_of)
        matrix[:, column["passage_cosine"]] = found[:, 1]
        matrix[:, column["neighbour_cosine"]] = found[:, 2]
        matrix[:, column["cosine_held"]] = cos * matrix[:, column["held"]]
        matrix[:, column["centrality"]] = found[:, 3]
    return Candidates(tuple(sentences), matrix)


def _add_nearest(
    corpus: Corpus,
    q: Question,
    ranked: list[tuple[int, float]],
    within: np.ndarray | None,
    vector: np.ndarray,
) -> tuple[list[tuple[int, float]], dict[tuple[int, int], tuple[float, float, float, float]]]:
    """BM25's passages plus those of the sentences nearest the question by embedding (with their own
    BM25 scores, 0 when they share no term), and per candidate sentence the question's cosine with it,
    with its passage's mean and with the closer of its neighbours in the story, and its own cosine with its
    story's centre."""
    vectors = corpus.embeddings
    assert vectors is not None  # noqa: S101 - the caller checked
    first = corpus.passage_first_sentence
    if within is not None and len(within):
        lo, hi = int(first[within[0]]), int(first[within[-1] + 1])
    else:
        lo, hi = 0, int(first[-1])
    query = vector.astype(np.float32)
    nearest = vectors.nearest(query, lo, hi, NEAREST_SENTENCES)
    have = {pid for pid, _ in ranked}
    extra = sorted({int(p) for p in np.searchsorted(first, nearest, side="right") - 1} - have)
    if extra:
        scores = corpus.ranker.scores(list(q.terms), extra) if q.terms else [0.0] * len(extra)
        ranked = ranked + sorted(zip(extra, scores, strict=True), key=lambda p: (-p[1], p[0]))
    cosines: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    for pid, _ in ranked:
        start, end = int(first[pid]), int(first[pid + 1])
        story = corpus.story_passages[corpus.passages[pid].story_id]
        lo, hi = max(start - 1, int(first[story[0]])), min(end + 1, int(first[story[-1] + 1]))
        rows = vectors.rows(lo, hi)
        sims = rows @ query
        mean = rows[start - lo : end - lo].sum(axis=0)
        norm = float(np.linalg.norm(mean))
        whole = float(mean @ query) / norm if norm > 0 else 0.0
        central = corpus.centrality[start:end]
        for i in range(end - start):
            at = start - lo + i
            around = [float(sims[j]) for j in (at - 1, at + 1) if 0 <= j < len(sims)]
            cosines[(pid, i)] = (float(sims[at]), whole, max(around, default=0.0), float(central[i]))
    return ranked, cosines


def _weights(corpus: Corpus, q: Question) -> dict[str, float]:
    """Each term's weight: its rarity in English times its idf in the index, relative to an unseen term's."""
    n = corpus.sentence_count
    unseen = lucene_idf(n, 0)
    out: dict[str, float] = {}
    for term, word in zip(q.terms, q.words, strict=True):
        df = corpus.sentence_df.get(term, 0)
        idf = lucene_idf(n, df) / unseen
        out[term] = rarity(word) * idf
    return out


def _most_possible(corpus: Corpus, q: Question) -> float:
    """The BM25 score a passage would get holding every question term often: the scale of `passage_abs`."""
    ranker = corpus.ranker
    return sum(ranker.idf(t) for t in q.terms) * (ranker.k1 + 1)


def _held(
    corpus: Corpus,
    q: Question,
    weights: dict[str, float],
    total: float,
    pid: int,
    i: int,
    terms: tuple[str, ...],
    text: str,
    title: frozenset[str],
    position: int,
) -> tuple[float, int, frozenset[str]]:
    """The weighted share of the question the sentence holds, with partial credit for what it refers
    back to (the previous sentence, after an opening pronoun) and for the story's title terms; how many
    terms it holds itself; and the terms it neither holds nor refers to."""
    present = set(terms)
    refers_back = corpus.facts.shape(text)[1]
    previous = _previous_terms(corpus, pid, i) if refers_back else frozenset()
    title_credit = LEAD_TITLE_CREDIT if position < LEAD_SENTENCES else TITLE_CREDIT
    held = 0.0
    matched = 0
    unmatched: list[str] = []
    for term, w in weights.items():
        if term in present or (q.acronyms and _spelled_out(q, term, text)):
            held += w
            matched += 1
        elif term in previous or term in title:
            held += w * max(PRONOUN_CREDIT if term in previous else 0.0, title_credit if term in title else 0.0)
        else:
            unmatched.append(term)
    return held / total, matched, frozenset(unmatched)


def _story_coverage(
    corpus: Corpus, q: Question, stories: list[str], weights: dict[str, float], total: float
) -> tuple[dict[str, float], dict[str, frozenset[str]]]:
    """Per story, the weighted share of the question's terms found anywhere in it, and the rare
    question terms it lacks altogether."""
    shares = dict.fromkeys(stories, 0.0)
    missing: dict[str, set[str]] = {s: set() for s in stories}
    holding = corpus.stories_hold_each(stories, q.terms)
    for term, word, held_by in zip(q.terms, q.words, holding, strict=True):
        for story, held in zip(stories, held_by, strict=True):
            if held:
                shares[story] += weights[term] / total
            elif rarity(word) >= KEY_RARITY:
                missing[story].add(term)
    return shares, {s: frozenset(m) for s, m in missing.items()}


def _offtopic(corpus: Corpus, story: str, weights: dict[str, float]) -> tuple[dict[str, float], float]:
    """The question's terms outside the story's topic, with their weights, and those weights' sum."""
    topic = corpus.topic_terms(story, LEAD_SENTENCES)
    off = {t: w for t, w in weights.items() if t not in topic}
    return off, sum(off.values())


def _paragraph_position(corpus: Corpus, pid: int) -> int:
    """How many sentences of the passage's paragraph come before the passage."""
    passage = corpus.passages[pid]
    before = 0
    j = pid - 1
    while j >= 0:
        other = corpus.passages[j]
        if other.story_id != passage.story_id or other.paragraph != passage.paragraph:
            break
        before += len(other.sentences)
        j -= 1
    return before


def _holds_kind(corpus: Corpus, q: Question, count: bool | None, text: str, known: frozenset[str]) -> bool:
    """Does the sentence hold what is asked for? For "how many drivers", a number counting drivers
    (`count`, already worked out), if the sentence names drivers at all."""
    if not q.qtype:
        return False
    if count is not None:
        return count
    return cue(q.qtype, text, known, corpus.facts.kind_matches)


def _spelled_out(q: Question, term: str, text: str) -> bool:
    return any(t == term and spells_out(letters, text) for t, letters in q.acronyms)


def _previous_terms(corpus: Corpus, pid: int, i: int) -> frozenset[str]:
    if i > 0:
        return frozenset(corpus.sentence_terms[pid][i - 1])
    if pid > 0 and corpus.passages[pid - 1].story_id == corpus.passages[pid].story_id:
        return frozenset(corpus.sentence_terms[pid - 1][-1])
    return frozenset()


def _nearness(question_terms: tuple[str, ...], terms: tuple[str, ...]) -> float:
    """Share of the question's neighbouring term pairs that stand within three words in the sentence."""
    pairs = list(zip(question_terms, question_terms[1:], strict=False))
    if not pairs:
        return 0.0
    asked = set(question_terms)
    where: dict[str, list[int]] = {}
    for i, t in enumerate(terms):
        if t in asked:
            where.setdefault(t, []).append(i)
    near = 0
    for a, b in pairs:
        if a in where and b in where and any(abs(i - j) <= 3 for i in where[a] for j in where[b]):
            near += 1
    return near / len(pairs)
