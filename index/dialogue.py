"""Follow-up questions understood from the conversation so far: pure text rules, no index.

A question leans on what came before when it has a pronoun with nothing to refer to inside it ("who
said so?", "did she give a reason?"), when something is left out ("when?", "and the second one?",
"will riders pay more?"), or when its subject is the previous answer ("what happens after that?").
`resolve` spells the missing part out from the previous turns (their questions as understood and the
sentences given as answers) and says what kind of follow-up it is; the answer service does the rest.

A question that stands on its own comes back unchanged, with kind "" and no previous turn: it is then
answered exactly as without history, so a change of topic drags nothing along.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.analyze import tokenize

LEANING_WORDS = 5  # "will riders pay more?" leans on what came before; "what other countries sent envoys?" does not

# kinds of follow-up
STANDALONE = ""
SPEAKER = "speaker"  # "who said so?": the speaker of the previous answer
NEXT = "next"  # "what happens after that?": the story after the previous answer
FOLLOW = "follow"  # anything else leaning on the previous turn

_WH = r"(?:who|whom|whose|what|when|where|why|how|which)"
_AUX = r"(?:is|are|was|were|am|be|been|do|does|did|has|have|had|will|would|can|could|should|shall|may|might|must)"
_DO_OR_MODAL = {"do", "does", "did", "will", "would", "can", "could", "should", "shall", "may", "might", "must"}
_SPEECH = (
    r"(?:said|say|says|saying|announced?|announces|told|tell|tells|claimed?|claims|stated?|states|wrote|write|"
    r"writes|reported|reports?|confirmed?|confirms|suggested|suggests?|added|explained?|noted|argued|warned|"
    r"insisted|revealed?|declared?|promised?)"
)
_SPEAKER_Q = re.compile(
    rf"^\W*who\s+(?:(?:first|actually|originally)\s+)?(?P<verb>{_SPEECH})\s+(?:so|that|it|this)\W*$", re.I
)
_AFTER_THAT = re.compile(
    r"^\W*(?:and\s+)?(?:what\s+(?:happens|happened|comes|came|is|was)\s+(?:next|then|after(?:wards)?|after\s+that)"
    r"|(?:and\s+)?then\s+what|what\s+next)\W*$",
    re.I,
)
_BARE_WH = re.compile(rf"^\W*(?:and|but|so)?\s*({_WH})(?:\s+(?:exactly|not|so|then))?\W*$", re.I)
_WHAT_ABOUT = re.compile(
    r"^\W*(?:and|but)\s+(?:what\s+about\s+|how\s+about\s+)?(.+?)\W*$|^\W*(?:what|how)\s+about\s+(.+?)\W*$", re.I
)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.I)
_IT = re.compile(r"\b(it|its)\b", re.I)
# "that" or "this" standing for a thing said, not in front of a noun: at the end, or before a verb or preposition
_THAT = re.compile(
    r"\b(that|this)\b(?=\s*(?:[?.!]|$)|\s+(?:is|was|be|mean|means|meant|happen|happens|happened|cost|costs|affect|"
    r"affects|matter|matters|work|works|come|came|for|to|about|from|with|in|on|by|after|before)\b)",
    re.I,
)
_EXPLETIVE = re.compile(
    r"\bit\s+(?:(?:is|was|'s)\s+)?(?:true|possible|likely|unlikely|clear|known|said|reported|thought|believed|"
    r"expected|take|took|takes|seem|seems|seemed|rain\w*)\b",
    re.I,
)
_BIO_NAME = re.compile(r"^([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)\s+(?:has|is|was|covers|writes|joined|previously)\b")
# Words that leave out what they compare with or add to: "more" with no "than", "else", "also", "too".
_LEANING = re.compile(r"\b(?:else|also|too|again|another|other|either)\b|\bmore\b(?!.*\bthan\b)", re.I)
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:[A-Z][\w'’-]+|de|van|von|bin|al|da|di|la|le))*\s+[A-Z][\w'’-]+")
_NOT_PERSON = re.compile(
    r"\b(?:Union|Department|Council|Ministry|Company|Corporation|Party|Times|News|Daily|Gazette|Post|Press|"
    r"Agency|Authority|Association|Institute|University|Bank|Court|House|Office|Group|Committee|Service|"
    r"Workers|Transit|Regional|Street|Road|City|State|States|Republic|Kingdom|Korea|North|South|East|West|"
    r"Published|Updated|Posted|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
    r"April|June|July|August|September|October|November|December)\b"
)
_FUNCTION_START = re.compile(
    r"^(?:(?:The|A|An|By|In|On|At|For|From|With|And|But|So|As|If|When|After|Before|Mayor|President|Governor|Gov|"
    r"Senator|Sen|Rep|Dr|Mr|Mrs|Ms|Prof|Professor|Judge|Chief|Minister|Secretary|Director|Leader)\.?\s+)+"
)
_ATTRIBUTION = (
    re.compile(rf"(?P<name>{_NAME.pattern})\s+(?:also\s+|later\s+|then\s+)?{_SPEECH}\b"),
    re.compile(rf"\b{_SPEECH}\s+(?P<name>{_NAME.pattern})"),
    re.compile(rf"\baccording\s+to\s+(?:[a-z]+\s+)*?(?P<name>{_NAME.pattern})"),
    re.compile(rf"(?P<name>\b[A-Z][\w'’-]+)\s+(?:also\s+)?{_SPEECH}\b"),  # a surname alone: "Moon wrote"
)
_PRONOUN_ATTRIBUTION = re.compile(rf"\b(?:he|she|they)\s+(?:also\s+)?{_SPEECH}\b", re.I)
_DETERMINER = {"the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our", "my", "your"}
_NP_STOP = _DETERMINER | {
    "it", "he", "she", "they", "him", "them", "so", "than", "to", "for", "of", "on", "in", "at", "by", "with", "about",
    "from", "after", "before", "and", "or", "but", "if", "when", "where", "why", "how", "what", "who", "which", "not",
    "is", "are", "was", "were", "be", "been", "do", "does", "did", "has", "have", "had", "will", "would", "can",
    "could", "should", "may", "might", "must", "say", "said", "yet", "still", "now", "then", "more", "else",
}  # fmt: skip
_NUMBER = re.compile(r"[\d$%.,]+|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?")
_QUESTION_LEAD = re.compile(
    rf"^\W*(?:(?:and|but|so|then)\s+)?(?:{_WH}(?:\s+(?:many|much|long|big|old|far|often|large|soon|come))?"
    rf"(?:\s+[a-z]+(?=\s+{_AUX}\b))?\s+)?(?:{_AUX}\b\s*)?",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One exchange of a conversation, as the answer service needs it back."""

    question: str
    understood: str
    sentence: str = ""  # the sentence given as the answer ("" when none)
    passage_id: str = ""
    story: str = ""
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    """A question as understood in its conversation."""

    question: str
    understood: str  # the question with its missing part spelled out; the question itself when standalone
    kind: str = STANDALONE
    previous: Turn | None = None  # the turn it leans on
    resolved: tuple[str, ...] = ()  # what was filled in ("she -> Priya Nandakumar")

    @property
    def follows(self) -> bool:
        return self.kind != STANDALONE


def resolve(question: str, turns: Sequence[Turn]) -> Resolution:
    """The question as understood after `turns` (oldest first). Standalone questions come back as they are."""
    text = " ".join(question.split())
    if not turns or not text:
        return Resolution(question, question)
    previous = turns[-1]
    said = _SPEAKER_Q.match(text)
    if said:
        verb = said.group("verb").lower()
        return Resolution(
            question, f"who {verb} {_statement(previous)}", SPEAKER, previous, (f"{verb} -> previous answer",)
        )
    if _AFTER_THAT.match(text):
        return Resolution(
            question, f"what happens after {_gist(previous.sentence) or _statement(previous)}", NEXT, previous
        )
    bare = _BARE_WH.match(text)
    if bare:
        wh = bare.group(1).lower()
        return Resolution(
            question, f"{wh} {_body(previous.understood)}", FOLLOW, previous, (f"{wh} -> previous question",)
        )
    about = _WHAT_ABOUT.match(text)
    if about and not re.search(rf"\b{_AUX}\b|\b{_WH}\b", about.group(1) or about.group(2) or "", re.I):
        swapped = next(
            (s for t in reversed(turns) if (s := _swap_topic(t.understood, about.group(1) or about.group(2) or ""))), ""
        )
        if swapped:
            return Resolution(question, swapped, FOLLOW, previous, ("and ... -> previous question",))
    understood, filled = _fill_pronouns(text, turns)
    if filled:
        return Resolution(question, understood, FOLLOW, previous, tuple(filled))
    short = len(text.split()) <= LEANING_WORDS  # a longer question says what it is about
    if short and _LEANING.search(text) and not _names_its_own_topic(text, previous):
        topic = _thing(turns) or _person(turns)
        if topic:
            return Resolution(question, f"{text.rstrip('?!. ')} ({topic})", FOLLOW, previous, (f"... -> {topic}",))
    return Resolution(question, question)


# ---- the pieces of a previous turn a follow-up refers to ----


def topic(question: str) -> str:
    """The noun phrase a question is about: "How long is the new contract?" -> "the new contract";
    "Was the rail strike called off?" -> "the rail strike"; "" when it opens with a verb or pronoun."""
    lead = _QUESTION_LEAD.match(question)
    aux = re.search(rf"\b{_AUX}\b", lead.group(0), re.I) if lead else None
    rest = question[lead.end() :] if lead else question
    if lead and not aux and re.match(rf"^\W*(?:(?:and|but|so|then)\s+)?{_WH}\b", lead.group(0), re.I):
        return ""  # "who announced it?": the question word is the subject
    words = re.findall(r"[\w'’$%.,-]+", rest)
    out: list[str] = []
    for w in words:
        bare = w.strip(".,").lower()
        content = any(x.lower() not in _DETERMINER for x in out)
        if not bare or content and (bare in _NP_STOP or _NUMBER.fullmatch(bare)):
            break
        if content and bare.endswith(("ed", "ing")) and not w[:1].isupper():
            break
        if bare in _NP_STOP - _DETERMINER:
            break
        out.append(w.strip(".,"))
        if w.endswith(","):
            break
    if aux and aux.group(0).lower() in _DO_OR_MODAL and len(out) >= 2 and not out[-1][:1].isupper():
        out.pop()  # "does the new contract add": the base verb follows the subject
    while out and out[-1].lower() in _DETERMINER:
        out.pop()
    out = out[:4]  # a topic is a short phrase; past that the words are the rest of the question
    return " ".join(out) if any(w.lower() not in _DETERMINER for w in out) else ""


def speaker(sentence: str) -> str:
    """The person a sentence quotes by name ("..., Moon said", "said union leader Priya Nandakumar"), or ""."""
    for pattern in _ATTRIBUTION:
        for match in pattern.finditer(sentence):
            name = _FUNCTION_START.sub("", match.group("name"))
            if name and not _NOT_PERSON.search(name) and name.split()[0] not in ("He", "She", "They", "It"):
                return name
    return ""


def quotes_someone_unnamed(sentence: str) -> bool:
    """'"...," he said': the speaker is named in a sentence nearby."""
    return bool(_PRONOUN_ATTRIBUTION.search(sentence))


def people(text: str) -> list[str]:
    """Names of people in a text, in order: runs of capitalised words that do not name an organisation."""
    out = []
    for match in _NAME.finditer(text):
        name = _FUNCTION_START.sub("", match.group(0))
        if " " in name and not _NOT_PERSON.search(name):
            out.append(name)
    return out


def _person(turns: Sequence[Turn]) -> str:
    """Who "he" or "she" is: the most recent person the conversation named (a speaker first, or the
    author a bio opens with)."""
    for turn in reversed(turns):
        bio = _BIO_NAME.match(turn.sentence)
        for source in (
            speaker(turn.sentence),
            *people(turn.understood),
            *people(turn.sentence),
            bio.group(1) if bio else "",
        ):
            if source:
                return source
    return ""


def _thing(turns: Sequence[Turn]) -> str:
    """What "it" is: the most recent question topic that is one thing and not a person."""
    for turn in reversed(turns):
        found = topic(turn.understood)
        head = found.split()[-1].lower() if found else ""
        plural = head.endswith("s") and not head.endswith(("ss", "us", "is"))
        if found and not plural and not people(found) and not found[:1].isupper():
            return found
    return ""


def _statement(turn: Turn) -> str:
    """The previous turn as a clause: "Was the rail strike called off?" -> "the rail strike was called off";
    a wh-question without its question words; or else the answer given."""
    body = _body(turn.understood)
    wh = turn.understood.strip()[: len(turn.understood.strip()) - len(body) - 1].strip(" ?").lower()
    aux = re.match(rf"({_AUX})\s+", body, re.I)
    subject = topic(turn.understood) if aux else ""
    rest = body[aux.end() :] if aux else ""
    if aux and subject and rest.startswith(subject) and aux.group(1).lower() not in _DO_OR_MODAL:
        # "where is the third summit" -> "where the third summit is"
        clause = f"{subject} {aux.group(1).lower()}{rest[len(subject) :]}"
        return f"{wh} {clause}" if re.fullmatch(rf"{_WH}(?:\s+\w+)?", wh) else clause
    if wh or not body:  # a wh-question with do-support reads badly as a clause: the answer given instead
        return _gist(turn.sentence) or body
    return body


def _gist(sentence: str, words: int = 10) -> str:
    """A sentence shortened to its first words, to name it in a question."""
    cut = sentence.split()
    return " ".join(cut[:words]) + ("…" if len(cut) > words else "")


def _body(question: str) -> str:
    """'Was the rail strike called off?' -> 'was the rail strike called off' (wh-words dropped, aux kept)."""
    text = question.strip().rstrip("?!. ")
    text = re.sub(
        rf"^\W*(?:(?:and|but|so)\s+)?{_WH}(?:\s+(?:many|much|long|big|old|far|often|large|soon)\b)?\s*",
        "",
        text,
        flags=re.I,
    )
    return text[:1].lower() + text[1:] if text[:2].isupper() is False else text


def _swap_topic(previous: str, new: str) -> str:
    """'where is the third summit?' with 'the second one' -> 'where is the second summit?'."""
    old = topic(previous)
    if not old or not new:
        return ""
    head = old.split()[-1]
    replacement = re.sub(r"\bones?\b", head, new, flags=re.I)
    return previous.replace(old, replacement, 1)


def _fill_pronouns(text: str, turns: Sequence[Turn]) -> tuple[str, list[str]]:
    """He/she/it/that filled in, unless the question names its own antecedent before the pronoun
    ("Did Moon say he would come?", "Was the strike called off before it began?")."""
    filled: list[str] = []
    # the antecedents are looked for only when there is a pronoun to fill: most questions have none
    pronoun = _PERSON_PRONOUN.search(text)
    if pronoun and re.search(r"(?<!^)\b[A-Z][a-z]", text[: pronoun.start()].lstrip("¿¡\"'“ ")):
        pronoun = None  # a name before the pronoun is its antecedent
    person = _person(turns) if pronoun else ""
    if person:

        def person_for(match: re.Match[str]) -> str:
            word = match.group(1).lower()
            filled.append(f"{word} -> {person}")
            return person + ("'s" if word in ("his", "hers") else "")

        text = _PERSON_PRONOUN.sub(person_for, text)
    # no "it", or "it" has its antecedent in the question, or stands for nothing ("is it true that ..."): no thing
    it = _IT.search(text) and not (topic(text) or _EXPLETIVE.search(text))
    thing = _thing(turns) if it else ""
    if thing:

        def thing_for(match: re.Match[str]) -> str:
            before = text[: match.start()].split()
            if before and re.fullmatch(_SPEECH, before[-1].lower()):  # "say it": what was said, left as it is
                return match.group(0)
            filled.append(f"{match.group(1).lower()} -> {thing}")
            return thing + ("'s" if match.group(1).lower() == "its" else "")

        text = _IT.sub(thing_for, text)
    that = _THAT.search(text)
    phrase = _answer_phrase(turns[-1]) if that else ""
    if that and phrase:
        filled.append(f"{that.group(1).lower()} -> {phrase}")
        text = text[: that.start()] + phrase + text[that.end() :]
    return text, filled


def _answer_phrase(turn: Turn) -> str:
    """What the previous answer gave: the words after the question's verb in the answer sentence, up to
    the end of the clause ("what does it add?" / "The deal also adds two paid sick days, ..." -> "two
    paid sick days"); "" when the verb is not there."""
    words = re.findall(r"[\w'’]+", turn.understood)
    if not words or not turn.sentence:
        return ""
    verb = tokenize(words[-1])
    if not verb:
        return ""
    for match in re.finditer(r"[\w'’]+", turn.sentence):
        if tokenize(match.group(0)) == verb:
            clause = re.split(r"[,;:.!?—–()\"“”]|\s(?:and|but|which|who|after|while)\s", turn.sentence[match.end() :])[
                0
            ]
            phrase = " ".join(clause.split()[:8])
            return phrase if len(phrase.split()) >= 2 else ""
    return ""


def _names_its_own_topic(text: str, previous: Turn) -> bool:
    """A question that shares no content word with the previous turn and says what it is about is a new topic."""
    own = set(tokenize(text))
    before = set(tokenize(previous.understood)) | set(tokenize(previous.sentence))
    return bool(people(text)) and not own & before


# ---- a conversation as plain data (JSON-able), for whoever keeps it: the CLI, the chat, Telegram ----

MAX_TURNS = 6  # turns kept: a follow-up leans on the last one or two


def turn_data(turn: Turn, at: float) -> dict[str, object]:
    """A turn as plain data, with when it was asked (epoch seconds)."""
    return {
        "q": turn.question,
        "understood": turn.understood,
        "sentence": turn.sentence,
        "passage_id": turn.passage_id,
        "story": turn.story,
        "answered": turn.answered,
        "at": at,
    }


def recent_turns(conversation: object, now: float, idle_seconds: float) -> list[Turn]:
    """The turns of a conversation kept as plain data ({"story": ..., "turns": [turn_data, ...]}), or none
    when it has been idle longer than `idle_seconds` (0: follow-ups are off) or is not a conversation."""
    if idle_seconds <= 0 or not isinstance(conversation, dict):
        return []
    rows = conversation.get("turns")
    if not isinstance(rows, list) or not rows:
        return []
    last = rows[-1].get("at") if isinstance(rows[-1], dict) else None
    if not isinstance(last, int | float) or now - last > idle_seconds:
        return []
    out = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        text = {key: row.get(key) for key in ("q", "understood", "sentence", "passage_id", "story")}
        if not all(isinstance(v, str) for v in text.values()):
            continue
        out.append(
            Turn(
                str(text["q"]),
                str(text["understood"]),
                str(text["sentence"]),
                str(text["passage_id"]),
                str(text["story"]),
                bool(row.get("answered")),
            )
        )
    return out


def remember(conversation: object, turn: Turn, now: float, story: str | None) -> dict[str, object]:
    """The conversation with `turn` added (a new one when there was none, it had expired, or the chat
    switched story since), keeping the last MAX_TURNS turns."""
    rows: list[object] = []
    if isinstance(conversation, dict) and conversation.get("story") == story:
        kept = conversation.get("turns")
        rows = list(kept) if isinstance(kept, list) else []
    rows.append(turn_data(turn, now))
    return {"story": story, "turns": rows[-MAX_TURNS:]}
