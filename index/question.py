"""What a question asks: its type (where/when/who/how many/why), its content terms, its acronyms,
and the cues that a sentence holds the kind of thing asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.analyze import STOPWORDS, words_and_terms
from index.memo import KindMatches

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"

CUES: dict[str, re.Pattern[str]] = {
    "where": re.compile(
        rf"\b(?:in|at|near|outside|inside|across|to|from|of)\s+(?:the\s+)?(?!(?:{_MONTHS}|{_DAYS})\b)[A-Z][a-z]+"
        r"|\b(?:place|location|venue|site|located|headquarter\w*|border|city|country|region|state|capital)\b"
    ),
    "when": re.compile(
        rf"\b(?:{_MONTHS}|{_DAYS}|today|tomorrow|yesterday|tonight|morning|evening|night|noon|midnight|"
        r"week|weeks|month|months|year|years|ago|since|until|within|time|date|century|decade|season|"
        r"spring|summer|autumn|winter|later|earlier|soon)\b|"
        r"\b(?:1[0-9]{3}|20[0-9]{2})s?\b|\b\d{1,2}(?::\d\d)?\s*(?:a\.m\.|p\.m\.|am\b|pm\b)",
        re.IGNORECASE,
    ),
    "who": re.compile(
        r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z.]+)+|\b(?:president|minister|leader|chief|director|"
        r"ceo|head|chair\w*|analyst|spokes\w+|official|secretary|founder|king|queen|governor|mayor|"
        r"senator|judge|author|singer|actor|player|manager)\b"
    ),
    "number": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
        r"hundred|thousand|million|billion|trillion|dozen|percent|half|quarter|several|few)\b|[$€£%]",
        re.IGNORECASE,
    ),
    "why": re.compile(
        r"\b(?:because|after|due to|since|so that|as a result|reason|in order to|thanks to|following|led to|"
        r"caused?|amid)\b",
        re.IGNORECASE,
    ),
}

# The question's frame: words that say what kind of answer is wanted rather than what it is about.
# "How big is the raise?" asks for a number about a raise; "big" need not appear beside it.
_QTYPE = [
    (
        "number",
        re.compile(
            r"\bhow (many|much|big|large|long|old|far|often|high|tall|deep|wide|fast|heavy)\b"
            r"|\bwhat (percentage|number|amount|price|size)\b",
            re.I,
        ),
    ),
    ("when", re.compile(r"\bwhen\b|\bwhat (time|year|day|date|month)\b", re.I)),
    ("where", re.compile(r"\bwhere\b|\bwhat (city|country|place|state)\b", re.I)),
    ("who", re.compile(r"\bwho(?:m|se)?\b", re.I)),
    ("why", re.compile(r"\bwhy\b", re.I)),
]
_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
_MINOR = STOPWORDS  # skipped inside a spelled-out acronym, never its last word


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    qtype: str
    terms: tuple[str, ...]  # content terms, each once, in order
    words: tuple[str, ...]  # the word each term came from, for its English frequency
    acronyms: tuple[tuple[str, str], ...]  # (term, letters) for all-caps words, which a story may spell out
    embedded: str = ""  # the wh-word of a question inside a yes/no one: "Did police say *why* ...?"
    polar: bool = False  # a yes/no question: "Did the union accept?", answered by the sentence that settles it
    specific: tuple[str, ...] = ()  # terms of its names and numbers ("Galileo", "1763"): a sentence about
    # another name or number does not answer it


@lru_cache(maxsize=4096)
def parse(text: str) -> Question:
    qtype, frame = "", ""
    for name, pattern in _QTYPE:
        found = pattern.search(text)
        if found:
            qtype = name
            frame = (found.group(1) or "").lower() if found.groups() else ""
            break
    frame_terms = {t for _, t in words_and_terms(frame)} if frame else set()
    seen: dict[str, str] = {}
    for word, term in words_and_terms(text):
        if term not in seen and term not in frame_terms:
            seen[term] = word
    acronyms = []
    for match in _ACRONYM.finditer(text):
        letters = match.group(0).removesuffix("s").lower()
        if letters in seen:
            acronyms.append((letters, letters))
    found = _EMBEDDED.search(text)
    embedded = found.group(1).lower() if found else ""
    if embedded:  # it asks whether the story tells, not for the name or date itself
        qtype = ""
    polar = not qtype and bool(_POLAR.match(text)) and not _WH.search(text)
    specific = tuple(dict.fromkeys(t for w in _SPECIFIC.findall(text) for _, t in words_and_terms(w) if t in seen))
    return Question(text, qtype, tuple(seen), tuple(seen.values()), tuple(acronyms), embedded, polar, specific)


# a name (capitalised after the first word) or a number; the question's first word is capitalised anyway
_SPECIFIC = re.compile(r"(?<=\S\s)[A-Z][\w'’.-]*|\b\w*\d[\w.,]*")


_POLAR = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?(?:did|does|do|has|have|had|will|would|is|are|was|were|can|could|should|shall|"
    r"may|might|must|isn't|aren't|wasn't|weren't|didn't|doesn't|don't|hasn't|haven't|won't|can't)\b",
    re.I,
)
_WH = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)

# "Did Moon say who took part?" asks whether the story tells; "He didn't say who participated" answers it.
_EMBEDDED = re.compile(
    r"^\W*(?:did|does|do|has|have|had|will|would|is|are|was|were|can|could)\b.*?\b"
    r"(?:say|said|tell|told|know|reveal|disclose|explain|specify|confirm|announce|mention)\w*\s+"
    r"(who|when|where|why|how|whether|what|which)\b",
    re.I,
)
_REPORTING = (
    r"\b(?:say|said|says|saying|tell|told|know|knew|known|reveal\w*|disclose\w*|explain\w*|specif\w*|"
    r"confirm\w*|announce\w*|mention\w*|clear|unclear|unknown)\b[^.;]*?\b"
)


@lru_cache(maxsize=256)
def _echo_pattern(wh: str) -> re.Pattern[str]:
    return re.compile(_REPORTING + rf"(?:{wh}|whether|if)\b", re.I)


def echoes(q: Question, sentence: str) -> bool:
    """Does the sentence report on the embedded question: "did not say who", "unclear when"?"""
    return bool(q.embedded) and bool(_echo_pattern(q.embedded).search(sentence))


def cue(qtype: str, sentence: str, known: frozenset[str] = frozenset(), matches: KindMatches | None = None) -> bool:
    """Does the sentence hold the kind of thing the question asks for, and something new of that kind?
    The answer to "who won the 1998 World Cup" is a name other than "World Cup", and to "when did it
    open in 1998" a date other than 1998: a match made only of `known` terms does not count. `matches`
    is kind_matches remembered per sentence by the index (index/memo.py), when the caller has one."""
    found = (matches or kind_matches)(qtype, sentence)
    return any(not terms or not terms <= known for terms in found)


def kind_matches(qtype: str, sentence: str) -> tuple[frozenset[str], ...]:
    """The terms of each match of the question type's pattern in the sentence."""
    pattern = CUES.get(qtype)
    if pattern is None:
        return ()
    return tuple(_terms_of(match.group(0)) for match in pattern.finditer(sentence))


@lru_cache(maxsize=65536)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(t for _, t in words_and_terms(text))


_WORDS = re.compile(r"[^\W_]+")


def spells_out(letters: str, sentence: str) -> bool:
    """Does the sentence spell the acronym out ("FBI": "Federal Bureau of Investigation", "DMZ":
    "demilitarized zone")? Each word of the phrase gives the acronym its next letter by its initial,
    small words ("of", "the") may be skipped, and a word may give a second letter only where a prefix
    ends ("de|militarized"), so "forced the British" is not "FBI"."""
    words = _WORDS.findall(sentence.lower())
    for i, first in enumerate(words):
        if first[0] != letters[0]:
            continue
        for n in range(2, len(letters) + 3):
            phrase = words[i : i + n]
            if len(phrase) < n:
                break
            if phrase[-1] not in _MINOR and _fits(letters, tuple(phrase)):
                return True
    return False


_PREFIXES = (
    "anti",
    "auto",
    "bi",
    "co",
    "de",
    "dis",
    "inter",
    "micro",
    "multi",
    "non",
    "over",
    "post",
    "pre",
    "re",
    "semi",
    "sub",
    "super",
    "tele",
    "trans",
    "tri",
    "un",
    "under",
)


@lru_cache(maxsize=8192)
def _fits(letters: str, words: tuple[str, ...]) -> bool:
    if not words:
        return not letters
    word, rest = words[0], words[1:]
    if word in _MINOR and _fits(letters, rest):
        return True
    if not letters or word[0] != letters[0]:
        return False
    if _fits(letters[1:], rest):
        return True
    # a second letter from inside the word, where a prefix ends: "de|militarized" gives D and M
    return len(letters) > 1 and any(
        word.startswith(p) and len(word) > len(p) and word[len(p)] == letters[1] and _fits(letters[2:], rest)
        for p in _PREFIXES
    )
