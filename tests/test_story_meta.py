"""What a scraped page says about the story itself (byline, bio, publisher, dates, address), kept as written."""

from __future__ import annotations

from pathlib import Path

from index.build import build_and_save
from index.clean import clean
from index.corpus import Corpus
from index.read import RawStory, read_story
from index.types import StoryMeta
from tests.conftest import BUNDLED, FIXTURES

SCRAPED = FIXTURES / "scraped"


def _meta(path: Path) -> StoryMeta:
    return clean(read_story(path)).meta


def _text(text: str) -> StoryMeta:
    return clean(RawStory(id="t", path="t.txt", text=text)).meta


def test_rail_story_keeps_byline_dateline_bio_and_the_publisher_the_bio_names() -> None:
    meta = _meta(FIXTURES / "rail-strike-called-off.txt")
    assert meta.byline == "By Tom Reyes"
    assert meta.published == "Published Sunday, 11:48 PM"
    assert meta.updated == ""
    assert len(meta.bio) == 1
    assert meta.bio[0].startswith("Tom Reyes covers transportation and labor for the Eastbrook Daily.")
    assert "Coastline Gazette" in meta.bio[0]
    assert "Eastbrook Daily" in meta.publisher
    assert meta.url == ""


def test_summit_story_has_no_byline_but_a_masthead_and_a_bio() -> None:
    meta = _meta(BUNDLED / "third-trump-kim-summit.txt")
    assert meta.byline == ""
    assert meta.publisher == "The Week"
    assert meta.bio
    assert meta.bio[0].startswith("Peter has worked as a news and culture writer and editor at The Week")
    assert meta.published == meta.updated == ""


def test_other_scraped_layouts() -> None:
    council = _meta(SCRAPED / "council-tax-rise.txt")
    assert council.byline == "By Hannah Okafor, Local Democracy Reporter"
    assert council.updated == "Updated 14:32, 12 March 2025"
    assert council.publisher == "© 2025 Northfield Herald Ltd. All rights reserved."
    assert council.bio[0].startswith("Hannah Okafor is the Local Democracy Reporter")
    ap = _meta(SCRAPED / "school-closures-ap.txt")
    assert ap.byline == "BY DANA WHITFIELD"
    assert ap.published == "Published 6:05 AM EDT, October 3, 2025"
    assert ap.publisher.startswith("Copyright 2025 The Associated Press.")
    heat = _meta(SCRAPED / "heatwave-records.md")
    assert heat.byline == "By Ana Lima and Tom Berger | Climate Desk"
    assert heat.bio[0].startswith("Ana Lima is a climate correspondent")
    port = _meta(SCRAPED / "port-strike.html")  # from the page's metadata
    assert port.byline == "By Lena Marsh"
    assert port.published == "Published 2025-05-14"
    assert port.publisher == "Coastal Times"


def test_a_made_up_layout_with_role_byline_bare_date_copyright_and_source_address() -> None:
    story = clean(
        RawStory(
            id="t",
            path="t.txt",
            text=(
                "Source: https://example.com/science/comet-returns\n"
                "Comet returns to the night sky after 80 years\n"
                "By Jane Doe, Science Correspondent\n"
                "Tuesday, June 2, 2026\n"
                "Updated 9:05 AM, June 2\n"
                "Astronomers in Chile photographed the comet on Monday as it rounded the sun for the first time "
                "since 1946.\n"
                "It should be visible to the naked eye from dark places until the end of the month, they said.\n"
                "Jane Doe writes about space for The Example Times. She previously worked at Sky Weekly.\n"
                "© 2026 The Example Times\n"
            ),
        )
    )
    meta = story.meta
    assert story.title == "Comet returns to the night sky after 80 years"
    assert meta.byline == "By Jane Doe, Science Correspondent"
    assert meta.published == "Tuesday, June 2, 2026"
    assert meta.updated == "Updated 9:05 AM, June 2"
    assert meta.url == "https://example.com/science/comet-returns"
    assert meta.publisher == "© 2026 The Example Times"
    assert meta.bio == ("Jane Doe writes about space for The Example Times. She previously worked at Sky Weekly.",)
    body = " ".join(p.text for p in story.paragraphs)
    for line in ("https://", "June 2, 2026", "Updated", "Jane Doe writes", "©"):
        assert line not in body
    assert len(story.paragraphs) == 2


def test_a_subscribe_line_names_the_site_when_nothing_else_does() -> None:
    meta = _text(
        "Harbour seals return to the estuary\n"
        "Counts of harbour seals in the estuary doubled this year, volunteers from the wildlife trust said.\n"
        "The trust says cleaner water brought the fish back first.\n"
        "Sign up for The Coast Weekly's free newsletter\n"
    )
    assert meta.publisher == "Sign up for The Coast Weekly's free newsletter"
    assert meta.byline == ""


def test_a_story_with_no_byline_or_dates_has_empty_metadata() -> None:
    meta = _text(
        "Library extends opening hours\n"
        "The central library will open until 9 p.m. on weekdays from next month, the council said on Friday.\n"
        "Staff numbers will rise by four to cover the evenings.\n"
    )
    assert meta == StoryMeta()


def test_the_index_keeps_the_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "rail.txt").write_bytes((FIXTURES / "rail-strike-called-off.txt").read_bytes())
    build_and_save(folder, tmp_path / "index.json")
    info = Corpus.open(tmp_path / "index.json").stories["rail"]
    assert info.meta == _meta(FIXTURES / "rail-strike-called-off.txt")
    assert info.meta.byline == "By Tom Reyes"
