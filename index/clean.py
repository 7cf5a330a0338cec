"""Find the story inside scraped text: headline, byline, body; and say what was dropped and why.

Scraped pages wrap an article in navigation, promos, bios and lists of other headlines. Each line
is judged on its own (keywords, shape) and by its neighbours (a promo block, a list between
separators), and only prose survives as body paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.read import RawStory
from index.types import Dropped, Paragraph, Story, StoryMeta


class _Words:
    """A case-insensitive pattern of lower-case words, only asked whether it occurs in a line. An ASCII
    line is lower-cased and searched case-sensitively, which `re` does many times faster than with
    IGNORECASE (same answer: the pattern has no upper-case letters); any other line is searched as it is."""

    def __init__(self, pattern: str) -> None:
        self._lowered = re.compile(pattern)
        self._caseless = re.compile(pattern, re.IGNORECASE)

    def search(self, text: str) -> bool:
        if text.isascii():
            return self._lowered.search(text.lower()) is not None
        return self._caseless.search(text) is not None


_NON_WORD = re.compile(r"\W+")
# the ASCII characters \W matches, each to a space
_ASCII_NON_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")})
_TERMINALS = ".!?…:;"
_CLOSERS = "\"'”’)]"  # may follow the mark that ends a sentence
_SEPARATOR = re.compile(r"^[\W_]*$")
_SHORT_SENTENCE = re.compile(r"[a-z][.!?…][\"'”’)]*$")  # ends a sentence after a lower-case word
_NAV = re.compile(
    r"^(skip to|jump to|menu|search|home|sign in|log ?in|log out|subscribe|newsletters?|share|"
    r"print|email|close|open|back to top|navigation|sections?|main menu|accessibility)\b",
    re.IGNORECASE,
)
_PROMO_WORDS = _Words(
    r"newsletter|sign up|subscribe|subscription|your inbox|to your email|free daily email|"
    r"delivered (?:directly|straight|every|to)|unlock|paywall|premium|download (?:our|the) app|"
    r"follow us|join us|support (?:our|independent) journalism"
)
_WEB_ADDRESS = _Words(r"\b(?:www\.)?\w+\.(?:com|org|net|co\.uk)\b")
_WEB_ADDRESS_END = _Words(r"\.(?:com|org|net|co\.uk)\b")  # quick to look for, and needed
_READER = _Words(r"\b(?:you|your|yours|we|our|us)\b|https?://")
_MENU_SEPARATORS = re.compile(r"\s[|•·]\s")
_AD = re.compile(r"^(advertisement|sponsored|ad|promoted|paid content|story continues below)\b", re.IGNORECASE)
_RELATED = re.compile(
    r"^(read more|more from|related|most read|most popular|most viewed|recommended|trending|you may also like|"
    r"read next|see also|also read|more stories|latest news|top stories|editor'?s picks|watch)\b",
    re.IGNORECASE,
)
# A teaser list's items are short: the story resumes at the first longer paragraph.
MAX_LIST_ITEM_WORDS = 12
_LIST_HEADER = re.compile(
    r"^(?:more from [\w ]+|related(?: stories| articles| content| links)?|most (?:read|popular|viewed)|"
    r"recommended(?: for you)?|trending(?: now)?|you may also like|read next|see also|more stories|latest news|"
    r"top stories|editor'?s picks)\W*$",
    re.IGNORECASE,
)
# A copyright line or "all rights reserved" is never the story; the weaker words (cookies, privacy,
# copyright as a subject) are, unless the line addresses the reader or is not a sentence.
# "©" opening the line or before a year: mid-sentence it is a character in the story ("said © the ...")
_LEGAL = _Words(r"^\W*©|©\s*\d{4}|\(c\)\s*\d{4}|all rights reserved|copyright\s+(?:©\s*)?\d{4}")
_LEGAL_WORDS = _Words(
    r"cookie|copyright|privacy (?:policy|notice|settings)|terms (?:of|and) (?:use|service|conditions)"
)
_COPYRIGHT_HOLDER = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:©\s*)?\d{4}(?:\s*[-–]\s*\d{4})?,?\s+(.+?)"
    r"(?:,?\s+(?:Ltd|Limited|Inc|LLC|plc|Media|Group|Co)\.?)*\s*(?:\.\s|\.?$|all rights)",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(?:by|written by|words by|reporting by)\s+(.+)$", re.IGNORECASE)
_NAME = re.compile(r"^(?:[A-Z][\w.'’-]*)(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|da|di|al|bin|le|la)){0,4}$")
_ROLE = re.compile(
    r"\b(?:reporter|correspondent|editor|writer|staff|desk|columnist|journalist|contributor|producer|"
    r"analyst|bureau|chief|service)s?\b",
    re.IGNORECASE,
)
_CALENDAR = re.compile(
    r"^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|today|tomorrow|yesterday|then|now)\b",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^(published|updated|posted|last updated|first published)\b", re.IGNORECASE)
_UPDATED = re.compile(r"^(?:last\s+)?updated\b", re.IGNORECASE)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
# A line that is only a date, as pages print them above a story: "May 14, 2025", "Tuesday 12 March 2025 14:32"
_BARE_DATE = re.compile(
    rf"^(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|"
    rf"\d{{4}}-\d{{2}}-\d{{2}})(?:,?\s+(?:at\s+)?\d{{1,2}}[:.]\d{{2}}\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{{2,4}})?)?$",
    re.IGNORECASE,
)
# The page's own address: a line that is only a URL, or one that says so ("Source: https://...").
_SOURCE_URL = re.compile(
    r"^(?:(?:source|url|link|canonical(?: url)?|originally published (?:at|on)|read (?:it )?online(?: at)?)\s*:?\s*)?"
    r"<?(https?://\S+?)>?$",
    re.IGNORECASE,
)
# The site a subscribe line names, as a possessive: "Sign up for The Week's Free Newsletters"
_SUBSCRIBE_SOURCE = re.compile(r"\b(?:for|to)\s+((?:The\s+)?[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,3})['’]s\b")
_IMPERATIVE = re.compile(
    r"^(get|escape|sign|subscribe|join|follow|download|click|read|watch|listen|try|"
    r"discover|explore|don'?t miss|stay)\b",
    re.IGNORECASE,
)
_SECOND_PERSON = _Words(r"\b(you|your|yours)\b")
# Link texts run together: "grocery budgetThe Explainer", "2025The Week" (not "McDonald" or "YouTube").
_GLUED = re.compile(r"(?:[a-z]{4}|[0-9])[A-Z][a-z]")
_ATTRIBUTION = re.compile(r"\b(?:said|says|told|according to)\b")
_BIO_START = re.compile(
    r"^[A-Z][\w'’-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s+(?:has|is|was|covers|writes|joined|"
    r"previously|reports|edits|leads)\b"
)
_BIO_WORDS = _Words(
    r"\b(writer|editor|reporter|correspondent|journalist|columnist|covers|career|"
    r"joined|previously (?:reported|worked|wrote)|author of)\b"
)
_BIO_SOURCE = re.compile(r"\b(?:at|for|with)\s+(?:the\s+)?((?:[A-Z][\w'’.&-]*\s?){1,4})(?:\s+since\b|\.\s*$|\.)")

MAX_PROMO_WORDS = 40


@dataclass(slots=True)
class _Line:
    number: int
    text: str
    start: int
    words: int  # how many, split at white space: every pass asks
    verdict: str = ""  # "" undecided, "body", "title" or a reason to drop


def clean(raw: RawStory) -> Story:
    """The story inside raw text: title, byline, source, body paragraphs and the dropped lines."""
    lines = _lines(raw.text)
    seen: set[str] = set()
    for line in lines:
        key = _repeat_key(line.text)
        line.verdict = "repeated" if key in seen and len(key) > 20 else _judge(line.text)
        seen.add(key)
    byline, byline_source = raw.byline, ""
    found_byline, byline_line = _find_byline(lines)
    if not byline:
        (byline, byline_source), byline_line = found_byline, byline_line
    _mark_bios(lines, byline)
    _mark_lists(lines)
    publisher = _find_publisher(lines)
    _mark_promo_blocks(lines)
    title = _mark_title(lines, raw.title) if raw.title else _find_title(lines)
    _mark_short_paragraphs(lines)
    for line in lines:
        if line.verdict == "":
            line.verdict = "not prose (heading or link)"
    source, source_line = _source(raw, lines, publisher, byline_source, byline_line)
    meta = _meta(raw, lines, byline, byline_line, source_line)
    body = [ln for ln in lines if ln.verdict == "body"]
    paragraphs = tuple(Paragraph(number=i, text=ln.text, start=ln.start) for i, ln in enumerate(body, 1))
    dropped = tuple(Dropped(ln.number, ln.text, ln.verdict) for ln in lines if ln.verdict not in ("body", "title"))
    return Story(
        id=raw.id,
        title=title or raw.id,
        byline=byline,
        source=source,
        path=raw.path,
        paragraphs=paragraphs,
        dropped=dropped,
        meta=meta,
    )


def _source(raw: RawStory, lines: list[_Line], publisher: str, byline_source: str, byline_line: str) -> tuple[str, str]:
    """The publisher's name, and the line of the page that names it: the page's metadata, a masthead,
    a copyright line, the byline's desk, the author's bio, or the site a subscribe line names."""
    if raw.source:
        return raw.source, raw.source
    if publisher:
        return publisher, publisher
    found = _copyright_holder(lines)
    if not found[0] and byline_source:
        found = byline_source, byline_line
    return found if found[0] else _bio_source(lines) if _bio_source(lines)[0] else _subscribe_source(lines)


def _meta(raw: RawStory, lines: list[_Line], byline: str, byline_line: str, source_line: str) -> StoryMeta:
    """The lines the page says about the story itself, kept as written (they were dropped from the body)."""
    if not byline_line and byline:  # an HTML page's author comes from its metadata
        byline_line = f"By {byline}"
    datelines = [ln.text for ln in lines if ln.verdict == "dateline"]
    updated = next((d for d in datelines if _UPDATED.match(d)), "")
    published = next((d for d in datelines if not _UPDATED.match(d)), "")
    if not published and raw.date:
        published = f"Published {raw.date}"
    url = raw.url or next(
        (m.group(1) for ln in lines if ln.verdict == "source address" and (m := _SOURCE_URL.match(ln.text))), ""
    )
    return StoryMeta(
        byline=byline_line,
        bio=tuple(ln.text for ln in lines if ln.verdict == "author bio"),
        publisher=source_line,
        published=published,
        updated=updated,
        url=url,
    )


def _repeat_key(text: str) -> str:
    """The line's words, case-folded, one space apart: the same line repeated, whatever its punctuation."""
    if text.isascii():  # the same as the pattern, without a regular expression's pass over the line
        return " ".join(text.lower().translate(_ASCII_NON_WORD).split())
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for number, raw_line in enumerate(text.splitlines(keepends=True), 1):
        stripped = raw_line.strip()
        if stripped:
            lead = len(raw_line) - len(raw_line.lstrip())
            out.append(_Line(number, stripped, pos + lead, len(stripped.split())))
        pos += len(raw_line)
    return out


def _addresses_reader(text: str) -> bool:
    """Promo copy talks to the reader, tells them to act, or is not a sentence at all."""
    return bool(_READER.search(text) or _IMPERATIVE.match(text) or not _ends_a_sentence(text))


def _ends_a_sentence(text: str) -> bool:
    """The line (stripped) ends with a sentence's mark, maybe inside quotes or brackets, or with a quote."""
    bare = text.rstrip(_CLOSERS)
    return bool(bare) and bare[-1] in _TERMINALS or text.endswith(('"', "”", "’"))


def _promo(text: str) -> bool:
    """Promo words or a web address in the line; the whole address is looked for only where one can end,
    not from every word of a long line."""
    return bool(_PROMO_WORDS.search(text) or _WEB_ADDRESS_END.search(text) and _WEB_ADDRESS.search(text))


def _judge(text: str) -> str:
    """A verdict on one line alone: 'body', '' for a possible headline, or why it goes."""
    words = text.split()
    n = len(words)
    prose = n >= 6 and _ends_a_sentence(text)
    if _SEPARATOR.match(text):
        return "separator"
    if n > 0 and max(map(len, words)) > 200:
        return "not prose (a run of text with no spaces)"
    if _byline_names(text):
        return "byline"
    if _DATELINE.match(text) and n <= 12 or _BARE_DATE.match(text):
        return "dateline"
    if _SOURCE_URL.match(text):
        return "source address"
    if _AD.match(text) and n <= 6:
        return "advertisement"
    if _RELATED.match(text) and n <= 20 and (not prose or re.match(r"^[^:|»›]{1,25}\s*[:|»›]", text)):
        return "related links"
    if n <= MAX_PROMO_WORDS and (_LEGAL.search(text) or _LEGAL_WORDS.search(text) and _addresses_reader(text)):
        return "cookie or copyright notice"
    if n <= MAX_PROMO_WORDS and _promo(text) and _addresses_reader(text):
        return "newsletter or subscription promo"
    if _NAV.match(text) and n <= 5 or not prose and len(_MENU_SEPARATORS.findall(text)) >= 2:
        return "navigation"
    if prose:
        return "body"
    return ""


def _mark_lists(lines: list[_Line]) -> None:
    """Teaser lists: lines between separators, link texts run together, or short lines under a
    "Most read" or "Related" heading, until the story resumes with a longer paragraph."""
    under_header = False
    for i, line in enumerate(lines):
        if _LIST_HEADER.match(line.text):
            under_header = True
            continue
        if line.verdict == "separator":
            continue
        short = line.words <= MAX_LIST_ITEM_WORDS
        if under_header and line.verdict in ("", "body") and (line.verdict == "" or short):
            line.verdict = "list of other headlines"
            continue
        under_header = False
        if line.verdict not in ("", "body"):
            continue
        before = lines[i - 1].verdict if i > 0 else ""
        after = lines[i + 1].verdict if i + 1 < len(lines) else ""
        if "separator" in (before, after) or line.verdict == "" and _GLUED.search(line.text):
            line.verdict = "list of other headlines"


def _mark_promo_blocks(lines: list[_Line]) -> None:
    """Short second-person or imperative lines next to a promo are the promo's own copy."""
    changed = True
    while changed:
        changed = False
        for i, line in enumerate(lines):
            if line.verdict not in ("", "body") or line.words > MAX_PROMO_WORDS:
                continue
            near = [lines[j].verdict for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if not any(v.startswith(("newsletter", "repeated")) for v in near):
                continue
            if _IMPERATIVE.match(line.text) or _SECOND_PERSON.search(line.text) or line.verdict == "":
                line.verdict = "newsletter or subscription promo"
                changed = True


def _mark_short_paragraphs(lines: list[_Line]) -> None:
    """A short sentence inside the story ('"It's over," he said.') is the story: it sits between
    body paragraphs, or ends the story with only boilerplate after it."""
    passable = ("advertisement", "separator")
    for i, line in enumerate(lines):
        words = line.words
        if line.verdict != "" or words < 2 or not _SHORT_SENTENCE.search(line.text):
            continue
        before = next((ln.verdict for ln in reversed(lines[:i]) if ln.verdict not in passable), "")
        after = next((ln.verdict for ln in lines[i + 1 :] if ln.verdict not in passable), "end")
        story_ended = after not in ("", "body", "title") and not any(ln.verdict == "body" for ln in lines[i + 1 :])
        if before == "body" and (after == "body" or story_ended and words >= 3):
            line.verdict = "body"


def _find_title(lines: list[_Line]) -> str:
    """The first headline-like line before the story starts; failing that, a short first
    paragraph right above the byline (a headline that ends in a question mark)."""
    first_body = next((i for i, ln in enumerate(lines) if ln.verdict == "body"), len(lines))
    candidates = [ln for ln in lines[:first_body] if ln.verdict == ""]
    for line in candidates:
        if line.words >= 4:
            line.verdict = "title"
            return line.text
    if first_body + 1 < len(lines):
        first, below = lines[first_body], lines[first_body + 1]
        if first.words <= 20 and below.verdict in ("byline", "dateline"):
            first.verdict = "title"
            return first.text
    if candidates:
        candidates[0].verdict = "title"
        return candidates[0].text
    return ""


def _mark_title(lines: list[_Line], title: str) -> str:
    """The format gave the title (HTML metadata): its line in the text is the headline, not prose."""
    key = title.casefold().strip()
    for line in lines:
        if line.text.casefold() == key:
            line.verdict = "title"
            break
    return title


def _byline_names(text: str) -> tuple[str, str] | None:
    """("Ana Lima and Tom Berger", "Climate Desk") for "By Ana Lima and Tom Berger | Climate Desk";
    None when the line is not a byline ("By Monday, the union had agreed.")."""
    match = _BYLINE.match(text)
    if not match or len(text.split()) > 16 or text.endswith((".", "!", "?")) and not text.endswith(" Jr."):
        return None
    names_part, _, rest = match.group(1).partition("|")
    if names_part.isupper():
        names_part = names_part.title()
    names = []
    for piece in re.split(r",|\band\b|&", names_part):
        piece = piece.strip()
        if not piece or _ROLE.search(piece):
            continue
        if not _NAME.match(piece) or _CALENDAR.match(piece):
            return None
        names.append(piece)
    if not names:
        return None
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return joined, rest.strip(" |")


def _find_byline(lines: list[_Line]) -> tuple[tuple[str, str], str]:
    """((names, desk), the byline line as written), or empty."""
    for line in lines:
        if line.verdict == "byline":
            found = _byline_names(line.text)
            if found:
                return found, line.text
    return ("", ""), ""


def _mark_bios(lines: list[_Line], byline: str) -> None:
    """An author bio: a name, then what they write and where, usually after the story."""
    names = {part for part in byline.replace(",", " ").split() if part[:1].isupper() and len(part) > 1}
    for line in lines:
        if line.verdict != "body" or _ATTRIBUTION.search(line.text):
            continue
        first = line.text.split(None, 1)[0].strip(",.")
        by_name = first in names and bool(_BIO_WORDS.search(line.text))
        if by_name or (_BIO_START.match(line.text) and _BIO_WORDS.search(line.text)):
            line.verdict = "author bio"


def _find_publisher(lines: list[_Line]) -> str:
    """A short title-case line that the promos and bio name again is the publisher."""
    named_again = ("newsletter", "author bio", "cookie", "repeated")
    dropped_text = " ".join(ln.text for ln in lines if ln.verdict.startswith(named_again))
    for line in lines:
        if line.verdict != "" or not 1 <= line.words <= 4:
            continue
        if all(w[:1].isupper() for w in line.text.split()) and line.text in dropped_text:
            line.verdict = "publisher name"
            return line.text
    return ""


def _copyright_holder(lines: list[_Line]) -> tuple[str, str]:
    for line in lines:
        if line.verdict.startswith("cookie"):
            match = _COPYRIGHT_HOLDER.search(line.text)
            if match:
                return match.group(1).strip(" ,."), line.text
    return "", ""


def _bio_source(lines: list[_Line]) -> tuple[str, str]:
    for line in lines:
        if line.verdict == "author bio":
            match = _BIO_SOURCE.search(line.text)
            if match:
                return match.group(1).strip(), line.text
    return "", ""


def _subscribe_source(lines: list[_Line]) -> tuple[str, str]:
    for line in lines:
        if line.verdict.startswith("newsletter"):
            match = _SUBSCRIBE_SOURCE.search(line.text)
            if match:
                return match.group(1).strip(), line.text
    return "", ""
