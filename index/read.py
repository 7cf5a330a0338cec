"""Story files to readable text: .txt as it is, .md without its markup, .html through trafilatura."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

STORY_SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_STORY_BYTES = 32 * 1024 * 1024


class StoryFileError(Exception):
    """A story file that cannot be read as a story; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class RawStory:
    """A story file's readable text, with whatever metadata the format carried."""

    id: str
    path: str
    text: str
    title: str = ""
    byline: str = ""
    source: str = ""
    date: str = ""  # the publication date the format carried (HTML metadata), as written there
    url: str = ""  # the page's own address, when the format carried it
    warning: str = ""
    # Where each character of `text` sits in the file's text, when the two differ (Markdown
    # without its markup); empty when `text` is the file's text. HTML has no such map: its
    # offsets are into the extracted article.
    origin: tuple[int, ...] = ()

    def file_offsets(self, start: int, end: int) -> tuple[int, int]:
        """A span of `text` as a span of the file's text."""
        if not self.origin:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1 if end > start else self.origin[start]


def story_files(folder: Path) -> list[Path]:
    """The story files in a folder, in a stable order; hidden files are not stories."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in STORY_SUFFIXES and not p.name.startswith(".")
    )


def read_story(path: Path) -> RawStory:
    """Read one story file, or raise StoryFileError naming what is wrong with it."""
    return story_from_bytes(path, story_bytes(path))


def story_bytes(path: Path) -> bytes:
    """A story file's bytes, or StoryFileError when it cannot be read or is too large."""
    try:
        size = path.stat().st_size
        if size > MAX_STORY_BYTES:
            raise StoryFileError(f"larger than {MAX_STORY_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except OSError as exc:
        raise StoryFileError(exc.strerror or str(exc)) from None


def story_from_bytes(path: Path, data: bytes) -> RawStory:
    """The story in a file's bytes; the file's name says its format and gives the story's id."""
    text, warning = decode(data)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return _from_html(path, text, warning)
    if suffix == ".md":
        stripped, origin = strip_markdown_mapped(text)
        return RawStory(id=path.stem, path=str(path), text=stripped, warning=warning, origin=origin)
    return RawStory(id=path.stem, path=str(path), text=text, warning=warning)


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text, and a warning when the text was not clean UTF-8.

    UTF-8 first; a UTF-16 file says so with its byte-order mark. A file that is mostly UTF-8 with a
    few broken bytes keeps its text and loses the bytes; one with no UTF-8 in it is the Latin-1 or
    Windows-1252 that older systems write.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError:
            raise StoryFileError("broken UTF-16 text") from None
    if not data.strip():
        raise StoryFileError("empty file")
    if b"\x00" in data[:8192] or _control_ratio(data[:8192]) > 0.05:
        raise StoryFileError("binary file, not text")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8-sig", errors="replace")
    broken = lenient.count("\ufffd")
    multibyte = sum(1 for ch in lenient if ord(ch) > 127) - broken
    if multibyte >= broken:
        return lenient.replace("\ufffd", ""), f"not valid UTF-8; {broken} undecodable bytes skipped"
    try:
        return data.decode("cp1252"), "not UTF-8; read as Windows-1252 (Latin-1)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not UTF-8; read as Latin-1"


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))  # not tab, newline, form feed, return


def _control_ratio(sample: bytes) -> float:
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls / max(1, len(sample))


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")  # an image's alt text describes a picture, not the story
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?=\S)|\d+[.)]\s+)")


def strip_markdown(text: str) -> str:
    """Markdown to plain lines: links keep their text; images, emphasis and heading marks go."""
    return strip_markdown_mapped(text)[0]


def strip_markdown_mapped(text: str) -> tuple[str, tuple[int, ...]]:
    """strip_markdown, and where each character of the result is in `text`. Stripping only
    deletes characters, so each plain line is matched into its Markdown line left to right."""
    lines: list[str] = []
    origin: list[int] = []
    pos = 0
    for raw_line in text.splitlines(keepends=True):
        body = raw_line.rstrip("\r\n")
        line = _MD_PREFIX.sub("", body)
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        j = 0
        for ch in line:
            while j < len(body) and body[j] != ch:
                j += 1
            origin.append(pos + min(j, max(0, len(body) - 1)))
            j += 1
        lines.append(line)
        origin.append(pos + len(body))  # the line end
        pos += len(raw_line)
    joined = "\n".join(lines)
    return joined, tuple(origin[: len(joined)])


def _from_html(path: Path, html: str, warning: str) -> RawStory:
    # trafilatura is slow to import: only pay for it when a story is HTML
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, favor_precision=True)
    except Exception:  # any parser failure on a hostile page means "no article", not a crash
        raise StoryFileError("the HTML could not be parsed") from None
    body = getattr(doc, "text", None) if doc is not None else None
    if not body:
        raise StoryFileError("no article text found in the HTML")
    return RawStory(
        id=path.stem,
        path=str(path),
        text=str(body),
        title=str(getattr(doc, "title", "") or ""),
        byline=str(getattr(doc, "author", "") or ""),
        source=str(getattr(doc, "sitename", "") or ""),
        date=str(getattr(doc, "date", "") or ""),
        url=str(getattr(doc, "url", "") or ""),
        warning=warning,
    )


MAX_FETCH_BYTES = 8 * 1024 * 1024


def fetch_url(url: str, timeout: float = 20.0) -> tuple[str, bytes]:
    """Fetch a story page over http(s): (a file name for it, its bytes). Raises StoryFileError."""
    import urllib.error
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoryFileError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "storybot/0.1 (+story fetcher)"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            data = response.read(MAX_FETCH_BYTES + 1)
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise StoryFileError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoryFileError(f"cannot fetch {url}: {reason}") from None
    if len(data) > MAX_FETCH_BYTES:
        raise StoryFileError(f"{url} is larger than {MAX_FETCH_BYTES // (1024 * 1024)} MB")
    if kind not in ("text/html", "application/xhtml+xml", "text/plain", "text/markdown"):
        raise StoryFileError(f"{url} is {kind}, not a web page")
    suffix = ".txt" if kind == "text/plain" else ".md" if kind == "text/markdown" else ".html"
    return _slug(parts.path or parts.netloc) + suffix, data


def _slug(path: str) -> str:
    last = [p for p in path.split("/") if p]
    stem = last[-1] if last else "story"
    stem = re.sub(r"\.(html?|php|aspx?|txt|md)$", "", stem, flags=re.IGNORECASE)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()
    return stem[:80] or "story"
