"""Sentences cut verbatim from the original by offset, and paragraph-bounded passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.clean import clean
from index.read import RawStory, read_story
from index.split import passages, sentences
from index.types import Paragraph
from tests.conftest import BUNDLED, FIXTURES

TXT_STORIES = [
    BUNDLED / "third-trump-kim-summit.txt",
    FIXTURES / "rail-strike-called-off.txt",
    FIXTURES / "scraped" / "council-tax-rise.txt",
    FIXTURES / "scraped" / "school-closures-ap.txt",
]


def _split(text: str) -> list[str]:
    return [s.text for s in sentences(Paragraph(1, text, 0))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "He met Mr. Kim in the U.S. on Monday. Then he left.",
            ["He met Mr. Kim in the U.S. on Monday.", "Then he left."],
        ),
        (
            '"Is it over?" she asked. "No." He didn\'t say.',
            ['"Is it over?" she asked.', '"No."', "He didn't say."],
        ),
        (
            "Gov. Phil Scott declared an emergency. Sen. Bernie Sanders agreed.",
            ["Gov. Phil Scott declared an emergency.", "Sen. Bernie Sanders agreed."],
        ),
        (
            "MONTPELIER, Vt. (AP) — More than 40 schools closed.",
            ["MONTPELIER, Vt. (AP) — More than 40 schools closed."],
        ),
        ("It cost 5. 3 people came.", ["It cost 5.", "3 people came."]),
        (
            "Dr. Otto said it was “virtually impossible.” Prices rose 4.9% in Jan. 2025 at 5 p.m. sharp.",
            ["Dr. Otto said it was “virtually impossible.”", "Prices rose 4.9% in Jan. 2025 at 5 p.m. sharp."],
        ),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


def test_a_sentence_keeps_its_original_characters() -> None:
    story = clean(read_story(BUNDLED / "third-trump-kim-summit.txt"))
    texts = [s.text for p in passages(story) for s in p.sentences]
    assert "He didn't say if the talks were face-to-face or who participated." in texts
    assert any(t.startswith("South Korean President Moon Jae-in said Wednesday that in fact U.S. and") for t in texts)
    assert (
        '"Complete denuclearization and a permanent peace regime on the peninsula are tasks that cannot be '
        'achieved overnight."' in texts
    )


@pytest.mark.parametrize("path", TXT_STORIES, ids=[p.name for p in TXT_STORIES])
def test_offsets_point_into_the_original_file(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    story = clean(read_story(path))
    found = passages(story)
    assert found
    for passage in found:
        assert text[passage.start : passage.end].startswith(passage.sentences[0].text)
        for sentence in passage.sentences:
            assert text[sentence.start : sentence.end] == sentence.text


def test_offsets_survive_windows_line_ends_and_indentation(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(
        b"Ferry service resumes after the storm\r\n\r\n   The ferry sailed again on Monday."
        b" Crews said the sea was calm."
        b"\r\n\tPassengers cheered as it left the harbour at 7 a.m. on the dot.\r\n"
    )
    text = path.read_bytes().decode("utf-8")
    story = clean(read_story(path))
    found = [s for p in passages(story) for s in p.sentences]
    assert [s.text for s in found] == [
        "The ferry sailed again on Monday.",
        "Crews said the sea was calm.",
        "Passengers cheered as it left the harbour at 7 a.m. on the dot.",
    ]
    for sentence in found:
        assert text[sentence.start : sentence.end] == sentence.text


def test_passages_are_paragraph_bounded_windows_covering_every_sentence_once() -> None:
    paragraph_text = " ".join(f"Sentence number {i} of the long paragraph is here." for i in range(1, 8))
    text = f"A headline for the test story\n{paragraph_text}\nA second paragraph with one sentence only.\n"
    story = clean(RawStory(id="s", path="s.txt", text=text))
    found = passages(story, size=3)
    assert [p.paragraph for p in found] == [1, 1, 1, 2]
    assert [len(p.sentences) for p in found] == [3, 2, 2, 1]  # evenly cut, never crossing a paragraph
    assert [p.id for p in found] == ["s:1.1", "s:1.2", "s:1.3", "s:2.1"]
    all_sentences = [s.text for p in found for s in p.sentences]
    assert all_sentences == [s.text for para in story.paragraphs for s in sentences(para)]
    assert len(set(all_sentences)) == len(all_sentences)
    for passage in found:
        paragraph = story.paragraphs[passage.paragraph - 1]
        assert paragraph.start <= passage.start < passage.end <= paragraph.start + len(paragraph.text)
        assert text[passage.start : passage.end] == passage.text  # one line: its sentences are space-joined


def test_paragraph_numbers_count_body_paragraphs_from_one() -> None:
    story = clean(read_story(FIXTURES / "rail-strike-called-off.txt"))
    assert sorted({p.paragraph for p in passages(story)}) == [1, 2, 3, 4]


def test_markdown_offsets_point_into_the_markdown_file(tmp_path: Path) -> None:
    from index.build import build
    from index.read import strip_markdown

    folder = tmp_path / "md"
    folder.mkdir()
    source = FIXTURES / "scraped" / "heatwave-records.md"
    (folder / source.name).write_bytes(source.read_bytes())
    original = source.read_text(encoding="utf-8")
    index, _ = build(folder)
    story = index.stories[0]
    assert len(story.texts) == 5
    for text, start, end in zip(story.texts, story.starts, story.ends, strict=True):
        span = original[start:end]
        assert span[0] == text[0]
        assert span[-1] == text[-1]
        assert strip_markdown(span) == text  # the same words, with their markup
    assert "**46.2C**" in original[story.starts[0] : story.ends[0]]
