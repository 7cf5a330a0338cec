"""The index on disk: one versioned JSON file, validated by pydantic, written atomically. Never pickle."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

FORMAT = "storybot-index"
VERSION = 1


class IndexFileError(Exception):
    """The index cannot be used; the message is one line that names the fix."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SentenceRecord(_Record):
    text: str
    start: int
    end: int
    terms: str  # the tokenizer's output, space-joined: cheaper to store and load than a list


class PassageRecord(_Record):
    paragraph: int
    sentences: list[SentenceRecord]


class StoryRecord(_Record):
    id: str
    title: str
    byline: str
    source: str
    path: str
    paragraphs: int
    dropped: int
    passages: list[PassageRecord]


class IndexFile(_Record):
    format: Literal["storybot-index"] = "storybot-index"
    version: Literal[1] = 1
    built_at: str
    stories: list[StoryRecord]


def save(index: IndexFile, path: Path) -> None:
    """Write the index so that a crash at any moment leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(index.model_dump_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _remove_orphans(path: Path) -> None:
    """Temp files left by writers that were killed: their process is gone (a live one is still writing)."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: Path) -> IndexFile:
    """Read and check the index, or raise IndexFileError saying what is wrong and how to fix it."""
    rebuild = "rebuild it with `storybot index`"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IndexFileError(f"no index at {path}: build it with `storybot index`") from None
    except IsADirectoryError:
        raise IndexFileError(f"the index path {path} is a folder, not a file: point --index at a file") from None
    except OSError as exc:
        raise IndexFileError(f"cannot read the index at {path} ({exc.strerror}): check its permissions") from None
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        what = "empty" if not data.strip() else "damaged (not valid JSON)"
        raise IndexFileError(f"the index at {path} is {what}: {rebuild}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise IndexFileError(f"{path} is not a storybot index: {rebuild}, or point --index elsewhere")
    if raw.get("version") != VERSION:
        raise IndexFileError(
            f"the index at {path} is format version {raw.get('version')!r}, this storybot reads {VERSION}: {rebuild}"
        )
    try:
        return IndexFile.model_validate(raw)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise IndexFileError(f"the index at {path} is damaged (bad field {where}): {rebuild}") from None
