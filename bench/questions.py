"""Seeded question sets: hand-written ones for the bundled story, generated ones for the synthetic corpus."""

from __future__ import annotations

import random

from index.corpus import Corpus

BUNDLED = [
    "where is the third summit?",
    "What did Moon say about the talks?",
    "Did the second summit make progress?",
    "Who took part in the talks?",
    "When did the second summit end?",
    "Where is Trump traveling?",
    "What did North Korea's foreign ministry say?",
    "Why is there speculation about a third summit?",
    "How many news organizations sent questions?",
    "What does the demilitarized zone divide?",
    "Who called the letters beautiful?",
    "What is the weather in Seoul?",  # the story doesn't say
]

WH = ["what", "who", "where", "when", "how many", "why", "which"]
# frequent English words that are not stopwords: questions made only of them touch a large share of passages
COMMON = "time people year new know like good day way make work first back think world life home".split()


def synthetic(corpus: Corpus, count: int, seed: int = 7) -> list[str]:
    """Questions quoting a few consecutive words of a random sentence; one in ten of common words only."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if i % 10 == 0:
            words = rng.sample(COMMON, rng.randint(2, 4))
        else:
            passage = corpus.passages[rng.randrange(len(corpus.passages))]
            text = rng.choice(passage.sentences).text.rstrip(".").split()
            start = rng.randrange(max(1, len(text) - 2))
            words = text[start : start + rng.randint(2, 7)]
        out.append(f"{rng.choice(WH)} {' '.join(words).lower()}?")
    return out
