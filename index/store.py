"""The index on disk: one versioned JSON file, validated by pydantic, written atomically. Never pickle.

Each story is stored as columns (every sentence's text, offsets and terms in parallel lists) rather
than as nested passage and sentence objects: pydantic checks a list of strings in one native step,
so a 100k-sentence index loads in a fraction of the time the nested records took.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from index.analyze import ANALYZER

FORMAT = "storybot-index"
# 5: each story's sentence embeddings beside its text; 4: the hash of its file and the analysis that made
# it, so a rebuild reuses it; 3: the story's own metadata lines; 2: columnar stories; 1: nested passage and
# sentence records. Older versions are rebuilt, not read.
VERSION = 5


class IndexFileError(Exception):
    """The index cannot be used; the message is one line that names the fix."""


def _no_lines() -> list[str]:
    """A default of its own, not `list`: pydantic reads a factory's signature, and a builtin's is parsed from
    its text by the tokenize module, whose pattern takes 20 ms to compile, a tenth of a cold `storybot ask`."""
    return []


class VectorSink:
    """Where an index being loaded for answering puts its stories' vectors (`load(path, vectors=sink)`): one
    float16 buffer filled story by story as the file is parsed, so that a large index's vectors are never held
    twice (per story, then all together). The records are left with empty `embeddings`: an index loaded so is
    for answering, not for a rebuild to reuse. Sized from the file, which holds the vectors as base64 (4 bytes
    for every 3); pages never written are never resident."""

    def __init__(self) -> None:
        self._buffer = np.empty(0, dtype=np.uint8)
        self._used = 0
        self.sizes: list[int] = []  # the bytes of each story's vectors, in order

    def reserve(self, file_bytes: int) -> None:
        """Room for the vectors of a file this size, emptied."""
        self._buffer = np.empty(file_bytes * 3 // 4 + 8, dtype=np.uint8)
        self._used = 0
        self.sizes = []

    def take(self, data: bytes) -> None:
        end = self._used + len(data)
        self._buffer[self._used : end] = np.frombuffer(data, dtype=np.uint8)  # ValueError past the end
        self._used = end
        self.sizes.append(len(data))

    def rows(self, dimensions: int) -> np.ndarray:
        """Every story's vectors, in order, as float16 rows (a view of the buffer)."""
        return self._buffer[: self._used].view("<f2").reshape(-1, max(1, dimensions))


def _sink(info: ValidationInfo) -> VectorSink | None:
    found = info.context.get("vectors") if isinstance(info.context, dict) else None
    return found if isinstance(found, VectorSink) else None


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoryRecord(_Record):
    # the embeddings are base64 in the file and decoded by pydantic as it parses: a large index's vectors are
    # never held as text (base64 strings would be a third larger than the vectors, all alive at once)
    model_config = ConfigDict(frozen=True, extra="forbid", val_json_bytes="base64")

    id: str
    title: str
    byline: str
    source: str
    path: str
    # a rebuild reuses this record for a file with the same bytes analysed the same way (index.build)
    content_hash: str
    analysis: str
    warning: str  # what reading the file found wrong with it (say, not UTF-8), shown again on reuse
    paragraphs: int
    dropped: int
    passage_paragraphs: list[int]  # the paragraph number of each passage, in order
    passage_sentences: list[int]  # how many sentences each passage holds; they follow one another below
    texts: list[str]  # every sentence verbatim
    starts: list[int]  # its offsets into the story's text
    ends: list[int]
    terms: list[str]  # the tokenizer's output, space-joined: cheaper to store and load than a list
    # what the page says about the story itself, each the line as written (index.types.StoryMeta)
    byline_line: str = ""
    bio: list[str] = Field(default_factory=_no_lines)
    publisher_line: str = ""
    published: str = ""
    updated: str = ""
    url: str = ""
    # every sentence's embedding, in order, as little-endian float16 rows (base64 in the file: a twentieth of the
    # size of JSON numbers), kept with its story so an unchanged story's vectors can be reused. Empty without.
    embeddings: bytes = b""

    @model_validator(mode="after")
    def _columns_agree(self) -> StoryRecord:
        sentences = len(self.texts)
        if not (len(self.starts) == len(self.ends) == len(self.terms) == sentences):
            raise ValueError("sentence columns differ in length")
        if len(self.passage_paragraphs) != len(self.passage_sentences):
            raise ValueError("passage columns differ in length")
        if sum(self.passage_sentences) != sentences or any(n < 1 for n in self.passage_sentences):
            raise ValueError("passage sizes do not add up to the sentences")
        return self

    @field_validator("embeddings")
    @classmethod
    def _into_sink(cls, value: bytes, info: ValidationInfo) -> bytes:
        sink = _sink(info)
        if sink is None:
            return value
        sink.take(value)
        return b""

    @field_serializer("embeddings", when_used="json")
    def _standard_base64(self, value: bytes) -> str:
        # pydantic's own base64 is the URL-safe alphabet; the file has always had the standard one
        return base64.b64encode(value).decode("ascii")


class IndexFile(_Record):
    format: Literal["storybot-index"] = "storybot-index"
    version: Literal[5] = 5
    # the tokenizer that made the stored terms: questions must be tokenized the same way
    analyzer: str = ANALYZER
    # the sentence embedder that made the stories' embeddings (its MODEL_VERSION) and their width;
    # "" and 0 for an index built without one
    embedder: str = ""
    dimensions: int = Field(default=0, ge=0)
    built_at: str
    stories: list[StoryRecord] = Field(min_length=1)

    @model_validator(mode="after")
    def _embeddings_fit(self, info: ValidationInfo) -> IndexFile:
        sink = _sink(info)
        stored = sink.sizes if sink is not None else [len(story.embeddings) for story in self.stories]
        for story, have in zip(self.stories, stored, strict=True):
            size = 2 * self.dimensions * len(story.texts) if self.embedder else 0  # float16 rows
            if have != size:
                raise ValueError(f"story {story.id} has embeddings of the wrong size")
        return self


def decode_embeddings(stored: bytes, dimensions: int) -> np.ndarray:
    """A story's stored embeddings as float16 rows, one per sentence (a view of the bytes, not a copy)."""
    return np.frombuffer(stored, dtype="<f2").reshape(-1, max(1, dimensions))


def save(index: IndexFile, path: Path) -> None:
    """Write the index so that a crash at any moment leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(index.model_dump_json().encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; the bot may run as another user than the builder
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


def load(path: Path, vectors: VectorSink | None = None) -> IndexFile:
    """Read and check the index, or raise IndexFileError saying what is wrong and how to fix it. With a sink,
    the stories' vectors go there (see VectorSink)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IndexFileError(f"no index at {path}: build it with `storybot index`") from None
    except IsADirectoryError:
        raise IndexFileError(f"the index path {path} is a folder, not a file: point --index at a file") from None
    except OSError as exc:
        raise IndexFileError(f"cannot read the index at {path} ({exc.strerror}): check its permissions") from None
    try:
        # pydantic parses and checks in one native pass; only a file that fails is looked at again
        if vectors is not None:
            vectors.reserve(len(data))
        index = IndexFile.model_validate_json(data, context={"vectors": vectors} if vectors is not None else None)
    except ValidationError as exc:
        raise _diagnose(path, data, exc) from None
    if index.analyzer != ANALYZER:
        raise IndexFileError(
            f"the index at {path} was built with tokenizer {index.analyzer!r}, this storybot uses {ANALYZER!r}: "
            "rebuild it with `storybot index`"
        )
    return index


def _diagnose(path: Path, data: bytes, exc: ValidationError) -> IndexFileError:
    """The one-line reason a file failed validation: not JSON, not an index, another version, or a bad field."""
    rebuild = "rebuild it with `storybot index`"
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        what = "empty" if not data.strip() else "damaged (not valid JSON)"
        return IndexFileError(f"the index at {path} is {what}: {rebuild}")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return IndexFileError(f"{path} is not a storybot index: {rebuild}, or point --index elsewhere")
    if raw.get("version") != VERSION:
        return IndexFileError(
            f"the index at {path} is format version {raw.get('version')!r}, this storybot reads {VERSION}: {rebuild}"
        )
    where = ".".join(str(p) for p in exc.errors()[0]["loc"])
    return IndexFileError(f"the index at {path} is damaged (bad field {where}): {rebuild}")
