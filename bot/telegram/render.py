"""Answers as Telegram HTML: the key sentence in bold inside its passage, then the citation.

Every piece of text is cleaned and escaped here, and every reply fits Telegram's 4,096 limit,
counted as Telegram counts: UTF-16 code units. The limit is applied to the whole HTML string,
tags included, which is stricter than Telegram's own count after parsing, so it always fits.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from index.corpus import StoryInfo
from index.text import MAY_NOT_SAY, NOT_SAID, plural, printable
from index.types import Answer, Hit

MAX_MESSAGE = 4096
MAX_CITATION = 600  # a hostile title must not crowd out the passage
MAX_INLINE_TITLE = 120
ELLIPSIS = "…"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two units (a lone surrogate one).
    Encoding counts them in C, which matters on every reply (a per-character loop showed up in profiles)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(text: str) -> str:
    """Text safe to send: no lone surrogates (they are not UTF-8), no control or bidi-override characters."""
    return printable(_SURROGATE.sub("\ufffd", text))


def esc(text: str) -> str:
    return html.escape(clean(text), quote=False)


def _fit(text: str, budget: int, keep_end: bool = False) -> str:
    """Escaped `text`, shortened with an ellipsis to at most `budget` UTF-16 units; never cuts an entity."""
    escaped = esc(text)
    if utf16_len(escaped) <= budget:
        return escaped
    if budget <= 0:
        return ""
    room = budget - 1  # the ellipsis
    pieces: list[str] = []
    chars = reversed(clean(text)) if keep_end else iter(clean(text))
    for ch in chars:
        piece = html.escape(ch, quote=False)
        cost = utf16_len(piece)
        if cost > room:
            break
        room -= cost
        pieces.append(piece)
    if keep_end:
        return ELLIPSIS + "".join(reversed(pieces))
    return "".join(pieces) + ELLIPSIS


# The same passages and citations come back answer after answer: their pieces are remembered. Only
# theirs: text a user controls (a /story argument) would fill the cache with what never recurs.
_fit_story = lru_cache(maxsize=4096)(_fit)


def text_html(text: str) -> str:
    """Plain text as a message: escaped and within the limit."""
    return _fit(text, MAX_MESSAGE)


def citation_html(hit: Hit) -> str:
    return f"— <i>{_fit_story(str(hit.citation), MAX_CITATION)}</i>"


def hit_html(hit: Hit, lead: str = "", limit: int = MAX_MESSAGE) -> str:
    """The passage with its key sentence in bold, then the citation; at most `limit` UTF-16 units."""
    before, found, after = hit.passage.text.partition(hit.sentence.text or "\0")
    if not found:  # the sentence is always in its passage; if not, show the sentence alone
        before, after = "", ""
    head = _fit(lead, limit // 4) + "\n\n" if lead else ""
    tail = "\n\n" + citation_html(hit)
    room = limit - utf16_len(head) - utf16_len(tail) - len("<b></b>")
    sentence = _fit_story(hit.sentence.text, room)
    room -= utf16_len(sentence)
    after_part = _fit_story(after, room // 2)
    room -= utf16_len(after_part)
    before_part = _fit_story(before, room, keep_end=True)
    return f"{head}{before_part}<b>{sentence}</b>{after_part}{tail}"


def answer_html(answer: Answer, understood: str = "") -> str:
    """The reply to a question: the best hit when answered; in the middle band, the best hit under a plain
    'may not say'; else the short 'doesn't say'. Under a quiet line saying how a follow-up was
    understood, when given."""
    best = answer.best
    lead = f"↳ {' '.join(understood.split())}" if understood else ""
    if answer.answered and best is not None:
        return hit_html(best, lead=lead)
    head = _fit(lead, MAX_MESSAGE // 4) + "\n\n" if lead else ""
    if best is None:
        return f"{head}{NOT_SAID} Nothing in it matches that question."
    if answer.maybe:  # short of answering, but close: said plainly, with the sentence it would be
        return hit_html(best, lead=f"{lead}\n\n{MAY_NOT_SAY}" if lead else MAY_NOT_SAY)
    return f"{head}{NOT_SAID} The button below shows the nearest passage."


def stories_html(stories: list[StoryInfo]) -> str:
    lines = []
    for s in stories:
        about = ", ".join(p for p in (s.byline and f"by {s.byline}", s.meta.published or s.meta.updated) if p)
        extra = f" — {_fit(about, 300)}" if about else ""
        lines.append(f"<code>{_fit(s.id, 200)}</code>: {_fit(s.title, 300)}{extra} ({plural(s.passages, 'passage')})")
    return cap_lines(lines, "Stories (ask about one with /story ID):")


def source_html(story: StoryInfo) -> str:
    details = "".join(f"{name.capitalize()}: {_fit(value, 500)}\n" for name, value in story.details())
    return (
        f"<b>{_fit(story.title, 1000)}</b>\nSource: {_fit(story.credit, 1000)}\n{details}"
        f"{plural(story.passages, 'passage')} (<code>{_fit(story.id, 500)}</code>)"
    )


def cap_lines(lines: list[str], header: str = "", limit: int = MAX_MESSAGE) -> str:
    """Whole lines (under a header, if any), as many as fit; the rest counted, not cut mid-line."""
    out = [esc(header)] if header else []
    used = utf16_len(out[0]) if out else 0
    for n, line in enumerate(lines):
        more = f"\n… and {len(lines) - n} more"
        if used + 1 + utf16_len(line) + len(more) > limit:
            out.append(more.lstrip("\n"))
            break
        out.append(line)
        used += 1 + utf16_len(line)
    return "\n".join(out)


def plain_title(text: str, limit: int = MAX_INLINE_TITLE) -> str:
    """Cleaned plain text (for inline result titles and descriptions), shortened to `limit` characters."""
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
