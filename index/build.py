"""A stories folder to an index file, with a report of what was kept, dropped and skipped."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from index.analyze import tokenize
from index.clean import clean
from index.read import StoryFileError, read_story, story_files
from index.split import passages
from index.store import IndexFile, StoryRecord, save
from index.types import Dropped


class SentenceEmbedder(Protocol):
    """What an index build needs of a sentence-embedding model (index/embed.py's Embedder)."""

    @property
    def version(self) -> str:
        """The model's name, recorded in the index beside the vectors it made."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit rows, one per text, float32."""
        ...


class StoriesError(Exception):
    """The stories folder gives nothing to index; the message is one line."""


@dataclass(frozen=True, slots=True)
class StoryReport:
    id: str
    path: str
    passages: int
    dropped: tuple[Dropped, ...]
    warning: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class BuildReport:
    stories: list[StoryReport] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def build(
    stories_dir: Path,
    on_file: Callable[[int, int], None] | None = None,
    embedder: SentenceEmbedder | None = None,
) -> tuple[IndexFile, BuildReport]:
    """Read, clean, split and tokenize every story in the folder, and embed its sentences when given an
    embedder. Bad files are skipped and reported."""
    if stories_dir.exists() and not stories_dir.is_dir():
        raise StoriesError(f"stories folder {stories_dir} is a file, not a folder: point --stories at a folder")
    if not stories_dir.is_dir():
        raise StoriesError(f"stories folder {stories_dir} does not exist: create it or set STORYBOT_STORIES_DIR")
    files = story_files(stories_dir)
    if not files:
        raise StoriesError(f"no stories (.txt, .md, .html) in {stories_dir}: add one with `storybot add`")
    report = BuildReport()
    records: list[StoryRecord] = []
    indexed: dict[str, str] = {}  # story id -> the file it came from: the id is the file stem
    for n, path in enumerate(files, 1):
        try:
            if path.stem in indexed:
                raise StoryFileError(
                    f"same story id {path.stem!r} as {indexed[path.stem]}: rename one of them to index both"
                )
            record, story_report = _story(path)
        except StoryFileError as exc:
            report.skipped.append(Skipped(str(path), str(exc)))
        else:
            if record.passage_sentences:
                records.append(record)
                report.stories.append(story_report)
                indexed[record.id] = path.name
            else:
                report.skipped.append(Skipped(str(path), "no story text found (everything looked like boilerplate)"))
        if on_file:
            on_file(n, len(files))
    if not records:
        raise StoriesError(f"no usable story in {stories_dir}: every file was skipped")
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    if embedder is None:
        return IndexFile(built_at=built_at, stories=records), report
    records, dimensions = embed_records(records, embedder)
    return IndexFile(built_at=built_at, embedder=embedder.version, dimensions=dimensions, stories=records), report


def embed_records(records: list[StoryRecord], embedder: SentenceEmbedder) -> tuple[list[StoryRecord], int]:
    """Every story's sentences embedded in one call (the embedder sorts them by length and batches them),
    stored per story as base64 float16 rows."""
    texts = [t for r in records for t in r.texts]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    if vectors.shape[0] != len(texts) or vectors.ndim != 2:
        raise ValueError("the embedder returned the wrong number of rows")
    out: list[StoryRecord] = []
    at = 0
    for r in records:
        rows = vectors[at : at + len(r.texts)].astype("<f2")
        at += len(r.texts)
        out.append(r.model_copy(update={"embeddings": base64.b64encode(rows.tobytes()).decode("ascii")}))
    return out, int(vectors.shape[1])


def build_and_save(
    stories_dir: Path,
    index_path: Path,
    on_file: Callable[[int, int], None] | None = None,
    embedder: SentenceEmbedder | None = None,
) -> BuildReport:
    index, report = build(stories_dir, on_file, embedder)
    save(index, index_path)
    return report


def _story(path: Path) -> tuple[StoryRecord, StoryReport]:
    raw = read_story(path)
    story = clean(raw)
    parts = passages(story)
    sentences = [s for p in parts for s in p.sentences]
    spans = [raw.file_offsets(s.start, s.end) for s in sentences]  # offsets into the file itself
    record = StoryRecord(
        id=story.id,
        title=story.title,
        byline=story.byline,
        source=story.source,
        path=path.name,
        paragraphs=len(story.paragraphs),
        dropped=len(story.dropped),
        passage_paragraphs=[p.paragraph for p in parts],
        passage_sentences=[len(p.sentences) for p in parts],
        texts=[s.text for s in sentences],
        starts=[start for start, _ in spans],
        ends=[end for _, end in spans],
        terms=[" ".join(tokenize(s.text)) for s in sentences],
    )
    return record, StoryReport(story.id, str(path), len(parts), story.dropped, raw.warning)
