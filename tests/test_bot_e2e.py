"""The bot end to end: the real Application, as `storybot serve` builds it, against the fake Bot API."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import Settings
from bot.telegram.handlers import SLOW_DOWN
from bot.telegram.replies import EXPIRED, NO_MORE
from tests.bot_harness import bot_settings, running_bot
from tests.conftest import SEED
from tests.fake_bot_api import BOT_ID, BOT_USERNAME, FakeBotAPI

SUMMIT = "where is the third summit?"
SUMMIT_SENTENCE = "in an unspecified time and place"
UNSAID = "How many lifeguards did the union hire?"  # the rail story has near passages but no answer


def last_html(fake: FakeBotAPI) -> str:
    html: str = (fake.sent("sendMessage") + fake.sent("editMessageText"))[-1].result["html"]
    return html


async def test_startup_sets_the_command_menu_and_polls(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        commands = (await fake.wait_sent(1, "setMyCommands"))[0].params["commands"]
        assert {c["command"] for c in commands} >= {"ask", "stories", "story", "source", "help"}
        assert fake.sent("getMe")


async def test_private_text_is_a_question_answered_with_passage_bold_sentence_and_citation(
    fake: FakeBotAPI, settings: Settings
) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=42)
        sent = (await fake.wait_sent())[0]
        html = sent.result["html"]
        assert SUMMIT_SENTENCE in html.split("<b>")[1].split("</b>")[0]
        assert "¶1" in sent.result["text"]
        assert "Trump" in sent.result["text"]  # the story title in the citation line
        assert sent.params["parse_mode"] == "HTML"
        assert sent.params["chat_id"] == 42
        button = sent.params["reply_markup"]["inline_keyboard"][0][0]
        assert button["text"] == "More"
        assert len(button["callback_data"].encode()) <= 64
        assert not fake.sent("sendChatAction", delivered=False)  # a quick answer needs no "typing" first


async def test_more_shows_the_next_passage_without_repeating_the_sentence(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT)
        first = (await fake.wait_sent())[0].result
        fake.press(first)
        edited = (await fake.wait_sent(1, "editMessageText"))[0]
        assert fake.sent("answerCallbackQuery")
        assert edited.params["message_id"] == first["message_id"]
        bold = edited.result["html"].split("<b>")[1].split("</b>")[0]
        assert SUMMIT_SENTENCE not in bold
        assert "<b>" in edited.result["html"]
        shown = {bold}
        for n in range(2, 12):  # page on until the story runs out; never a repeat
            fake.press(edited.result)
            # each press ends in an edit, or in the notice that there is no more
            await fake.wait_for(
                lambda n=n: (
                    len(fake.sent("editMessageText")) >= n
                    or NO_MORE in [c.params.get("text") for c in fake.sent("answerCallbackQuery")]
                )
            )
            notices = [c.params.get("text") for c in fake.sent("answerCallbackQuery")]
            if NO_MORE in notices:
                break
            edited = fake.sent("editMessageText")[-1]
            bold = edited.result["html"].split("<b>")[1].split("</b>")[0]
            assert bold not in shown
            shown.add(bold)
        assert NO_MORE in notices


async def test_an_expired_button_gets_a_polite_reply(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT)
        first = (await fake.wait_sent())[0].result
        fake.press(first, data="more:ffffff")
        fake.press(first, data="from-an-older-version")
        acks = await fake.wait_sent(2, "answerCallbackQuery")
        assert [a.params["text"] for a in acks] == [EXPIRED, EXPIRED]
        assert not fake.sent("editMessageText")


async def test_doesnt_say_offers_the_nearest_passage_through_the_button(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(UNSAID)
        first = (await fake.wait_sent())[0].result
        assert first["text"].startswith("The story doesn't say.")
        assert "<b>" not in first["html"]
        fake.press(first)
        edited = (await fake.wait_sent(1, "editMessageText"))[0].result
        assert "nearest passage" in edited["text"]
        assert "<b>" in edited["html"]
        assert "Eastbrook" in edited["text"] or "rail" in edited["text"].lower()


async def test_groups_answer_ask_mentions_and_replies_and_ignore_the_rest(fake: FakeBotAPI, settings: Settings) -> None:
    group = dict(chat_id=-100777, chat_type="supergroup")
    async with running_bot(fake, settings):
        fake.message("where is the third summit? just chatting", user_id=5, **group)  # not addressed
        fake.message(f"/ask@other_bot {SUMMIT}", user_id=5, **group)  # another bot's command
        fake.message("/start@other_bot", user_id=5, **group)
        fake.message(f"/ask {SUMMIT}", user_id=5, **group)
        await fake.wait_sent(1)
        fake.message(f"/ask@{BOT_USERNAME} when was the strike set to begin?", user_id=6, **group)
        await fake.wait_sent(2)
        fake.message(f"where is the third @{BOT_USERNAME.upper()} summit?", user_id=7, **group)
        await fake.wait_sent(3)
        bot_msg = fake.sent()[0].result
        fake.message(SUMMIT, user_id=8, reply_to=bot_msg, **group)
        await fake.wait_sent(4)
        human = {
            "message_id": 1,
            "date": 0,
            "chat": fake.chat(-100777, "supergroup"),
            "from": fake.user(9),
            "text": "x",
        }
        fake.message("I agree", user_id=8, reply_to=human, **group)  # a reply, but not to the bot
        fake.message("/help", user_id=5)  # a private marker: everything before it has been handled
        await fake.wait_sent(5)
        texts = fake.texts()
        assert len(texts) == 5, texts
        assert "4 a.m. Monday" in texts[1]
        assert all(SUMMIT_SENTENCE in texts[i] for i in (0, 2, 3)), "\n".join(texts)


async def test_ask_without_a_question_explains_how(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message("/ask", chat_id=-100777, chat_type="group")
        assert "/ask " in (await fake.wait_sent())[0].result["text"]


async def test_inline_mode_offers_up_to_five_passages_with_citations(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.inline("summit")
        results = (await fake.wait_sent(1, "answerInlineQuery"))[0].params["results"]
        assert 1 <= len(results) <= 5
        for r in results:
            content = r["input_message_content"]
            assert content["parse_mode"] == "HTML"
            assert "¶" in content["message_text"]
            assert "<b>" in content["message_text"]
            assert r["title"]
        assert len({r["id"] for r in results}) == len(results)


async def test_start_help_stories_and_source(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        for n, command in enumerate(["/start", "/help", "/stories", "/source"], 1):
            fake.message(command)
            await fake.wait_sent(n)
        start, help_, stories, source = fake.texts()
        assert "for example" in start
        assert "?" in start
        assert "/ask" in help_
        assert SEED in stories
        assert "rail-strike-called-off" in stories
        assert "passages" in source
        assert "Source:" in source


async def test_story_scopes_the_chat_and_all_resets(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        steps = [
            "/story rail-strike-called-off",
            SUMMIT,  # scoped to the rail story: the summit sentence is not there
            "/source",
            "/story all",
            SUMMIT,
            "/story nope",
        ]
        for n, text in enumerate(steps, 1):
            fake.message(text, user_id=77)
            await fake.wait_sent(n)
        scoped, answer, source, reset, answer2, unknown = fake.texts()
        assert "Now asking about" in scoped
        assert SUMMIT_SENTENCE not in answer
        assert "Eastbrook" in source or "rail" in source.lower()
        assert "Trump" not in source
        assert "all stories" in reset
        assert SUMMIT_SENTENCE in answer2
        assert "no story" in unknown


async def test_reload_is_for_admins_and_swaps_in_new_stories(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    settings = bot_settings(fake, index_path, stories_dir, admin_user_ids="1")
    async with running_bot(fake, settings):
        fake.message("/reload", user_id=2)
        assert "Only the bot's admins" in (await fake.wait_sent())[0].result["text"]
        (stories_dir / "lighthouse.txt").write_text(
            "Old lighthouse reopens as museum\n\nThe keeper's cottage now houses a collection of brass lenses.\n"
        )
        fake.message("/reload", user_id=1)
        assert "Reloaded: 3 stories" in (await fake.wait_sent(2))[1].result["text"]
        fake.message("what does the keeper's cottage house?", user_id=1)
        assert "brass lenses" in (await fake.wait_sent(3))[2].result["text"]
        shutil.rmtree(stories_dir)  # the next rebuild fails: the old index stays
        fake.message("/reload", user_id=1)
        assert "Reload failed, the old index stays" in (await fake.wait_sent(4))[3].result["text"]
        fake.message(SUMMIT, user_id=1)
        assert SUMMIT_SENTENCE in (await fake.wait_sent(5))[4].result["text"]


async def test_chats_outside_the_allowed_list_get_no_answers(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path
) -> None:
    settings = bot_settings(fake, index_path, stories_dir, allowed_chat_ids="-1001234,42")
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=99)
        fake.inline("summit", user_id=99)
        fake.message(SUMMIT, user_id=5, chat_id=-1009999, chat_type="supergroup")
        fake.message(f"/ask {SUMMIT}", user_id=5, chat_id=-1001234, chat_type="supergroup")
        fake.message(SUMMIT, user_id=42)
        await fake.wait_sent(2)
        assert {c.params["chat_id"] for c in fake.sent()} == {-1001234, 42}
        assert not fake.sent("answerInlineQuery")


async def test_past_the_rate_limit_one_notice_then_silence(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path
) -> None:
    settings = bot_settings(fake, index_path, stories_dir, user_questions_per_minute=2)
    async with running_bot(fake, settings):
        for n in range(1, 6):
            fake.message(SUMMIT, user_id=42)
            if n <= 3:
                await fake.wait_sent(n)
        fake.message(SUMMIT, user_id=43)  # someone else is unaffected
        await fake.wait_for(lambda: any(c.params["chat_id"] == 43 for c in fake.sent()))
        texts = fake.texts(chat_id=42)
        assert len(texts) == 3
        assert texts[2] == SLOW_DOWN


async def test_inline_queries_have_their_own_larger_budget_past_which_they_get_no_results(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path
) -> None:
    settings = bot_settings(fake, index_path, stories_dir, user_questions_per_minute=1)  # 5 inline a minute
    async with running_bot(fake, settings):
        for n in range(1, 8):
            fake.inline("summit", user_id=42)
            await fake.wait_sent(n, "answerInlineQuery")
        fake.inline("summit", user_id=43)  # someone else is unaffected
        answers = [c.params["results"] for c in await fake.wait_sent(8, "answerInlineQuery")]
    assert [bool(results) for results in answers] == [True] * 5 + [False] * 2 + [True]


async def test_the_rate_limit_is_20_by_default_and_0_turns_it_off(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path
) -> None:
    assert bot_settings(fake, index_path, stories_dir).user_questions_per_minute == 20
    settings = bot_settings(fake, index_path, stories_dir, user_questions_per_minute=0)
    async with running_bot(fake, settings):
        for _ in range(25):
            fake.message(SUMMIT, user_id=42)
        texts = [c.result["text"] for c in await fake.wait_sent(25)]
        assert all(SUMMIT_SENTENCE in t for t in texts)
        assert SLOW_DOWN not in texts


async def test_updates_that_need_no_reply_get_none(fake: FakeBotAPI, settings: Settings) -> None:
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    async with running_bot(fake, settings):
        msg = fake.message("", user_id=42)["message"]
        msg.pop("text")
        msg["sticker"] = sticker
        fake.push("message", dict(msg, message_id=9001))
        fake.push("message", {k: v for k, v in dict(msg, message_id=9002, photo=[sticker]).items() if k != "sticker"})
        fake.message(SUMMIT, user_id=42, kind="edited_message", edit_date=1)
        fake.push(
            "channel_post", {"message_id": 9003, "date": 1, "chat": {"id": -100555, "type": "channel"}, "text": SUMMIT}
        )
        fake.message(SUMMIT, user_id=42, via_bot=fake.me())  # our own inline answer, sent into our chat
        fake.message("/unknowncommand", user_id=42)
        fake.message("/help", user_id=42)  # the marker
        sent = await fake.wait_sent(1)
        await fake.wait_for(lambda: fake.sent("getUpdates") and not fake._updates)
        assert len(sent) == 1
        assert "/ask" in fake.texts()[0]


async def test_hostile_text_gets_a_valid_reply(fake: FakeBotAPI, settings: Settings) -> None:
    nasty = "<b>summit</b> & <a href='x'>*third*</a> \u202e\u200b\x01 🙂 " + "where is the third summit? " * 400
    async with running_bot(fake, settings):
        fake.message(nasty[:4096])
        fake.inline(nasty[:256])
        sent = (await fake.wait_sent())[0]  # the fake answers 400 to invalid HTML or over-long text
        assert sent.status == 200
        assert (await fake.wait_sent(1, "answerInlineQuery"))[0].status == 200


async def test_the_bot_identifies_its_own_messages_by_id(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT)
        assert (await fake.wait_sent())[0].result["from"]["id"] == BOT_ID
