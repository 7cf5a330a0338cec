"""Finding the story inside scraped text: the two shared stories and scraped pages of other layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.clean import clean
from index.read import RawStory, read_story
from index.types import Story
from tests.conftest import BUNDLED, FIXTURES

SCRAPED = FIXTURES / "scraped"


def _story(path: Path) -> Story:
    return clean(read_story(path))


def _body(story: Story) -> str:
    return "\n".join(p.text for p in story.paragraphs)


def _reasons(story: Story) -> dict[str, str]:
    """Each dropped line's text -> why it was dropped."""
    return {d.text: d.reason for d in story.dropped}


def _clean_text(text: str) -> Story:
    return clean(RawStory(id="t", path="t.txt", text=text))


def test_trump_kim_story_keeps_the_article_and_resumes_after_the_promo() -> None:
    story = _story(BUNDLED / "third-trump-kim-summit.txt")
    assert story.title.startswith("The U.S. and North Korea are holding 'behind-the-scenes talks'")
    assert story.source == "The Week"
    assert [p.text[:40] for p in story.paragraphs] == [
        "There has been speculation that a recent",
        "\"There's no reason to regard the current",
        "Earlier Wednesday, North Korea's foreign",
        "The foreign ministry is trying to distin",  # after the newsletter promo
    ]
    reasons = _reasons(story)
    assert reasons["Sign up for The Week's Free Newsletters"].startswith("newsletter")
    assert reasons[
        "Escape your echo chamber. Get the facts behind the news, plus analysis from multiple perspectives."
    ].startswith("newsletter")
    assert any(text.startswith("A free daily email") and r.startswith("newsletter") for text, r in reasons.items())
    assert any(text.startswith("Peter has worked") and r == "author bio" for text, r in reasons.items())
    headlines = [t for t, r in reasons.items() if r == "list of other headlines"]
    assert len(headlines) == 11  # every teaser after the bio, none of the article
    assert all(
        "Speed Read" in t or "speed read" in t or "2025The" in t or "Feature" in t or "budgetThe" in t
        for t in headlines
    )
    body = _body(story)
    for boilerplate in ("Newsletter", "inbox", "Speed Read", "Peter has worked", "The Week Recommends"):
        assert boilerplate not in body


def test_rail_story_drops_navigation_and_keeps_byline_and_publisher() -> None:
    story = _story(FIXTURES / "rail-strike-called-off.txt")
    assert story.title == "Regional rail strike called off hours before deadline as union accepts 6% raise"
    assert story.byline == "Tom Reyes"
    assert story.source == "Eastbrook Daily"
    reasons = _reasons(story)
    assert reasons["Skip to main content"] == "navigation"
    assert reasons["Menu"] == "navigation"
    assert reasons["Search"] == "navigation"
    assert reasons["ADVERTISEMENT"] == "advertisement"
    assert reasons["Read more: What commuters need to know about the regional fare changes"] == "related links"
    assert reasons["Sign up for our Morning Commute newsletter"].startswith("newsletter")
    assert reasons["Get traffic, transit and weather updates delivered every weekday at 6 a.m."].startswith(
        "newsletter"
    )
    assert reasons["More from Metro"] == "related links"
    assert reasons["Bridge repairs to close two lanes through August"] == "list of other headlines"
    assert reasons["City parks department hiring 300 summer lifeguards"] == "list of other headlines"
    assert reasons["By Tom Reyes"] == "byline"
    assert reasons["Published Sunday, 11:48 PM"] == "dateline"
    assert any(r == "author bio" for t, r in reasons.items() if t.startswith("Tom Reyes covers"))
    assert [p.text[:30] for p in story.paragraphs] == [
        "Commuters across the Eastbrook",
        "The Eastbrook Transit Workers ",
        "The deal also adds two paid si",  # after the advertisement
        "Regional transit chief Carl Be",  # after "Read more"
    ]


# Other layouts: (file, title, byline, source, sentences the body keeps, lines dropped and why)
LAYOUTS = [
    (
        "council-tax-rise.txt",  # cookie banner, menu bar, "Most read" list mid-story, copyright footer
        "Northfield council approves 4.9% tax rise despite packed protest",
        "Hannah Okafor",
        "Northfield Herald",
        [
            "Northfield councillors voted 31 to 18",
            "Residents who subscribe to the garden waste collection",  # a promo word inside the story
            "The new rates take effect on 1 April.",  # the story resumes after the list
        ],
        {
            "Accept all cookies": "cookie",
            "Home | News | Sport | Business | Opinion | Lifestyle | Puzzles": "navigation",
            "Story continues below advertisement": "advertisement",
            "Most read": "related links",
            "3. Police appeal for witnesses after city centre assault": "list of other headlines",
            "© 2025 Northfield Herald Ltd. All rights reserved.": "cookie",
            "Privacy Policy | Terms and Conditions | Cookie settings | Contact us": "cookie",
        },
    ),
    (
        "school-closures-ap.txt",  # wire story: capitals byline, "Related:" link, AP copyright footer
        "Storm closes 40 schools across Vermont as flooding cuts off roads",
        "Dana Whitfield",
        "The Associated Press",
        [
            "MONTPELIER, Vt. (AP) — More than 40 Vermont schools",
            "The Montpelier district sent a newsletter to parents",  # news, not a promo
            "Gov. Phil Scott declared a state of emergency",
        ],
        {
            "ADVERTISEMENT": "advertisement",
            "Related: Vermont lawmakers debate flood buyout program": "related links",
            "Follow AP's coverage of extreme weather at https://apnews.com/hub/weather": "newsletter",
            "Click here to subscribe to our morning newsletter and get the day's top stories in your inbox.": (
                "newsletter"
            ),
        },
    ),
    (
        "heatwave-records.md",  # Markdown: breadcrumbs, image, blockquote promo, related list, bio
        "Europe's June heatwave breaks records in Spain and Portugal",
        "Ana Lima and Tom Berger",
        "Climate Desk",
        ["Temperatures reached 46.2C in El Granado", "Dr. Friederike Otto of Imperial College London"],
        {
            "Home > Climate": "navigation",
            "Get our climate newsletter. Sign up for a weekly briefing on the science and politics of a warming "
            "planet.": "newsletter",
            "Related stories": "related links",
            "What is a heat dome?": "list of other headlines",
        },
    ),
    (
        "port-strike.html",  # HTML through trafilatura: nav, cookie banner, aside and footer never reach the text
        "Dockworkers end strike at Port of Halden after pay deal",
        "Lena Marsh",
        "Coastal Times",
        ["Dockworkers at the Port of Halden returned to work", "Shipping lines had diverted some vessels"],
        {},
    ),
]


@pytest.mark.parametrize(("name", "title", "byline", "source", "kept", "dropped"), LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_other_layouts(
    name: str, title: str, byline: str, source: str, kept: list[str], dropped: dict[str, str]
) -> None:
    story = _story(SCRAPED / name)
    assert story.title == title
    assert story.byline == byline
    assert story.source == source
    body = _body(story)
    for text in kept:
        assert text in body
    reasons = _reasons(story)
    for text, reason in dropped.items():
        assert reasons.get(text, "").startswith(reason), (text, reasons.get(text))
    for boilerplate in ("cookie", "Cookie", "All rights reserved", "Most read", "inbox", "Sign up", "Related"):
        assert boilerplate not in body
    assert "is a climate correspondent" not in body
    assert "is the Local Democracy Reporter" not in body
    assert "Ferry fares" not in body
    assert "Home" not in body


def test_html_story_keeps_its_paragraphs_and_loses_the_page_around_them() -> None:
    story = _story(SCRAPED / "port-strike.html")
    assert len(story.paragraphs) == 4
    body = _body(story)
    assert "The Morning Tide" not in body
    assert "Privacy" not in body
    assert "Most read" not in body


@pytest.mark.parametrize(
    "sentence",
    [
        "Netflix raised its subscription price by $2 a month, the company said on Tuesday.",
        "The bakery sold 5,000 cookies at the fair, its owner said.",
        "The lawsuit accuses the company of copyright infringement on a massive scale.",
        "Related charges were filed against two other men, prosecutors said on Friday.",
        "Smith was a reporter for the local paper before joining the campaign, aides said.",
        "The company said customers can read more about the recall on its website.",
    ],
)
def test_story_sentences_with_boilerplate_words_are_kept(sentence: str) -> None:
    story = _clean_text(
        f"A headline about the matter at hand\n{sentence}\nAnother plain sentence of the story follows here."
    )
    assert story.paragraphs[0].text == sentence


def test_a_question_headline_above_the_byline_is_the_title() -> None:
    story = _clean_text(
        "Is the third summit finally going to happen?\nBy Jo Park\n"
        "Officials in Seoul said on Wednesday that talks were under way.\n"
    )
    assert story.title == "Is the third summit finally going to happen?"
    assert story.byline == "Jo Park"
    assert [p.text for p in story.paragraphs] == ["Officials in Seoul said on Wednesday that talks were under way."]


def test_a_sentence_starting_with_by_is_not_a_byline() -> None:
    story = _clean_text("Union deal reached in the night\nBy Monday, the union had agreed to the new contract terms.\n")
    assert story.byline == ""
    assert story.paragraphs[0].text.startswith("By Monday")


def test_a_run_of_text_with_no_spaces_is_dropped_and_the_story_kept() -> None:
    story = _clean_text(
        "Port reopens after the storm\n"
        + "x" * 100_000
        + "\nThe port reopened on Monday after a storm, officials said.\n"
    )
    assert [p.text for p in story.paragraphs] == ["The port reopened on Monday after a storm, officials said."]
    assert story.dropped[0].reason.startswith("not prose")


def test_short_paragraphs_inside_the_story_are_kept() -> None:
    story = _clean_text(
        "Storm closes schools across the county\n"
        "Schools across the county closed on Monday as the storm hit, officials said.\n"
        '"It\'s over," he said.\n'
        "Crews worked through the night to clear fallen trees from the main roads.\n"
        "Nobody was hurt.\n"
        "Advertisement\n"
        "The schools will reopen on Wednesday if the power is back, the district said.\n"
        "He declined to comment.\n"
        "Share\n"
        "Why?\n"
    )
    assert [p.text for p in story.paragraphs] == [
        "Schools across the county closed on Monday as the storm hit, officials said.",
        '"It\'s over," he said.',
        "Crews worked through the night to clear fallen trees from the main roads.",
        "Nobody was hurt.",
        "The schools will reopen on Wednesday if the power is back, the district said.",
        "He declined to comment.",
    ]
    assert {d.text for d in story.dropped} == {"Advertisement", "Share", "Why?"}


def test_the_shipped_copies_are_the_shared_stories() -> None:
    """The tests use the copies in the repository (a clone has no ../shared); they must not drift."""
    from tests.conftest import SHARED_STORIES

    if not SHARED_STORIES.is_dir():
        pytest.skip("no ../shared/stories beside this clone")
    assert (BUNDLED / "third-trump-kim-summit.txt").read_bytes() == (
        SHARED_STORIES / "third-trump-kim-summit.txt"
    ).read_bytes()
    assert (FIXTURES / "rail-strike-called-off.txt").read_bytes() == (
        SHARED_STORIES / "rail-strike-called-off.txt"
    ).read_bytes()


def test_a_copyright_sign_inside_a_sentence_keeps_the_sentence() -> None:
    """Found by tests/test_bot_hostile.py: "©" mid-sentence made every line a copyright notice, and the story empty."""
    text = (
        "Talks\n\nThe third summit between the two leaders will be held in Hanoi next month, officials said.\n\n"
        "Officials in Seoul said © the meeting would run for two days.\n\n© 2026 The Example Times\n"
    )
    story = clean(RawStory(id="t", path="t.txt", text=text))
    kept = [p.text for p in story.paragraphs]
    assert any("Officials in Seoul said ©" in line for line in kept)
    assert [d.text for d in story.dropped if d.reason == "cookie or copyright notice"] == ["© 2026 The Example Times"]
