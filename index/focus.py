"""What a question asks about beyond its bag of words: its predicate and the thing it counts.

A story that mentions a question's subject but not what is asked of it ("Who will replace Pompeo?" of
a story that only names Pompeo) shares most of the question's words; what it lacks is the predicate,
the verb the question turns on. And "How many drivers were fired?" of a sentence that holds a number
and, elsewhere, drivers is not answered by it: the number must count the drivers.

No tagger: English questions put the verb in a few places, found from the auxiliaries around it.
- "Who will replace Pompeo?", "How much did Kim pay for the letters?": after a do/modal auxiliary and
  the subject, the verb is the last plain lowercase word before a preposition, determiner or the end.
- "How many drivers were fired?", "When was the plant built?": after a form of be or have, a participle.
- "Who leads the union?", "Which official resigned?": right after the wh-phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.analyze import STOPWORDS, words_and_terms
from index.memo import Pairs

_WH = frozenset("who whom whose what which when where why how".split())
_DO = frozenset("do does did will would can could should shall may might must".split())
_BE = frozenset("is are was were be been being am has have had".split())
_BREAK = frozenset(
    """about above across after against along among around at before behind below beside between beyond by
    during for from in inside into near of off on onto out outside over per since than through to toward
    towards under until upon with within without a an the this that these those his her its their our my
    your who whom whose what which when where why how""".split()
)
_IRREGULAR_PLURALS = frozenset("people men women children police staff cattle".split())
_PARTICIPLE = re.compile(r"(?:ed|ing)$")
_IRREGULAR_PARTICIPLES = frozenset(
    """beaten begun broken built bought brought caught chosen done drawn driven eaten fallen felt forgotten
    found fought given gone grown held hidden hit hurt kept known laid led left lost made meant met paid put
    quit read ridden risen run said seen sent set shot shown shut sold spent spoken stolen struck taken
    taught thought told understood won written""".split()
)
# "have to pay", "want to cut", "supposed to start": the verb is after the "to"
_CATENATIVE = frozenset(
    """have has had want wants wanted need needs needed going plan plans planned planning expect expected
    supposed scheduled set due likely about able trying try tried hope hoped""".split()
)
# Verbs that carry little of a question's meaning: "What *happened* to the supervisors?"
_LIGHT = frozenset("be do get go happen become seem make take come give put keep let say tell use".split())
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*|\d[\d,.]*")
_NUMBER_WORDS = frozenset(
    "dozen dozens hundred hundreds thousand thousands million millions billion billions several".split()
)


@dataclass(frozen=True, slots=True)
class Focus:
    predicate: str  # the index term of the question's verb, "" when it has none (a "who is X" question)
    predicate_word: str  # the word it came from, for its English frequency
    counted: tuple[str, ...]  # the terms of the noun phrase a "how many" question counts


NO_FOCUS = Focus("", "", ())


def _plain(word: str) -> bool:
    """A lowercase content word: not a name, not a stopword, not an -ly adverb, not a number."""
    return word.islower() and word not in STOPWORDS and not word.endswith("ly") and not word[0].isdigit()


def _term(word: str) -> str:
    pairs = words_and_terms(word)
    return pairs[0][1] if pairs else ""


_LIGHT_TERMS = frozenset(t for _, t in words_and_terms(" ".join(_LIGHT)))


@lru_cache(maxsize=4096)
def focus(text: str) -> Focus:
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    at = next((i for i, w in enumerate(lower) if w in _WH), None)
    if at is None:  # a yes/no question: "Will fares go up?" starts with its auxiliary
        at = -1
    else:
        at += 1
    counted: tuple[str, ...] = ()
    if at > 0 and lower[at - 1] == "how" and at < len(words):
        asked = lower[at]
        at += 1
        if asked == "many":  # the counted noun phrase ends at its plural noun
            end = at
            while end < len(words) and end < at + 4 and lower[end] not in _DO | _BE | _BREAK:
                end += 1
                if lower[end - 1].endswith("s") or lower[end - 1] in _IRREGULAR_PLURALS:
                    break
            counted = tuple(t for t in (_term(w) for w in lower[at:end]) if t)
            at = end
    elif at > 0 and lower[at - 1] in ("what", "which", "whose"):
        # "what time does", "which news outlet reported": an auxiliary soon after ends the wh-phrase
        for i in range(at, min(at + 4, len(words))):
            if lower[i] in _DO | _BE:
                at = i
                break
            if lower[i] in _BREAK:
                break
    verb = _predicate(words, lower, max(at, 0)).lower()
    term = _term(verb) if verb else ""
    if term in _LIGHT_TERMS:
        term = verb = ""
    return Focus(term, verb, counted)


def _predicate(words: list[str], lower: list[str], at: int) -> str:
    if at >= len(words):
        return ""
    first = lower[at]
    if first in _DO:
        run = _run(words, lower, at + 1)
        plain = [w for w in run if _plain(w)]
        return plain[-1] if plain else ""
    if first in _BE:
        run = _run(words, lower, at + 1)
        for w in reversed(run):
            if _plain(w) and (_PARTICIPLE.search(w) or w in _IRREGULAR_PARTICIPLES or w in _after_to(lower)):
                return w
        return ""
    plain = [w for w in _run(words, lower, at) if _plain(w)]
    if not plain:
        return ""
    # "who leads the union": the verb comes first; "which news outlet reported": after the wh-noun
    return plain[0] if at > 0 and lower[at - 1] in ("who", "whom") else plain[-1]


def _after_to(lower: list[str]) -> set[str]:
    """Words right after a catenative "to": "supposed to *start*" is a verb, whatever its ending."""
    return {lower[i + 1] for i in range(1, len(lower) - 1) if lower[i] == "to" and lower[i - 1] in _CATENATIVE}


def _run(words: list[str], lower: list[str], start: int) -> list[str]:
    """The subject and verb after an auxiliary: words up to the first preposition, determiner, or name
    after a plain word ("did Moon last meet *Kim*"); a determiner opening the subject does not end it."""
    run: list[str] = []
    for i in range(start, len(words)):
        w = lower[i]
        if w == "to" and run and i > start and lower[i - 1] in _CATENATIVE:
            if run[-1].lower() == lower[i - 1]:
                run.pop()
            continue
        if w in _BREAK:
            if run:
                break
            continue
        if run and _plain(run[-1]) and not words[i].islower():
            break
        if w in _BE and run:  # "will the pipes be replaced": go on to the participle
            continue
        run.append(words[i])
    return run


_COUNT_WINDOW = 3  # content words between a number and the noun it counts ("210,000 daily riders")


def counts(counted: tuple[str, ...], pairs: Pairs) -> bool | None:
    """Does a number in the sentence (its words and terms, `pairs`) count the question's noun ("640
    jobs" for "how many jobs")? None when the sentence does not hold the noun at all: then any number
    may be the answer ("population of 5,000" for "how many people live there")."""
    spots = [i for i, (_, t) in enumerate(pairs) if t in counted]
    if not spots:
        return None
    for i in spots:
        for word, term in pairs[max(0, i - _COUNT_WINDOW) : i]:
            if term[:1].isdigit() or word in _NUMBER_WORDS:
                return True
    return False
