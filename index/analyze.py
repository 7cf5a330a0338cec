"""The one tokenizer: passages and questions go through the same steps, so they meet on equal terms."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Snowball's English stopwords, less the words that carry a question's meaning in news
# ("not", "no", "against", "before", "after" change what a sentence says).
# Names the tokenizer's behaviour; the index stores it, and an index built by another one must be
# rebuilt. Bump it whenever tokenize() output changes (tests/test_analyzer_version.py will say so).
ANALYZER = "2026.12-1"

STOPWORDS = frozenset(
    """a about above again all am an and any are aren't as at be because been being below between both
    but by can could couldn't did didn't do does doesn't doing don't down during each few for from further
    had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
    his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself nor of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under until up very
    was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while
    who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves us s t d ll m o re ve y also just""".split()
)

# Irregular forms Snowball leaves apart; news questions ask "say" of text that says "said".
IRREGULAR = {
    "said": "say",
    "says": "say",
    "saying": "say",
    "told": "tell",
    "went": "go",
    "gone": "go",
    "goes": "go",
    "made": "make",
    "took": "take",
    "taken": "take",
    "held": "hold",
    "met": "meet",
    "began": "begin",
    "begun": "begin",
    "won": "win",
    "lost": "lose",
    "left": "leave",
    "led": "lead",
    "leader": "lead",
    "leaders": "lead",
    "leadership": "lead",
    "came": "come",
    "got": "get",
    "gave": "give",
    "given": "give",
    "thought": "think",
    "found": "find",
    "knew": "know",
    "known": "know",
    "saw": "see",
    "seen": "see",
    "spoke": "speak",
    "spoken": "speak",
    "wrote": "write",
    "written": "write",
    "paid": "pay",
    "sold": "sell",
    "bought": "buy",
    "brought": "bring",
    "built": "build",
    "sent": "send",
    "spent": "spend",
    "chose": "choose",
    "chosen": "choose",
    "fell": "fall",
    "fallen": "fall",
    "rose": "rise",
    "risen": "rise",
    "ran": "run",
    "struck": "strike",
    "fought": "fight",
    "caught": "catch",
    "taught": "teach",
    "kept": "keep",
    "felt": "feel",
    "meant": "mean",
    "became": "become",
    "grew": "grow",
    "grown": "grow",
    "drew": "draw",
    "drawn": "draw",
    "born": "bear",
    "died": "die",
    "dead": "die",
    "death": "die",
    "children": "child",
    "men": "man",
    "women": "woman",
    "people": "person",
    "mice": "mouse",
    "feet": "foot",
}

ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
}
CARDINALS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# Dotted acronyms (U.S., U.N.) and all-caps words (DMZ, US, G20) before lowercasing, because
# lowercasing would turn "US" into the stopword "us".
_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}|\b[A-Z][A-Z0-9&]+\b")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMERIC_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_ACRONYM_MARK = "\x00"

_stemmer = Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """Unicode-normalize, unify apostrophes and mark acronyms so they survive the stopword list."""
    if not text.isascii():
        text = _fold_latin_marks(unicodedata.normalize("NFKC", text)).translate(_APOSTROPHES)
    elif "`" in text:  # the one ASCII apostrophe to unify; NFKC leaves ASCII as it is
        text = text.translate(_APOSTROPHES)
    text = _ACRONYM.sub(_mark_acronym, text)
    text = text.replace("%", " percent ")
    return text.casefold()


def _fold_latin_marks(text: str) -> str:
    """Drop the accents of Latin letters: readers type "Zurich" and "Yesun Temur" for "Zürich" and
    "Yesün Temür", and a story may spell a name either way. Marks on other scripts are part of their
    letters (the Devanagari virama is a combining mark too), so they stay."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii() and out[-1].isalpha():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _mark_acronym(match: re.Match[str]) -> str:
    letters = match.group(0).replace(".", "")
    if len(letters) < 2:
        return match.group(0)
    return " " + _ACRONYM_MARK + letters + " "


@lru_cache(maxsize=65536)
def _term(word: str) -> str | None:
    """One surface word to its index term, or None for a stopword."""
    if word.startswith(_ACRONYM_MARK):
        return word[1:]
    if word in STOPWORDS:
        return None
    word = word.removesuffix("'s")
    if "'" in word:
        word = word.replace("'", "")
    if word[0].isdigit() and _NUMBER.fullmatch(word):
        return word.replace(",", "")
    ordinal = _NUMERIC_ORDINAL.match(word)
    if ordinal:
        return "#" + str(int(ordinal.group(1)))
    if word in ORDINALS:
        return "#" + str(ORDINALS[word])
    if word in CARDINALS:
        return str(CARDINALS[word])
    word = IRREGULAR.get(word, word)
    return str(_stemmer.stemWord(word))


def tokenize(text: str) -> list[str]:
    """Text to index terms: normalized, hyphens split, stopwords out, stemmed, numbers and ordinals unified."""
    return [term for chunk in normalize(text).split() for _, term in _chunk_pairs(chunk)]


def words_and_terms(text: str) -> list[tuple[str, str]]:
    """Each kept word (normalized, unstemmed) with its index term: answering weighs a term by how
    common its word is in English, which a stem cannot be looked up by."""
    return [pair for chunk in normalize(text).split() for pair in _chunk_pairs(chunk)]


@lru_cache(maxsize=65536)
def _chunk_pairs(chunk: str) -> tuple[tuple[str, str], ...]:
    """words_and_terms of one whitespace-separated chunk of normalized text. Chunks repeat (word
    frequencies are skewed), and each is split and stemmed on its own, so building an index looks
    most of them up here instead."""
    pairs = []
    for raw in _split_chunk(chunk):
        term = _term(raw)
        if term:
            pairs.append((raw.removeprefix(_ACRONYM_MARK), term))
    return tuple(pairs)


def _split_chunk(chunk: str) -> list[str]:
    mark = chunk.startswith(_ACRONYM_MARK)
    if mark:
        chunk = chunk[1:]
    bare = chunk.strip("$€£.,;:!?()[]\"'")
    if _NUMBER.fullmatch(bare):
        return [bare]  # 210,000 and 4.5 stay one number
    found: list[str] = _WORD.findall(chunk.replace("-", " ").replace("/", " "))
    if mark and found:
        found[0] = _ACRONYM_MARK + found[0]
    return found
