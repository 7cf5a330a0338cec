"""The index file: versioned JSON, written atomically, and one clear line when it cannot be used."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index.build import build
from index.store import FORMAT, VERSION, IndexFile, IndexFileError, load, save
from tests.storybot_run import one_line_error, run


def test_the_index_is_versioned_json_that_loads_back(index_path: Path) -> None:
    raw = json.loads(index_path.read_text(encoding="utf-8"))
    assert raw["format"] == FORMAT == "storybot-index"
    assert raw["version"] == VERSION
    loaded = load(index_path)
    assert {s.id for s in loaded.stories} == {"third-trump-kim-summit", "rail-strike-called-off"}
    assert IndexFile.model_validate(raw) == loaded


def test_save_replaces_the_file_whole_and_leaves_no_temp_files(stories_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "idx" / "index.json"
    first, _ = build(stories_dir)
    save(first, path)
    # A reader holding the old file keeps reading the old file: the new one is a new file swapped
    # in by rename, never the old one rewritten in place.
    with path.open("rb") as reader:
        (stories_dir / "rail-strike-called-off.txt").unlink()
        second, _ = build(stories_dir)
        save(second, path)
        old_bytes = reader.read()
    assert IndexFile.model_validate_json(old_bytes) == first
    assert load(path) == second
    assert [p.name for p in path.parent.iterdir()] == ["index.json"]


def test_save_removes_temp_files_of_killed_writers_only(index_path: Path) -> None:
    dead = index_path.parent / f".{index_path.name}.999999999.abc.tmp"  # no such process
    live = index_path.parent / f".{index_path.name}.{os.getppid()}.abc.tmp"  # a writer still running
    dead.write_text("{half", encoding="utf-8")
    live.write_text("{half", encoding="utf-8")
    save(load(index_path), index_path)
    assert not dead.exists()
    assert live.exists()


def test_a_missing_index_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="build it with `storybot index`"):
        load(tmp_path / "nope.json")


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]


def _field_damaged(good: bytes) -> bytes:
    raw = json.loads(good)
    raw["stories"][0]["passage_paragraphs"][0] = "first"
    return json.dumps(raw).encode()


DAMAGE = {
    "empty": lambda good: b"",
    "blank": lambda good: b"  \n",
    "truncated": _truncated,
    "garbage": lambda good: bytes(range(256)) * 4,
    "foreign JSON object": lambda good: b'{"name": "some other tool", "items": [1, 2]}',
    "foreign JSON list": lambda good: b"[1, 2, 3]",
    "old version": lambda good: good.replace(b'"version":%d' % VERSION, b'"version":0'),
    "future version": lambda good: good.replace(b'"version":%d' % VERSION, b'"version":7'),
    "damaged field": _field_damaged,
}
FIX = {
    "empty": "is empty",
    "blank": "is empty",
    "truncated": "damaged",
    "garbage": "damaged",
    "foreign JSON object": "not a storybot index",
    "foreign JSON list": "not a storybot index",
    "old version": "version 0",
    "future version": "version 7",
    "damaged field": "damaged",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_index_is_one_line_naming_the_fix_exit_2(damage: str, index_path: Path) -> None:
    good = index_path.read_bytes()
    index_path.write_bytes(DAMAGE[damage](good))
    assert index_path.read_bytes() != good
    line = one_line_error(run("ask", "--index", str(index_path), "where is the third summit?"))
    assert "`storybot index`" in line
    assert FIX[damage] in line


def test_an_index_path_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(run("ask", "--index", str(tmp_path), "where is the third summit?"))
    assert "is a folder" in line


def test_a_damaged_index_is_rebuilt_by_storybot_index(index_path: Path, stories_dir: Path) -> None:
    index_path.write_bytes(b"\x00garbage")
    r = run("index", "--stories", str(stories_dir), "--index", str(index_path))
    assert r.returncode == 0, r.stderr
    assert len(load(index_path).stories) == 2
