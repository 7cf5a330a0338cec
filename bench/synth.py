"""A synthetic newsroom: thousands of story files of plain English words drawn by their real frequency.

The words and their frequencies come from the `wordfreq` package's bundled English list (no download);
a seeded generator makes the same stories on every run, so runs compare.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path

# Words the story cleaner reads as web boilerplate (promos, navigation, legal lines); left out so every
# generated line is kept as story text and the corpus has the size asked for.
BOILERPLATE = frozenset(
    "newsletter newsletters subscribe subscription subscribers unlock paywall premium cookie cookies copyright "
    "privacy advertisement sponsored promoted inbox signup login".split()
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    words: list[str]
    cumulative: list[float]  # running total of the words' frequencies, for random.choices

    @classmethod
    def english(cls, size: int = 30000) -> Vocabulary:
        from wordfreq import top_n_list, word_frequency

        words = [w for w in top_n_list("en", size) if w.isalpha() and w.isascii() and w not in BOILERPLATE]
        cumulative = list(itertools.accumulate(word_frequency(w, "en") for w in words))
        return cls(words, cumulative)

    def draw(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=n)


def sentence(vocab: Vocabulary, rng: random.Random) -> str:
    words = vocab.draw(rng, rng.randint(10, 28))
    return " ".join(words).capitalize() + "."


def story(vocab: Vocabulary, rng: random.Random, sentences: int) -> str:
    """A headline, then paragraphs of one to five sentences, `sentences` in all."""
    title = " ".join(vocab.draw(rng, rng.randint(6, 10))).capitalize()
    paragraphs: list[str] = []
    left = sentences
    while left:
        n = min(left, rng.randint(1, 5))
        paragraphs.append(" ".join(sentence(vocab, rng) for _ in range(n)))
        left -= n
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def write_stories(folder: Path, stories: int, sentences: int, seed: int = 2026) -> Vocabulary:
    """Write `stories` files of `sentences` sentences each into folder; the same files for the same seed."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = Vocabulary.english()
    rng = random.Random(seed)
    for i in range(stories):
        (folder / f"synthetic-{i:05d}.txt").write_text(story(vocab, rng, sentences), encoding="utf-8")
    return vocab
