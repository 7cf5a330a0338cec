"""From ranked passages to an answer: the best sentence, a confidence, and abstention.

BM25 finds passages that share words with the question; a sentence answers it only if it holds
the question's key terms (weighted by how rare they are) and, for where/when/who/how-many
questions, the kind of thing asked for. When the story lacks the question's key terms, the
answer is "the story doesn't say", with the nearest candidates still listed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from index.analyze import tokenize
from index.corpus import Corpus
from index.types import Answer, Hit

K1 = 1.2
B = 0.75
PASSAGES_PER_ANSWER = 8  # passages reranked per answer wanted, at least
MIN_PASSAGES = 30

W_SENTENCE = 1.0  # idf-weighted share of the question's terms in the sentence
W_CONTEXT = 0.35  # ... in the sentence's passage and the story title
W_PASSAGE = 0.35  # the passage's BM25 score, relative to the best
W_CUE = 0.25  # the sentence holds what a where/when/who/how-many question asks for
W_LEAD = 0.12  # news puts the answer first
ANSWER_THRESHOLD = 0.55  # confidence needed to answer; tuned on the development sets

_CUES: dict[str, re.Pattern[str]] = {
    "where": re.compile(
        r"\b(?:in|at|near|outside|inside|across)\s+(?:the\s+)?(?!(?:January|February|March|April|May|June|July|"
        r"August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)"
        r"[A-Z][a-z]+|\b(?:place|location|venue|site|located|headquarter\w*|border)\b"
    ),
    "when": re.compile(
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|"
        r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|tomorrow|yesterday|tonight|"
        r"morning|evening|night|week|weeks|month|months|year|years|ago|since|until|within|time|date|"
        r"century|decade|season|spring|summer|autumn|winter|later|earlier|soon|expected)\b|"
        r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b\d{1,2}(?::\d\d)?\s*(?:a\.m\.|p\.m\.|am|pm)",
        re.IGNORECASE,
    ),
    "who": re.compile(
        r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z.]+)+|\b(?:president|minister|leader|chief|director|"
        r"ceo|head|chair\w*|analyst|spokes\w+|official|secretary|founder|king|queen|governor|mayor|"
        r"senator|he|she|they)\b"
    ),
    "number": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
        r"hundred|thousand|million|billion|trillion|dozen|percent|half|quarter)\b|[$€£%]",
        re.IGNORECASE,
    ),
    "why": re.compile(
        r"\b(?:because|after|due to|since|so that|as a result|reason|in order to|thanks to|following|led to|"
        r"caused|agreed|accepted|amid|over)\b",
        re.IGNORECASE,
    ),
}
_QTYPE = [
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|big|large|long|old|far|often|high|tall)\b|\bwhat (?:percentage|number|amount|price)\b",
            re.I,
        ),
    ),
    ("when", re.compile(r"\bwhen\b|\bwhat (?:time|year|day|date|month)\b", re.I)),
    ("where", re.compile(r"\bwhere\b|\bwhat (?:city|country|place|state)\b", re.I)),
    ("who", re.compile(r"\bwho(?:m|se)?\b", re.I)),
    ("why", re.compile(r"\bwhy\b", re.I)),
]


def question_type(question: str) -> str:
    for name, pattern in _QTYPE:
        if pattern.search(question):
            return name
    return ""


@dataclass(frozen=True, slots=True)
class _Scored:
    passage: int
    sentence: int
    score: float
    coverage: float


def answer(corpus: Corpus, question: str, story: str | None = None, k: int = 3) -> Answer:
    """Answer a question from the whole index, or from one story."""
    terms = tokenize(question)
    within = corpus.story_passages.get(story) if story else None
    if story and within is None:
        raise KeyError(story)
    if not terms:
        return Answer(question, False, ())
    n = max(MIN_PASSAGES, PASSAGES_PER_ANSWER * k)
    ranked = corpus.ranker.top(terms, n, within)
    if not ranked:
        return Answer(question, False, ())
    scored = _score_sentences(corpus, question, terms, ranked)
    scored.sort(key=lambda s: (-s.score, s.passage, s.sentence))
    hits: list[Hit] = []
    seen: set[str] = set()
    for s in scored:
        passage = corpus.passages[s.passage]
        sentence = passage.sentences[s.sentence]
        key = " ".join(sentence.text.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        hits.append(Hit(passage, sentence, s.score, corpus.citation(passage)))
        if len(hits) == k:
            break
    return Answer(question, _confident(scored[0]), tuple(hits))


def _idf(corpus: Corpus, term: str) -> float:
    n = corpus.sentence_count
    df = corpus.sentence_df.get(term, 0)
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _score_sentences(corpus: Corpus, question: str, terms: list[str], ranked: list[tuple[int, float]]) -> list[_Scored]:
    qtype = question_type(question)
    cue = _CUES.get(qtype)
    weights = {t: _idf(corpus, t) for t in dict.fromkeys(terms)}
    total = sum(weights.values()) or 1.0
    best_passage = ranked[0][1] or 1.0
    out: list[_Scored] = []
    for pid, pscore in ranked:
        passage = corpus.passages[pid]
        sent_terms = corpus.sentence_terms[pid]
        context = set(t for s in sent_terms for t in s) | corpus.title_terms[passage.story_id]
        context_cov = sum(w for t, w in weights.items() if t in context) / total
        for i, st in enumerate(sent_terms):
            present = set(st)
            coverage = sum(w for t, w in weights.items() if t in present) / total
            position = corpus.lead[pid] + i
            score = (
                W_SENTENCE * coverage
                + W_CONTEXT * context_cov
                + W_PASSAGE * pscore / best_passage
                + W_LEAD / (1 + position)
            )
            if cue and coverage > 0 and cue.search(passage.sentences[i].text):
                score += W_CUE
            out.append(_Scored(pid, i, score, max(coverage, context_cov * 0.8)))
    return out


def _confident(best: _Scored) -> bool:
    return best.coverage >= ANSWER_THRESHOLD
