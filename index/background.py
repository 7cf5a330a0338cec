"""How common a word is in English at large, from wordfreq's Zipf scale.

A story of ten sentences gives no useful idf: "think" and "bitcoin" are both unseen in it. English
word frequencies tell them apart: a question's rare words are the ones the story must hold, its
common words ("think", "big", "go") may be phrased otherwise.

`import wordfreq` and its large English table cost more than the rest of a cold
`storybot ask`. Only the top of the scale matters here (is a word common?), so the small table,
every word at Zipf 3 or above, is read straight from wordfreq's data file, once.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

# Zipf 7 is "the"/"of"; below 1 a word is unknown to wordfreq (a name, a code, a typo): rarest.
ZIPF_CEILING = 7.5
MIN_RARITY = 0.5
# Words missing from the small table are below Zipf 3; without the large table, take them as this.
BELOW_SMALL_TABLE = 2.0


@lru_cache(maxsize=1)
def _zipf_table() -> dict[str, float]:
    import msgpack  # wordfreq's own dependency; its table format is pinned by wordfreq<4

    # find_spec locates the package without running its __init__, which is slow by itself
    spec = find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("wordfreq is not installed: reinstall storybot")
    raw = (Path(spec.submodule_search_locations[0]) / "data" / "small_en.msgpack.gz").read_bytes()
    packed = msgpack.loads(gzip.decompress(raw), raw=False, strict_map_key=False)
    header = packed[0] if packed else None
    if not (isinstance(header, dict) and header.get("format") == "cB"):
        raise RuntimeError("wordfreq's data format changed: pin wordfreq<4")
    # bucket i holds the words at i centibels below probability 1; Zipf = log10(per-billion frequency)
    return {word: 9.0 - i / 100.0 for i, words in enumerate(packed[1:]) for word in words}


def zipf(word: str) -> float:
    """The word's Zipf frequency in English: 7 for "the", about 4.3 for "summit", 2 below Zipf 3."""
    return _zipf_table().get(word.casefold(), BELOW_SMALL_TABLE)


@lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """ZIPF_CEILING minus the word's Zipf frequency: about 1 for "say" or "go", 3 for "summit"."""
    return max(MIN_RARITY, ZIPF_CEILING - zipf(word))
