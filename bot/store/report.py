"""The editors' report: per story, what readers asked, what the story did not answer, and which answers
they marked 👎. Rephrasings of one question count together: questions group by the index's own terms
(stemmed, stopwords out), joined when their term sets overlap enough (Jaccard)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from bot.errors import UsageError
from bot.store.db import StateDB
from bot.store.records import Asked, Vote

REPORT_DAYS = 7  # /report in Telegram, and `storybot report` without --since
SAME_QUESTION = 0.5  # Jaccard similarity of term sets from which two phrasings count as one question
TOP_QUESTIONS = 10
ALL_STORIES = "(every story)"  # questions asked with no story chosen that nothing came near
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}


@dataclass(frozen=True, slots=True)
class Group:
    """One question, however readers phrased it."""

    question: str  # the commonest phrasing
    asked: int
    phrasings: tuple[str, ...]  # the others, commonest first


@dataclass(frozen=True, slots=True)
class Downvoted:
    question: str
    sentence: str
    sentence_id: str
    votes: int


@dataclass(frozen=True, slots=True)
class StoryReport:
    story: str | None
    asked: int
    answered: int
    mean_confidence: float | None  # over the questions that carry one
    good: int
    bad: int
    unanswered: tuple[Group, ...]
    downvoted: tuple[Downvoted, ...]

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True, slots=True)
class Report:
    since: float
    until: float
    stories: tuple[StoryReport, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "stories": [
                {**asdict(s), "answered_share": s.answered_share, "unanswered": [asdict(g) for g in s.unanswered]}
                for s in self.stories
            ],
        }


def parse_since(text: str, now: float) -> float:
    """The Unix time a span like '7d', '24h', '30m' or '2w' before `now` starts; 'all': 0."""
    if text.strip().lower() == "all":
        return 0.0
    match = _SPAN.match(text.lower())
    if not match:
        raise UsageError(f"--since {text!r}: expected a span like 7d, 24h, 30m or 2w, or 'all'")
    return now - float(match.group(1)) * _SECONDS[match.group(2)]


def build_report(db: StateDB, since: float, story: str | None = None, until: float | None = None) -> Report:
    """The report over the state file's questions and votes at or after `since` (Unix time)."""
    import time

    return summarize(db.asked_since(since, story), db.votes_since(since, story), since, until or time.time())


def summarize(asked: Iterable[Asked], votes: Iterable[Vote], since: float, until: float) -> Report:
    by_story: dict[str | None, list[Asked]] = defaultdict(list)
    for a in asked:
        by_story[a.story].append(a)
    votes_by_story: dict[str | None, list[Vote]] = defaultdict(list)
    for v in votes:
        votes_by_story[v.story].append(v)
    stories = []
    for story in set(by_story) | set(votes_by_story):
        rows, marks = by_story.get(story, []), votes_by_story.get(story, [])
        confidences = [a.confidence for a in rows if a.confidence is not None]
        stories.append(
            StoryReport(
                story,
                len(rows),
                sum(a.answered for a in rows),
                sum(confidences) / len(confidences) if confidences else None,
                sum(v.verdict > 0 for v in marks),
                sum(v.verdict < 0 for v in marks),
                group_questions([a.question for a in rows if not a.answered and a.question])[:TOP_QUESTIONS],
                _downvoted(marks),
            )
        )
    stories.sort(key=lambda s: (-s.asked, -s.bad, s.story or ""))
    return Report(since, until, tuple(stories))


def group_questions(questions: list[str]) -> tuple[Group, ...]:
    """Questions grouped so that rephrasings count together, the most asked first."""
    from index.analyze import tokenize  # the index's own terms: stemmed, stopwords out

    counts = Counter(" ".join(q.split()) for q in questions)
    groups: list[tuple[frozenset[str], Counter[str]]] = []
    for text, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        terms = frozenset(tokenize(text)) or frozenset({text.lower()})
        best, best_score = None, SAME_QUESTION
        for n, (group_terms, _) in enumerate(groups):
            score = len(terms & group_terms) / len(terms | group_terms)
            if score >= best_score:
                best, best_score = n, score
        if best is None:
            groups.append((terms, Counter({text: count})))
        else:
            group_terms, phrasings = groups[best]
            phrasings[text] += count
            groups[best] = (group_terms | terms, phrasings)
    out = []
    for _, phrasings in groups:
        ranked = [text for text, _ in sorted(phrasings.items(), key=lambda item: (-item[1], item[0]))]
        out.append(Group(ranked[0], sum(phrasings.values()), tuple(ranked[1:])))
    out.sort(key=lambda g: (-g.asked, g.question))
    return tuple(out)


def _downvoted(votes: list[Vote]) -> tuple[Downvoted, ...]:
    counts: Counter[tuple[str, str, str]] = Counter(
        (v.question, v.sentence, v.sentence_id) for v in votes if v.verdict < 0
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Downvoted(q, sentence, sid, n) for (q, sentence, sid), n in ranked)


# ---- output ----


def table(report: Report) -> str:
    """The report for a terminal: a table of the stories, then each story's open questions."""
    head = f"storybot report, {_day(report.since)} to {_day(report.until)}"
    if not report.stories:
        return f"{head}\nNo questions recorded in that time."
    rows = [["story", "asked", "answered", "confidence", "👍", "👎"]]
    for s in report.stories:
        rows.append(
            [
                s.story or ALL_STORIES,
                str(s.asked),
                _percent(s.answered_share),
                "–" if s.mean_confidence is None else f"{s.mean_confidence:.2f}",
                str(s.good),
                str(s.bad),
            ]
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [head, ""]
    for row in rows:
        cells = [_pad(row[0], widths[0], left=True)] + [_pad(c, w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    for s in report.stories:
        name = s.story or ALL_STORIES
        if s.unanswered:
            lines += ["", f"Asked and not answered, {name}:"]
            for g in s.unanswered:
                more = " …" if len(g.phrasings) > 3 else ""
                also = f"  (also: {'; '.join(g.phrasings[:3])}{more})" if g.phrasings else ""
                lines.append(f"  {g.asked:>4}×  {g.question}{also}")
        if s.downvoted:
            lines += ["", f"Marked 👎, {name}:"]
            for d in s.downvoted:
                lines.append(f"  {d.votes:>4}×  {d.question or '(question not kept)'}")
                lines.append(f"         → {d.sentence or '(no sentence shown: the story did not say)'}")
    return "\n".join(lines)


def short_report(report: Report) -> str:
    """The report for a Telegram message: one line per story and its top open question."""
    lines = [f"Last {REPORT_DAYS} days:" if report.until - report.since <= REPORT_DAYS * 86_400 + 1 else "Report:"]
    if not report.stories:
        return lines[0] + " no questions recorded."
    for s in report.stories[:10]:
        lines.append(
            f"• {s.story or ALL_STORIES}: {s.asked} asked, {_percent(s.answered_share)} answered, "
            f"👍 {s.good} 👎 {s.bad}"
        )
        if s.unanswered:
            top = s.unanswered[0]
            lines.append(f"   not answered: “{top.question}” ({top.asked}×)")
        if s.downvoted:
            lines.append(f"   👎: “{s.downvoted[0].question}”")
    if len(report.stories) > 10:
        lines.append(f"… and {len(report.stories) - 10} more: storybot report")
    return "\n".join(lines)


def export_lines(report: Report) -> list[str]:
    """Unanswered and 👎 questions as QA lines for `storybot eval`: an editor fills in "gold" (the answer
    text the story holds) or sets "abstain": true (the story really does not say), then evaluates."""
    lines: list[str] = []
    seen: set[str] = set()
    for s in report.stories:
        items = [(g.question, "unanswered", g.asked, "") for g in s.unanswered]
        items += [(d.question, "downvoted", d.votes, d.sentence) for d in s.downvoted]
        for question, why, count, sentence in items:
            if not question or question in seen:
                continue
            seen.add(question)
            entry: dict[str, Any] = {"q": question, "gold": [], "story": s.story, "why": why, "count": count}
            if sentence:
                entry["answer_shown"] = sentence
            lines.append(json.dumps(entry, ensure_ascii=False))
    return lines


def _iso(when: float) -> str | None:
    if when <= 0:
        return None
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


def _day(when: float) -> str:
    return "the start" if when <= 0 else datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _width(text: str) -> int:
    """Columns a terminal gives `text`: wide characters (emoji among them) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, left: bool = False) -> str:
    gap = " " * (width - _width(text))
    return text + gap if left else gap + text
