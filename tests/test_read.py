"""Story files of every kind: formats, encodings, and bad files reported by name while the good are indexed."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import StoriesError, build
from index.read import StoryFileError, decode, strip_markdown
from tests.conftest import BUNDLED, SEED
from tests.storybot_run import one_line_error, run

GOOD = (
    "Ferry service resumes after the storm\n"
    "The ferry to Halden sailed again on Monday after three days of storms, the operator said.\n"
    "Passengers cheered as the first boat left the harbour at 7 a.m., an hour late.\n"
)


def _bad_folder(folder: Path) -> Path:
    """The bundled story beside every kind of bad file."""
    folder.mkdir()
    shutil.copy(BUNDLED / f"{SEED}.txt", folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_bytes(b"\n  \n\t\n")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "windows1252.txt").write_bytes(GOOD.replace("Halden", "“Zürich” – Œuvre café").encode("cp1252"))
    (folder / "latin1-strict.txt").write_bytes(GOOD.replace("ferry", "ferry to Orléans").encode("latin-1"))
    (folder / "broken-utf8.txt").write_bytes(GOOD.replace("Monday", "Monday — “finally”").encode() + b"\xff\xfe\xc3")
    (folder / "one-long-line.txt").write_bytes(b"A" * (3 * 1024 * 1024))
    (folder / "long-line-and-story.txt").write_bytes(GOOD.encode() + b"x" * (3 * 1024 * 1024) + b"\n")
    (folder / "dup.md").write_text(GOOD.replace("Halden", "Markdown Town"), encoding="utf-8")
    (folder / "dup.txt").write_text(GOOD, encoding="utf-8")
    (folder / "boilerplate.txt").write_text("Subscribe\nMenu\nSign in\n© 2025 Someone. All rights reserved.\n")
    return folder


def test_bad_files_are_skipped_by_name_and_the_good_indexed(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path / "stories")
    index, report = build(folder)
    ids = {s.id for s in index.stories}
    assert ids == {SEED, "windows1252", "latin1-strict", "broken-utf8", "long-line-and-story", "dup"}
    skipped = {Path(s.path).name: s.reason for s in report.skipped}
    assert skipped["empty.txt"] == "empty file"
    assert skipped["blank.md"] == "empty file"
    assert skipped["binary.txt"] == "binary file, not text"
    assert skipped["one-long-line.txt"].startswith("no story text found")
    assert skipped["boilerplate.txt"].startswith("no story text found")
    assert skipped["dup.txt"] == "same story id 'dup' as dup.md: rename one of them to index both"
    assert len(skipped) == 6
    texts = {s.id: " ".join(s.texts) for s in index.stories}
    assert "Orléans" in texts["latin1-strict"]  # Latin-1 decoded, not dropped
    assert "“Zürich” – Œuvre café" in texts["windows1252"]
    assert "“finally”" in texts["broken-utf8"]  # UTF-8 kept, the broken bytes skipped
    assert "Markdown Town" in texts["dup"]
    assert texts["long-line-and-story"].startswith("The ferry to Halden sailed again on Monday")
    warnings = {s.id: s.warning for s in report.stories}
    assert "Latin-1" in warnings["latin1-strict"]
    assert "undecodable bytes skipped" in warnings["broken-utf8"]
    assert warnings[SEED] == ""


def test_storybot_index_reports_bad_files_by_name(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path / "stories")
    r = run("index", "--stories", str(folder), "--index", str(tmp_path / "i.json"), "--show-dropped")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    for name in ("empty.txt", "binary.txt", "one-long-line.txt", "dup.txt", "boilerplate.txt"):
        assert any(line.startswith(f"skipped {folder / name}: ") for line in r.stderr.splitlines()), name
    assert "index written to" in r.stdout
    assert "6 stories, 6 skipped" in r.stdout
    assert f"{SEED}: 4 passages kept, 29 lines dropped" in r.stdout
    assert "latin1-strict: 2 passages kept" in r.stdout
    assert "read as Windows-1252" in r.stdout
    # --show-dropped lists each dropped line with its reason, a megabyte line cut short
    assert "  - line 7 [newsletter or subscription promo]: Sign up for The Week's Free Newsletters" in r.stdout
    long_shown = [line for line in r.stdout.splitlines() if "xxxxxxxx" in line]
    assert len(long_shown) == 1
    assert len(long_shown[0]) < 300


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "does not exist"),
        ("file", "is a file, not a folder"),
        ("no stories", "no stories (.txt, .md, .html)"),
        ("only bad", "no usable story"),
    ],
)
def test_a_stories_folder_with_nothing_to_index_is_one_line_exit_2(tmp_path: Path, setup: str, expected: str) -> None:
    folder = tmp_path / "stories"
    if setup == "file":
        folder.write_text("not a folder")
    elif setup == "no stories":
        folder.mkdir()
        (folder / "notes.pdf").write_bytes(b"%PDF")
    elif setup == "only bad":
        folder.mkdir()
        (folder / "empty.txt").write_bytes(b"")
        (folder / "binary.md").write_bytes(bytes(range(256)))
    line = one_line_error(run("index", "--stories", str(folder), "--index", str(tmp_path / "i.json")))
    assert expected in line
    assert not (tmp_path / "i.json").exists()


def test_decode_reports_what_it_did() -> None:
    assert decode("café".encode()) == ("café", "")
    assert decode("\ufeffcafé".encode()) == ("café", "")  # a UTF-8 byte-order mark is not text
    assert decode("café, naïve".encode("utf-16")) == ("café, naïve", "")
    assert decode("café".encode("latin-1"))[0] == "café"
    with pytest.raises(StoryFileError, match="empty file"):
        decode(b" \n")
    with pytest.raises(StoryFileError, match="binary"):
        decode(b"PK\x03\x04\x00\x00zip")


def test_markdown_loses_its_markup_and_images() -> None:
    text = strip_markdown("# Title\n![a photo](x.jpg)\nSee **this** [link](http://x) and `code`.\n> quoted\n- item")
    assert text.splitlines() == ["Title", "", "See this link and code.", "quoted", "item"]


def _many_stories(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        (folder / f"story-{i:02d}.txt").write_text(GOOD.replace("Monday", f"day {i}"), encoding="utf-8")


def _index_on_a_terminal(folder: Path, index: Path) -> bytes:
    """What `storybot index` shows on a terminal's stderr."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", "--stories", str(folder), "--index", str(index)],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closes when the command ends
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(controller)
    assert proc.returncode == 0
    return seen


def test_progress_bar_on_a_terminal_for_a_large_folder(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    _many_stories(folder, 25)
    seen = _index_on_a_terminal(folder, tmp_path / "i.json")
    assert b"25/25 stories (25 analysed, 0 unchanged)" in seen
    assert b"[" + b"#" * 30 + b"]" in seen
    (folder / "story-03.txt").write_text(GOOD.replace("Monday", "Sunday"), encoding="utf-8")
    seen = _index_on_a_terminal(folder, tmp_path / "i.json")
    assert b"25/25 stories (1 analysed, 24 unchanged)" in seen  # the rebuild counts what it did not analyse again


def test_no_progress_bar_when_not_on_a_terminal_or_for_few_stories(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    _many_stories(folder, 25)
    for _ in range(2):  # a full build, then a rebuild that reuses every story
        r = run("index", "--stories", str(folder), "--index", str(tmp_path / "i.json"))
        assert r.returncode == 0
        assert r.stderr == ""


def test_stories_error_for_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(StoriesError, match="STORYBOT_STORIES_DIR"):
        build(tmp_path / "nowhere")


def test_hostile_html_files_are_skipped_quietly(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    article = "<p>The ferry to Halden sailed again on Monday after three days of storms, the operator said.</p>"
    (folder / "xml-declaration.html").write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<html><body><article>{article}</article></body></html>'
    )
    (folder / "broken.html").write_text("<<<>>><html<body")
    (folder / "half.htm").write_text("<html><body><p>")
    (folder / "deep.html").write_text("<html><body>" + "<div>" * 20000 + article + "</body></html>")
    r = run("index", "--stories", str(folder), "--index", str(tmp_path / "i.json"))
    assert r.returncode == 0, r.stderr
    assert "xml-declaration: 1 passage kept" in r.stdout
    skipped = sorted(line.split(":")[0] for line in r.stderr.splitlines())
    assert skipped == [f"skipped {folder / name}" for name in ("broken.html", "deep.html", "half.htm")]


def test_no_index_and_no_stories_is_one_line(tmp_path: Path) -> None:
    result = run(
        "ask", "--index", str(tmp_path / "i.json"), "hello", env={"STORYBOT_STORIES_DIR": str(tmp_path / "none")}
    )
    assert "create it or set STORYBOT_STORIES_DIR" in one_line_error(result)


def test_odd_file_names_are_reported_on_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "two\nlines\x1b[2J.txt").write_bytes(b"")
    line = one_line_error(run("index", "--stories", str(folder), "--index", str(tmp_path / "i.json")))
    assert "no usable story" in line
    r = run("add", str(folder / "two\nlines\x1b[2J.txt"), "--stories", str(tmp_path / "other"))
    assert "\x1b" not in one_line_error(r)
    shutil.copy(BUNDLED / f"{SEED}.txt", folder)
    r = run("index", "--stories", str(folder), "--index", str(tmp_path / "i.json"))
    assert r.returncode == 0
    [skipped] = r.stderr.splitlines()
    assert skipped == f"skipped {folder}/two lines[2J.txt: empty file"
    assert "\x1b" not in skipped
