"""From ranked passages to an answer: the best sentence, a confidence, and abstention.

BM25 finds passages that share words with the question; each of their sentences is then scored on
the question's terms it holds, each term weighted by how rare it is both in the index and in English
(so a story's own name-dropping does not swamp a question's one rare word). A sentence also gets
partial credit for terms it refers back to: a sentence opening with "He" or "It" means the previous
sentence's subject, and a story's lead and a document's sentences are about its title. On top come
the kind of thing asked for (a place, a date, a name, a number, a reason), the lead of the story
(news puts the answer first), and the question's terms standing close together.

Unscoped, a sentence also gets the share of the question its whole story holds, so an index of many
stories answers from the one about what is asked.

The answer is "the story doesn't say" when too little of the question's weight is in the best
sentence and what it refers to; holding the kind of thing asked for counts in its favour. Against it
count: a rare word of the question that appears nowhere in the story; the question's verb missing from
the sentence (a story that names Pompeo does not say who will *replace* him, index/focus.py); nothing
of the kind asked for; and, for "how many drivers", drivers named with no number counting them. The weights and the
threshold were tuned on the development sets (`tools/tune_answer.py`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from index.background import rarity
from index.corpus import Corpus
from index.focus import Focus, counts, focus
from index.question import Question, cue, echoes, parse, spells_out
from index.types import Answer, Hit

PASSAGES_PER_ANSWER = 8  # passages reranked per answer wanted, at least
MIN_PASSAGES = 30

W_PASSAGE = 0.1  # the passage's BM25 score, relative to the best
W_CUE = 0.2  # the sentence holds what a where/when/who/how-many/why question asks for
W_LEAD = 0.1  # news puts the answer first; so does an encyclopedia
W_NEAR = 0.1  # the question's terms stand together in the sentence
W_SHORT = 0.1  # a fragment of under SHORT_WORDS words (a caption, a label) is rarely the answer
SHORT_WORDS = 4

PRONOUN_CREDIT = 0.7  # a term of the previous sentence, in a sentence opening with a pronoun
TITLE_CREDIT = 0.5  # a title term, in any sentence of the story
LEAD_TITLE_CREDIT = 0.8  # ... in one of its first LEAD_SENTENCES sentences
LEAD_SENTENCES = 2

W_STORY = 0.6  # unscoped: the share of the question's weight the sentence's story holds
W_PREDICATE = 0.2  # the sentence holds the question's verb

ANSWER_THRESHOLD = 0.5  # confidence needed to answer; tuned on the development sets
CONF_CUE = 0.3  # the best sentence holds a new place/date/name/number of the kind asked for
CONF_MISSING = 0.3  # a rare question word is nowhere in the story
KEY_RARITY = 3.0  # a question word this rare in English (Zipf <= 4.5) should be in the story
CONF_NO_CUE = 0.3  # a where/when/who/how-many question, and the best sentence holds nothing of that kind
CONF_PREDICATE = 0.6  # the best sentence lacks the question's verb ("Who will *replace* Pompeo?")
CONF_UNCOUNTED = 0.3  # "how many critics": the sentence names critics, and no number counts them
PREDICATE_RARITY = 2.0  # ... unless the verb is a light one ("get", "make", "say": Zipf >= 5.5)

# A sentence opening with a pronoun or a definite noun phrase ("The deal ...") refers back.
_PRONOUN_START = re.compile(r"^\W*(?:he|she|it|they|his|her|its|their|this|these|those|the)\b", re.I)


@dataclass(slots=True)  # internal, one per sentence scored: a frozen dataclass is 4x slower to make
class _Scored:
    passage: int
    sentence: int
    score: float
    held: float  # weighted share of the question the sentence holds or refers to
    cue: bool
    predicate: bool  # the sentence holds the question's verb, or the question has none that matters
    counted: bool  # a number in the sentence counts what a "how many" question counts
    uncounted: bool  # the sentence names what a "how many" question counts, and no number counts it


def answer(corpus: Corpus, question: str, story: str | None = None, k: int = 3) -> Answer:
    """Answer a question from the whole index, or from one story."""
    q = parse(question)
    within = corpus.story_passages.get(story) if story else None
    if story and within is None:
        raise KeyError(story)
    if not q.terms:
        return Answer(question, False, ())
    n = max(MIN_PASSAGES, PASSAGES_PER_ANSWER * k)
    ranked = corpus.ranker.top(list(q.terms), n, within)
    if not ranked:
        return Answer(question, False, ())
    weights = _weights(corpus, q)
    scored = _score_sentences(corpus, q, focus(question), weights, ranked, story is None)
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
    return Answer(question, confidence(corpus, q, scored) >= ANSWER_THRESHOLD, tuple(hits))


def _weights(corpus: Corpus, q: Question) -> dict[str, float]:
    """Each term's weight: its rarity in English times its idf in the index, relative to an unseen term's."""
    n = corpus.sentence_count
    unseen = math.log(1.0 + (n + 0.5) / 0.5)
    out: dict[str, float] = {}
    for term, word in zip(q.terms, q.words, strict=True):
        df = corpus.sentence_df.get(term, 0)
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) / unseen
        out[term] = rarity(word) * idf
    return out


def _score_sentences(
    corpus: Corpus,
    q: Question,
    f: Focus,
    weights: dict[str, float],
    ranked: list[tuple[int, float]],
    unscoped: bool,
) -> list[_Scored]:
    total = sum(weights.values()) or 1.0
    best_passage = ranked[0][1] or 1.0
    verb_matters = bool(f.predicate) and rarity(f.predicate_word) >= PREDICATE_RARITY
    coverage = _story_shares(corpus, ranked, weights, total) if unscoped else {}
    out: list[_Scored] = []
    for pid, pscore in ranked:
        passage = corpus.passages[pid]
        story_share = coverage.get(passage.story_id, 0.0)
        title = corpus.title_terms[passage.story_id]
        known = title | frozenset(q.terms)
        for i, terms in enumerate(corpus.sentence_terms[pid]):
            text = passage.sentences[i].text
            present = set(terms)
            position = corpus.lead[pid] + i
            words, refers_back = _shape(text)
            previous = _previous_terms(corpus, pid, i) if refers_back else frozenset()
            title_credit = LEAD_TITLE_CREDIT if position < LEAD_SENTENCES else TITLE_CREDIT
            held = 0.0
            matched = 0
            for term, w in weights.items():
                if term in present or (q.acronyms and _spelled_out(q, term, text)):
                    held += w
                    matched += 1
                elif term in previous or term in title:
                    held += w * max(PRONOUN_CREDIT if term in previous else 0.0, title_credit if term in title else 0.0)
            held /= total
            # an embedded question ("Did police say why?") is answered by a sentence reporting on it
            count = counts(f.counted, text) if q.qtype == "number" and f.counted else None
            has_cue = held > 0 and (echoes(q, text) or _holds_kind(q, count, text, known))
            has_verb = not verb_matters or f.predicate in present
            score = (
                held
                + W_PASSAGE * pscore / best_passage
                + W_LEAD / (1 + position)
                + (W_NEAR * _nearness(q.terms, terms) if matched > 1 else 0.0)
                - W_SHORT * (words < SHORT_WORDS)
                + W_CUE * has_cue
                + W_STORY * story_share
                + W_PREDICATE * has_verb
            )
            out.append(_Scored(pid, i, score, held, has_cue, has_verb, held > 0 and count is True, count is False))
    return out


@lru_cache(maxsize=65536)
def _shape(sentence: str) -> tuple[int, bool]:
    """The sentence's word count and whether it opens by referring back: worked out once per sentence,
    not once per question."""
    return len(sentence.split()), bool(_PRONOUN_START.match(sentence))


def _holds_kind(q: Question, count: bool | None, text: str, known: frozenset[str]) -> bool:
    """Does the sentence hold what is asked for? For "how many drivers", a number counting drivers
    (`count`, already worked out), if the sentence names drivers at all."""
    if not q.qtype:
        return False
    if count is not None:
        return count
    return cue(q.qtype, text, known)


def _story_shares(
    corpus: Corpus, ranked: list[tuple[int, float]], weights: dict[str, float], total: float
) -> dict[str, float]:
    """Per story ranked, the weighted share of the question's terms found anywhere in it: with several
    stories indexed, an unscoped question belongs to the one that holds what it asks about."""
    stories = list(dict.fromkeys(corpus.passages[pid].story_id for pid, _ in ranked))
    if len(stories) < 2:
        return {}
    shares = dict.fromkeys(stories, 0.0)
    for term, w in weights.items():
        for story, held in zip(stories, corpus.stories_hold(stories, term), strict=True):
            shares[story] += w * held / total
    return shares


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


def confidence(corpus: Corpus, q: Question, scored: list[_Scored]) -> float:
    """How sure the best sentence answers: the share of the question it holds, more if it holds the
    kind of thing asked for, less if it does not, lacks the question's verb, names what a "how many"
    question counts without counting it, or if a rare word of the question is nowhere in its story.
    (A margin to the runner-up was measured too and did not help on the development sets; neither did
    a penalty for every question term the story lacks, which paraphrase triggers.)"""
    best = scored[0]
    passage = corpus.passages[best.passage]
    text = passage.sentences[best.sentence].text
    conf = best.held + CONF_CUE * best.cue
    conf -= CONF_NO_CUE * (bool(q.qtype) and not best.cue)
    conf -= CONF_UNCOUNTED * best.uncounted
    # "How many riders would the strike have affected?": "halted trains for 210,000 riders" counts
    # the riders; the verb is phrased otherwise, and the count says the sentence answers anyway
    conf -= CONF_PREDICATE * (not best.predicate and not best.counted)
    for term, word in zip(q.terms, q.words, strict=True):
        if (
            rarity(word) >= KEY_RARITY
            and not corpus.stories_hold([passage.story_id], term)[0]
            and not _spelled_out(q, term, text)
        ):
            conf -= CONF_MISSING
            break
    return conf
