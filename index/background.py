"""How common a word is in English at large, from wordfreq's Zipf scale.

A story of ten sentences gives no useful idf: "think" and "bitcoin" are both unseen in it. English
word frequencies tell them apart: a question's rare words are the ones the story must hold, its
common words ("think", "big", "go") may be phrased otherwise. Loaded once, on first use.
"""

from __future__ import annotations

from functools import lru_cache

# Zipf 7 is "the"/"of"; below 1 a word is unknown to wordfreq (a name, a code, a typo): rarest.
ZIPF_CEILING = 7.5
MIN_RARITY = 0.5


@lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """ZIPF_CEILING minus the word's Zipf frequency: about 1 for "say" or "go", 3 for "summit", 7.5 unknown."""
    from wordfreq import zipf_frequency  # 0.2 s to load its table: only when a question is answered

    return max(MIN_RARITY, ZIPF_CEILING - float(zipf_frequency(word, "en")))
