"""A stories folder to an index file, with a report of what was kept, dropped, skipped and reused.

A rebuild re-analyses only the files whose bytes changed: each story's record in the index carries
the hash of its file and the analysis key it was made under, and a file with the same bytes under
the same key gets its old record back (renamed files included, under their new id).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

import numpy as np

from index.analyze import ANALYZER, tokenize
from index.clean import clean
from index.read import StoryFileError, story_bytes, story_files, story_from_bytes
from index.split import passages
from index.store import IndexFile, IndexFileError, StoryRecord, load, save
from index.types import Dropped

# Names what reading, cleaning and splitting make of a file (index/read.py, clean.py, split.py,
# segment.py): bump it whenever a change there changes a story's record, so rebuilds re-analyse.
RECORDS = "2026.12-2"

# Called after each file with (files done, files in all, stories reused so far).
OnFile = Callable[[int, int, int], None]


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
    dropped_lines: int
    # the dropped lines themselves, when the story was analysed in this build (not when reused)
    dropped: tuple[Dropped, ...] = ()
    warning: str = ""
    reused: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class BuildReport:
    stories: list[StoryReport] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def reused(self) -> int:
        return sum(s.reused for s in self.stories)

    @property
    def analysed(self) -> int:
        return len(self.stories) - self.reused


def analysis_key(**more: str) -> str:
    """Everything besides a file's bytes that shapes its record, as one string: the tokenizer, the
    reading, cleaning and splitting code, and the libraries they lean on. Another stage that adds to
    a record (say, an embedding model) passes its own version as one more component."""
    parts = {
        "analyzer": ANALYZER,
        "records": RECORDS,
        "syntok": _installed("syntok"),
        "trafilatura": _installed("trafilatura"),
        **more,
    }
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(
    stories_dir: Path,
    on_file: OnFile | None = None,
    previous: IndexFile | None = None,
    analysis: str | None = None,
    embedder: SentenceEmbedder | None = None,
) -> tuple[IndexFile, BuildReport]:
    """Read, clean, split and tokenize every story in the folder, and embed its sentences when given an
    embedder, reusing the records of `previous` for files whose bytes it already analysed under the
    same analysis key (the embedder's version is part of it). Bad files are skipped and reported."""
    if stories_dir.exists() and not stories_dir.is_dir():
        raise StoriesError(f"stories folder {stories_dir} is a file, not a folder: point --stories at a folder")
    if not stories_dir.is_dir():
        raise StoriesError(f"stories folder {stories_dir} does not exist: create it or set STORYBOT_STORIES_DIR")
    files = story_files(stories_dir)
    if not files:
        raise StoriesError(f"no stories (.txt, .md, .html) in {stories_dir}: add one with `storybot add`")
    if analysis is None:
        analysis = analysis_key(embedder=embedder.version) if embedder is not None else analysis_key()
    key = analysis
    reusable = [r for r in previous.stories if r.analysis == key] if previous else []
    same_file = {(r.content_hash, r.path): r for r in reusable}
    same_bytes = {r.content_hash: r for r in reusable}
    report = BuildReport()
    records: list[StoryRecord] = []
    indexed: dict[str, str] = {}  # story id -> the file it came from: the id is the file stem
    reused = 0
    for n, path in enumerate(files, 1):
        try:
            if path.stem in indexed:
                raise StoryFileError(
                    f"same story id {path.stem!r} as {indexed[path.stem]}: rename one of them to index both"
                )
            data = story_bytes(path)
            digest = content_hash(data)
            record = same_file.get((digest, path.name)) or _renamed(same_bytes.get(digest), path)
            if record is not None:
                story_report = StoryReport(
                    record.id,
                    str(path),
                    passages=len(record.passage_sentences),
                    dropped_lines=record.dropped,
                    warning=record.warning,
                    reused=True,
                )
            else:
                record, story_report = _story(path, data, digest, key)
        except StoryFileError as exc:
            report.skipped.append(Skipped(str(path), str(exc)))
        else:
            if record.passage_sentences:
                records.append(record)
                report.stories.append(story_report)
                indexed[record.id] = path.name
                reused += story_report.reused
            else:
                report.skipped.append(Skipped(str(path), "no story text found (everything looked like boilerplate)"))
        if on_file:
            on_file(n, len(files), reused)
    if not records:
        raise StoriesError(f"no usable story in {stories_dir}: every file was skipped")
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    if embedder is None:
        return IndexFile(built_at=built_at, stories=records), report
    records, dimensions = embed_records(records, embedder)
    return IndexFile(built_at=built_at, embedder=embedder.version, dimensions=dimensions, stories=records), report


def embed_records(records: list[StoryRecord], embedder: SentenceEmbedder) -> tuple[list[StoryRecord], int]:
    """The sentences of every story not embedded yet (a story reused from the last build keeps its
    vectors), embedded in one call (the embedder sorts them by length and batches them), stored per
    story as float16 rows."""
    todo = [i for i, r in enumerate(records) if not r.embeddings]
    texts = [t for i in todo for t in records[i].texts]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32) if texts else np.zeros((0, 0), np.float32)
    if texts and (vectors.ndim != 2 or vectors.shape[0] != len(texts)):
        raise ValueError("the embedder returned the wrong number of rows")
    out = list(records)
    at = 0
    for i in todo:
        rows = vectors[at : at + len(records[i].texts)].astype("<f2")
        at += len(records[i].texts)
        out[i] = records[i].model_copy(update={"embeddings": rows.tobytes()})
    if texts:
        return out, int(vectors.shape[1])
    width = len(records[0].embeddings) // 2 // max(1, len(records[0].texts))
    return out, width


def build_and_save(
    stories_dir: Path,
    index_path: Path,
    on_file: OnFile | None = None,
    *,
    reuse: bool = True,
    analysis: str | None = None,
    embedder: SentenceEmbedder | None = None,
) -> BuildReport:
    """Build and write the index; with `reuse`, stories unchanged since the index there was built
    keep their records. An index that is missing, damaged or of another version just means a full
    build."""
    previous = previous_index(index_path) if reuse else None
    index, report = build(stories_dir, on_file, previous, analysis, embedder)
    save(index, index_path)
    return report


def previous_index(index_path: Path) -> IndexFile | None:
    """The index a rebuild may reuse records from, or None when there is no usable one."""
    try:
        return load(index_path)
    except IndexFileError:
        return None


def _renamed(old: StoryRecord | None, path: Path) -> StoryRecord | None:
    """The record of a file with the same bytes under another name, as this file's record: the same
    as analysing it again, unless the format changes with the suffix, or the story has no title of
    its own (its title is then its id)."""
    if old is None or Path(old.path).suffix.lower() != path.suffix.lower() or old.title == old.id:
        return None
    return old.model_copy(update={"id": path.stem, "path": path.name})


def _story(path: Path, data: bytes, digest: str, analysis: str) -> tuple[StoryRecord, StoryReport]:
    raw = story_from_bytes(path, data)
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
        content_hash=digest,
        analysis=analysis,
        warning=raw.warning,
        paragraphs=len(story.paragraphs),
        dropped=len(story.dropped),
        passage_paragraphs=[p.paragraph for p in parts],
        passage_sentences=[len(p.sentences) for p in parts],
        texts=[s.text for s in sentences],
        starts=[start for start, _ in spans],
        ends=[end for _, end in spans],
        terms=[" ".join(tokenize(s.text)) for s in sentences],
        byline_line=story.meta.byline,
        bio=list(story.meta.bio),
        publisher_line=story.meta.publisher,
        published=story.meta.published,
        updated=story.meta.updated,
        url=story.meta.url,
    )
    report = StoryReport(
        story.id,
        str(path),
        passages=len(parts),
        dropped_lines=len(story.dropped),
        dropped=story.dropped,
        warning=raw.warning,
    )
    return record, report
