"""Find the story inside scraped text: headline, byline, body; and say what was dropped and why.

Scraped pages wrap an article in navigation, promos, bios and lists of other headlines. Each line
is judged on its own (keywords, shape) and by its neighbours (a promo block, a list between
separators), and only prose survives as body paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.read import RawStory
from index.types import Dropped, Paragraph, Story

_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$|[\"”’]$")
_SEPARATOR = re.compile(r"^[\W_]*$")
_NAV = re.compile(
    r"^(skip to|jump to|menu|search|home|sign in|log ?in|log out|subscribe|newsletters?|share|"
    r"print|email|close|open|back to top|navigation|sections?|main menu|accessibility)\b",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"newsletter|sign up|subscribe|subscription|your inbox|to your email|free daily email|"
    r"delivered (?:directly|straight|every|to)|unlock|paywall|premium|download (?:our|the) app|"
    r"follow us|join us|support (?:our|independent) journalism|\b(?:www\.)?\w+\.(?:com|org|net|co\.uk)\b",
    re.IGNORECASE,
)
_AD = re.compile(r"^(advertisement|sponsored|ad|promoted|paid content|story continues below)\b", re.IGNORECASE)
_RELATED = re.compile(
    r"^(read more|more from|related|most read|most popular|recommended|trending|you may also like|"
    r"read next|see also|also read|more stories|latest news|top stories|editor'?s picks|watch)\b",
    re.IGNORECASE,
)
_LEGAL = re.compile(
    r"cookie|©|\(c\)|copyright|all rights reserved|privacy policy|terms of (?:use|service)", re.IGNORECASE
)
_BYLINE = re.compile(
    r"^(?:[Bb]y|[Ww]ritten by|[Ww]ords by|[Rr]eporting by)\s+([A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}"
    r"(?:\s*(?:,|and)\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4})*)\s*$"
)
_DATELINE = re.compile(r"^(published|updated|posted|last updated|first published)\b", re.IGNORECASE)
_IMPERATIVE = re.compile(
    r"^(get|escape|sign|subscribe|join|follow|download|click|read|watch|listen|try|"
    r"discover|explore|don'?t miss|stay)\b",
    re.IGNORECASE,
)
_SECOND_PERSON = re.compile(r"\b(you|your|yours)\b", re.IGNORECASE)
_GLUED = re.compile(r"[a-z0-9][A-Z][a-z]")  # link texts run together: "firingspeed read", "2025The Week"
_BIO_START = re.compile(
    r"^[A-Z][\w'’-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s+(?:has|is|was|covers|writes|joined|"
    r"previously|reports|edits|leads)\b"
)
_BIO_WORDS = re.compile(
    r"\b(writer|editor|reporter|correspondent|journalist|columnist|covers|career|"
    r"joined|previously (?:reported|worked|wrote)|author of)\b",
    re.IGNORECASE,
)
_BIO_SOURCE = re.compile(r"\b(?:at|for|with)\s+(?:the\s+)?((?:[A-Z][\w'’.&-]*\s?){1,4})(?:\s+since\b|\.\s*$|\.)")

MAX_PROMO_WORDS = 40


@dataclass(slots=True)
class _Line:
    number: int
    text: str
    start: int
    verdict: str = ""  # "" undecided, "body", "title" or a reason to drop


def clean(raw: RawStory) -> Story:
    """The story inside raw text: title, byline, source, body paragraphs and the dropped lines."""
    lines = _lines(raw.text)
    seen: set[str] = set()
    for line in lines:
        key = re.sub(r"\W+", " ", line.text.casefold()).strip()
        line.verdict = "repeated" if key in seen and len(key) > 20 else _judge(line.text)
        seen.add(key)
    byline = raw.byline or _find_byline(lines)
    _mark_bios(lines, byline)
    _mark_lists(lines)
    publisher = _find_publisher(lines)
    _mark_promo_blocks(lines)
    title = raw.title or _find_title(lines)
    for line in lines:
        if line.verdict == "":
            line.verdict = "not prose (heading or link)"
    source = raw.source or publisher or _bio_source(lines)
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
    )


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for number, raw_line in enumerate(text.splitlines(keepends=True), 1):
        stripped = raw_line.strip()
        if stripped:
            lead = len(raw_line) - len(raw_line.lstrip())
            out.append(_Line(number, stripped, pos + lead))
        pos += len(raw_line)
    return out


def _judge(text: str) -> str:
    """A verdict on one line alone: 'body', '' for a possible headline, or why it goes."""
    words = text.split()
    n = len(words)
    if _SEPARATOR.match(text):
        return "separator"
    if n > 0 and max(len(w) for w in words) > 200:
        return "not prose (a run of text with no spaces)"
    if _BYLINE.match(text):
        return "byline"
    if _DATELINE.match(text) and n <= 12:
        return "dateline"
    if _AD.match(text) and n <= 6:
        return "advertisement"
    if _RELATED.match(text) and n <= 20:
        return "related links"
    if n <= MAX_PROMO_WORDS and _LEGAL.search(text):
        return "cookie or copyright notice"
    if n <= MAX_PROMO_WORDS and _PROMO.search(text):
        return "newsletter or subscription promo"
    if _NAV.match(text) and n <= 5:
        return "navigation"
    if _TERMINAL.search(text) and n >= 6:
        return "body"
    return ""


def _mark_lists(lines: list[_Line]) -> None:
    """Lines between separators, or with link texts run together, are teaser lists, not the story."""
    for i, line in enumerate(lines):
        if line.verdict not in ("", "body"):
            continue
        before = lines[i - 1].verdict if i > 0 else ""
        after = lines[i + 1].verdict if i + 1 < len(lines) else ""
        if "separator" in (before, after) or _GLUED.search(line.text) and line.verdict == "":
            line.verdict = "list of other headlines"


def _mark_promo_blocks(lines: list[_Line]) -> None:
    """Short second-person or imperative lines next to a promo are the promo's own copy."""
    changed = True
    while changed:
        changed = False
        for i, line in enumerate(lines):
            if line.verdict not in ("", "body") or len(line.text.split()) > MAX_PROMO_WORDS:
                continue
            near = [lines[j].verdict for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if not any(v.startswith(("newsletter", "repeated")) for v in near):
                continue
            if _IMPERATIVE.match(line.text) or _SECOND_PERSON.search(line.text) or line.verdict == "":
                line.verdict = "newsletter or subscription promo"
                changed = True


def _find_title(lines: list[_Line]) -> str:
    first_body = next((i for i, ln in enumerate(lines) if ln.verdict == "body"), len(lines))
    candidates = [ln for ln in lines[:first_body] if ln.verdict == ""]
    for line in candidates:
        if len(line.text.split()) >= 4:
            line.verdict = "title"
            return line.text
    if candidates:
        candidates[0].verdict = "title"
        return candidates[0].text
    return ""


def _find_byline(lines: list[_Line]) -> str:
    for line in lines:
        match = _BYLINE.match(line.text)
        if match:
            return match.group(1).strip()
    return ""


def _mark_bios(lines: list[_Line], byline: str) -> None:
    """An author bio: a name, then what they write and where, usually after the story."""
    names = {part for part in byline.replace(",", " ").split() if part[:1].isupper() and len(part) > 1}
    for line in lines:
        if line.verdict != "body":
            continue
        first = line.text.split()[0].strip(",.")
        by_name = first in names and bool(_BIO_WORDS.search(line.text))
        if by_name or (_BIO_START.match(line.text) and _BIO_WORDS.search(line.text)):
            line.verdict = "author bio"


def _find_publisher(lines: list[_Line]) -> str:
    """A short title-case line that the promos and bio name again is the publisher."""
    dropped_text = " ".join(ln.text for ln in lines if ln.verdict not in ("body", "title", ""))
    for line in lines:
        words = line.text.split()
        short_title_case = 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words)
        if line.verdict == "" and short_title_case and line.text in dropped_text:
            line.verdict = "publisher name"
            return line.text
    return ""


def _bio_source(lines: list[_Line]) -> str:
    for line in lines:
        if line.verdict == "author bio":
            match = _BIO_SOURCE.search(line.text)
            if match:
                return match.group(1).strip()
    return ""
