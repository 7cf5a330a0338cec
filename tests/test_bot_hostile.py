"""Hostile and odd text - in questions through the running bot, and in the stories themselves - always
gets a reply that is valid Telegram HTML within 4,096 units, and never carries control or bidi characters."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.telegram.pages import ChatPages
from bot.telegram.render import source_html, stories_html
from bot.telegram.replies import Replies
from index.read import StoryFileError, decode
from index.service import AnswerService
from tests.bot_harness import running_bot
from tests.fake_bot_api import BOT_USERNAME, FakeBotAPI
from tests.telegram_html import check_telegram_html

QUESTION = "where is the third summit?"
LEAD = (
    "The third summit between the two leaders will be held in Hanoi next month, officials said on Monday. "
    "Both sides described the preparatory talks as constructive and said the date would follow soon."
)
# what render.clean promises never reaches a chat: C0/C1 controls but tab and newline, bidi overrides
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

HOSTILE = {
    "HTML and Markdown": f"<b>{QUESTION}</b> & <a href='x'>*third*</a> _summit_ [x](http://e) `code` &amp; &lt;",
    "over 4,096 characters": (QUESTION + " ") * 400,
    "control characters": f"\x01\x07\x1b[31m{QUESTION}\x7f\x9b\x0b\x0c",
    "RTL overrides": f"\u202e{QUESTION}\u202c \u2066third\u2069 \u200f",
    "zero-width": "where\u200b is\u200c the\u200d third\ufeff summit?\u2060",
    "NUL": "where is\x00 the third\x00 summit?",
    "emoji": f"🙂 {QUESTION} 👨‍👩‍👧 𝔘 🏳️‍🌈",
    "lone surrogates": f"{QUESTION} \ud800 \udfff \udbff",
}


@pytest.fixture
def bot(settings: Settings) -> Settings:
    return settings


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_hostile_questions_through_the_bot_get_valid_replies(
    kind: str, fake: FakeBotAPI, bot: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    text = HOSTILE[kind]
    async with running_bot(fake, bot):
        fake.message(text, user_id=42)  # a private question
        fake.message(f"/ask@{BOT_USERNAME} {text}", user_id=43, chat_id=-100777, chat_type="supergroup")
        fake.message(f"/story {text}", user_id=44)  # the one reply that quotes the user's text back
        fake.inline(text[:256], user_id=45)
        await fake.wait_sent(3)
        await fake.wait_sent(1, "answerInlineQuery")
    # the fake answers 400, as Telegram does, to invalid HTML or text over 4,096 units
    replies = fake.sent("sendMessage", delivered=False) + fake.sent("answerInlineQuery", delivered=False)
    assert [c.status for c in replies] == [200] * 4
    for call in fake.sent("sendMessage"):
        assert not UNSAFE.search(call.result["text"]), call.result["text"]
    assert "no story" in next(c for c in fake.sent() if c.params["chat_id"] == 44).result["text"]
    for result in fake.sent("answerInlineQuery")[0].params["results"]:
        check_telegram_html(result["input_message_content"]["message_text"])
        assert not UNSAFE.search(result["title"] + result.get("description", ""))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


hostile_text = st.lists(
    st.one_of(
        st.characters(codec=None),  # everything, lone surrogates included
        st.sampled_from(list("<>&\"'*_`[]\x00\x01\x1b\x7f\u202e\u2066\u200b\u200d\ufeff\n\t ") + ["🙂", "👨‍👩‍👧"]),
        st.sampled_from(["<b>", "</i>", "&amp;", "&#x3c;", "<a href='x'>", "**", " summit ", " third ", ". "]),
    ),
    min_size=1,
    max_size=200,
).map("".join)


EXAMPLES = 40

# in a story file: no NUL, and control characters now and then, or the file is binary and skipped
# (tests/test_read.py has those)
story_text = st.lists(
    st.one_of(
        st.characters(codec=None, exclude_categories=["Cc"]),  # lone surrogates included
        st.sampled_from(list("<>&\"'*_`[]\u202e\u2066\u200b\u200d\ufeff\n\t ") + ["🙂", "👨‍👩‍👧"]),
        st.sampled_from(["<b>", "</i>", "&amp;", "&#x3c;", "<a href='x'>", "**", " summit ", " third ", ". "]),
        st.sampled_from(["\x01", "\x1b[31m", "\x7f", "\x9b"]),
    ),
    min_size=1,
    max_size=200,
).map(" summit talk ".join)  # words between the pieces keep most files under 5% control bytes


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=story_text, body=story_text, repeat=st.integers(1, 60))
def test_hostile_story_text_gives_valid_replies(title: str, body: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "stories"
        folder.mkdir()
        # written as bytes a file could hold: lone surrogates become invalid UTF-8
        story = (
            f"{title}\n\n{LEAD}\n\nOfficials in Seoul said {body * repeat} the meeting would run for two days.\n\n"
            f"A spokesman for the ministry added that {body} the talks had gone well so far.\n"
        )
        data = story.encode("utf-8", "surrogatepass")
        try:
            decode(data)
            binary = ""
        except StoryFileError as exc:
            binary = str(exc)
        if binary:  # too many control bytes: skipped as binary, as tests/test_read.py checks
            assert binary == "binary file, not text"
            return
        (folder / "hostile.txt").write_bytes(data)
        service = AnswerService(Path(tmp) / "index.json", folder)
        service.open(build_if_missing=True)
        replies, pages = Replies(service), ChatPages({})
        outputs = [stories_html(service.stories())] + [source_html(info) for info in service.stories()]
        plain_texts: list[str] = []
        for question in (QUESTION, body[:300] + " summit", "nothing matches zzzz"):
            reply = replies.question(question, None, pages)
            outputs.append(reply.html)
            if reply.button:
                more = replies.more(reply.button[1], pages)
                outputs.append(more if isinstance(more, str) else more.html)
            items = replies.inline(question)
            outputs += [item.html for item in items]
            plain_texts += [item.title + item.description for item in items]  # inline titles are not HTML
        for out in outputs:
            plain_texts.append(check_telegram_html(out))
        for plain in plain_texts:
            assert not UNSAFE.search(plain), repr(plain)
