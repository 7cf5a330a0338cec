"""A rebuild re-analyses only the files whose bytes changed, and gives the index a full build gives."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from index.answer import answer
from index.build import BuildReport, analysis_key, build, build_and_save
from index.corpus import Corpus
from index.service import AnswerService
from index.store import VERSION, IndexFile, load
from tests.conftest import BUNDLED, FIXTURES, RAIL, SEED

SCRAPED = FIXTURES / "scraped"
QUESTIONS = [
    "where is the third summit?",
    "who said the talks were productive?",
    "when was the rail strike called off?",
    "how many riders would the strike have stranded?",
    "what record did Spain set?",
    "how much did the council tax rise?",
    "why did the schools close?",
    "what did the dockworkers get?",
    "when did the ferry sail again?",
    "what happened in Halden?",
]
UNTITLED = (
    "The ferry to Halden sailed again on Monday after three days of storms, the operator said.\n\n"
    "Passengers cheered as the first boat left the harbour at 7 a.m., an hour late.\n"
)


def _folder(tmp_path: Path) -> Path:
    """Stories in every format: plain text, Markdown and HTML, scraped and clean, one without a title."""
    folder = tmp_path / "stories"
    folder.mkdir()
    shutil.copy(BUNDLED / f"{SEED}.txt", folder)
    shutil.copy(FIXTURES / f"{RAIL}.txt", folder)
    for path in SCRAPED.iterdir():
        shutil.copy(path, folder)
    (folder / "ferry.txt").write_text(UNTITLED, encoding="utf-8")
    return folder


def _contents(index: IndexFile) -> dict[str, object]:
    return index.model_dump(exclude={"built_at"})


def _answers(index: IndexFile) -> list[dict[str, object]]:
    corpus = Corpus(index)
    return [answer(corpus, q, None, 3).to_json() for q in QUESTIONS]


def _same_as_a_full_build(folder: Path, index_path: Path) -> None:
    full, _ = build(folder)
    rebuilt = load(index_path)
    assert _contents(rebuilt) == _contents(full)
    assert _answers(rebuilt) == _answers(full)


def _analysed(report: BuildReport) -> set[str]:
    return {s.id for s in report.stories if not s.reused}


def test_a_rebuild_after_adding_changing_removing_and_renaming_equals_a_full_build(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    first = build_and_save(folder, index_path)
    assert first.reused == 0
    assert len(first.stories) == 7

    again = build_and_save(folder, index_path)
    assert again.reused == 7
    assert again.analysed == 0
    _same_as_a_full_build(folder, index_path)

    summit = folder / f"{SEED}.txt"
    summit.write_text(summit.read_text(encoding="utf-8").replace("third", "fourth"), encoding="utf-8")  # changed
    (folder / "council-tax-rise.txt").unlink()  # removed
    (folder / "heatwave-records.md").rename(folder / "heatwave.md")  # renamed, titled: reused as it is
    (folder / "ferry.txt").rename(folder / "ferry-service.txt")  # renamed, untitled: its id is its title
    shutil.copy(folder / f"{RAIL}.txt", folder / "rail-copy.txt")  # a copy under another name
    (folder / "new-ferry.md").write_text("# Ferry back\n\n" + UNTITLED.replace("Monday", "Friday"))  # added
    report = build_and_save(folder, index_path)

    assert _analysed(report) == {SEED, "ferry-service", "new-ferry"}
    assert report.reused == 5
    _same_as_a_full_build(folder, index_path)
    stories = {s.id: s for s in load(index_path).stories}
    assert "council-tax-rise" not in stories
    assert stories["heatwave"].path == "heatwave.md"
    assert stories["ferry-service"].title == "ferry-service"
    assert stories["rail-copy"].path == "rail-copy.txt"
    assert any("fourth" in t for t in stories[SEED].texts)


def test_a_reused_story_is_reported_as_an_analysed_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    fresh = {s.id: s for s in build_and_save(folder, index_path).stories}
    reused = {s.id: s for s in build_and_save(folder, index_path).stories}
    assert all(s.reused for s in reused.values())
    for story_id, story in fresh.items():
        assert (reused[story_id].passages, reused[story_id].dropped_lines) == (story.passages, len(story.dropped))
        assert reused[story_id].warning == story.warning


def test_another_analysis_re_analyses_every_story(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    build_and_save(folder, index_path)
    other = analysis_key(analyzer="1999.01-1")
    assert other != analysis_key()

    report = build_and_save(folder, index_path, analysis=other)
    assert report.reused == 0
    assert {s.analysis for s in load(index_path).stories} == {other}
    assert build_and_save(folder, index_path, analysis=other).reused == 7
    assert build_and_save(folder, index_path).reused == 0  # back to this storybot's analysis
    assert build_and_save(folder, index_path).reused == 7
    _same_as_a_full_build(folder, index_path)


def test_one_more_component_is_one_more_part_of_the_key() -> None:
    assert analysis_key(embedder="model-1") != analysis_key(embedder="model-2")
    assert analysis_key(embedder="model-1").startswith(analysis_key())


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: b"{half",
        lambda raw: b"",
        lambda raw: raw.replace(b'"version":%d' % VERSION, b'"version":2'),
        lambda raw: raw.replace(b'"analyzer":"', b'"analyzer":"old-'),
    ],
    ids=["damaged", "empty", "old version", "other tokenizer"],
)
def test_an_unusable_index_means_a_full_build_without_a_word(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    build_and_save(folder, index_path)
    index_path.write_bytes(damage(index_path.read_bytes()))
    report = build_and_save(folder, index_path)
    assert report.reused == 0
    _same_as_a_full_build(folder, index_path)


def test_show_dropped_analyses_every_story_again(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    build_and_save(folder, index_path)
    report = build_and_save(folder, index_path, reuse=False)
    assert report.reused == 0
    assert sum(len(s.dropped) for s in report.stories) == sum(s.dropped_lines for s in report.stories) > 0


def test_a_reload_reuses_unchanged_stories_and_answers_from_the_changed_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    service = AnswerService(index_path, folder)
    service.open()
    question = "what did the town of Brindle open?"
    assert not service.ask(question).answered
    (folder / "ferry.txt").write_text(
        UNTITLED + "\nThe town of Brindle opened a new library for its ferry passengers on Tuesday, officials said.\n",
        encoding="utf-8",
    )
    report = service.reload()
    assert report is not None
    assert _analysed(report) == {"ferry"}
    assert report.reused == 6
    best = service.ask(question).best
    assert best is not None
    assert "Brindle" in best.sentence.text


def test_the_index_records_each_file_hash_and_analysis(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index_path = tmp_path / "index.json"
    build_and_save(folder, index_path)
    raw = json.loads(index_path.read_bytes())
    assert raw["version"] == VERSION == 5
    for story in raw["stories"]:
        assert story["content_hash"] == hashlib.sha256((folder / story["path"]).read_bytes()).hexdigest()
        assert story["analysis"] == analysis_key()
