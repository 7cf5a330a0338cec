"""A question to an answer, in one straight line:

parse the question (index/question.py) -> candidate sentences and their named features
(index/features.py) -> the fitted model's score per candidate and its calibrated confidence in the
best one (index/model.py) -> the Answer.

`answered` means the confidence reaches `min_confidence` (the model's default, chosen out of fold, or
the caller's). Between the model's lower band and that, the answer is a `maybe`: the story may not
say, and the nearest sentence is shown as such.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from index.corpus import Corpus
from index.features import featurize
from index.model import AnswerModel, load
from index.question import parse
from index.text import sentence_key
from index.types import Answer, Hit

Embed = Callable[[str], np.ndarray]  # a question to its unit embedding row


def answer(
    corpus: Corpus,
    question: str,
    story: str | None = None,
    k: int = 3,
    *,
    min_confidence: float | None = None,
    embed: Embed | None = None,
    model: AnswerModel | None = None,
) -> Answer:
    """Answer a question from the whole index, or from one story (KeyError for a story not in it).
    `embed` turns on the semantic candidates and weights, when the index holds sentence embeddings."""
    if story and story not in corpus.story_passages:
        raise KeyError(story)
    q = parse(question)
    semantic = embed is not None and corpus.embeddings is not None
    vector = embed(question) if semantic and embed is not None else None
    found = featurize(corpus, q, story, k, vector)
    ranker = (model or load()).ranker(semantic)
    if not found.sentences:
        return Answer(question, False, (), 0.0)
    scores = ranker.score(found.matrix)
    confidence = ranker.confidence(scores, found.matrix)
    hits: list[Hit] = []
    seen: set[str] = set()
    for n in np.lexsort((np.arange(len(scores)), -scores)).tolist():
        pid, i = found.sentences[n]
        passage = corpus.passages[pid]
        sentence = passage.sentences[i]
        key = sentence_key(sentence.text)
        if key in seen:
            continue
        seen.add(key)
        hits.append(Hit(passage, sentence, float(scores[n]), corpus.citation(passage)))
        if len(hits) == k:
            break
    threshold = ranker.min_confidence if min_confidence is None else min_confidence
    answered = confidence >= threshold
    maybe = not answered and confidence >= min(ranker.maybe_confidence, threshold)
    return Answer(question, answered, tuple(hits), confidence, maybe)
