"""The bot's state across restarts, 👍/👎, and a state file that fails: the real Application against the
loopback Bot API, which confirms updates as Telegram does (an update below the highest offset asked for
never comes again), so a restarted bot cannot pass by answering the old messages anew."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.config import Settings
from bot.store.db import StateDB
from bot.telegram.persistence import StatePersistence
from bot.telegram.replies import EXPIRED, THANKS
from tests.bot_harness import bot_settings, running_bot
from tests.fake_bot_api import FakeBotAPI

SUMMIT = "where is the third summit?"
SUMMIT_SENTENCE = "in an unspecified time and place"
RAIL = "rail-strike-called-off"
USER = 987_654_321  # long and odd, so that finding it in the file means it is there
GROUP = -100_246_813_579


def buttons(message: dict[str, object]) -> dict[str, str]:
    row = message["reply_markup"]["inline_keyboard"][0]  # type: ignore[index]
    return {b["text"]: b["callback_data"] for b in row}


def state_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}  # noqa: S608 - our own names


async def test_the_fake_confirms_updates_as_telegram_does(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message("/help")
        await fake.wait_sent(1)
    assert fake._get_updates(0, 0) == []  # confirmed by the bot's last offset: never handed out again
    async with running_bot(fake, settings):
        fake.message("/start")
        await fake.wait_sent(2)
    assert [t.split()[0] for t in fake.texts()] == ["Ask", "Hello!"]


async def test_a_restarted_bot_keeps_the_chats_story_and_its_buttons(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(f"/story {RAIL}", user_id=USER)
        await fake.wait_sent(1)
        fake.message(SUMMIT)  # another chat, all stories
        answer = (await fake.wait_sent(2))[1].result
    assert settings.state_file.exists()
    async with running_bot(fake, settings):
        fake.press(answer)  # "More" under an answer from before the restart
        edited = (await fake.wait_sent(1, "editMessageText"))[0].result
        fake.message(SUMMIT, user_id=USER)  # still scoped to the rail story
        scoped = (await fake.wait_sent(3))[2].result["text"]
        fake.message("/source", user_id=USER)
        source = (await fake.wait_sent(4))[3].result["text"]
    assert fake.sent("answerCallbackQuery")[0].params.get("text") != EXPIRED
    assert SUMMIT_SENTENCE not in edited["text"]
    assert "<b>" in edited["html"]
    assert SUMMIT_SENTENCE not in scoped
    assert "Trump" not in source
    assert len(fake.sent("sendMessage")) == 4  # nothing from before the restart was answered again


async def test_without_the_state_file_a_restart_forgets(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    """The check above can fail: with a fresh state file the story choice is gone."""
    async with running_bot(fake, bot_settings(fake, index_path, stories_dir, state_path=tmp_path / "a.sqlite3")):
        fake.message(f"/story {RAIL}", user_id=USER)
        await fake.wait_sent(1)
    async with running_bot(fake, bot_settings(fake, index_path, stories_dir, state_path=tmp_path / "b.sqlite3")):
        fake.message(SUMMIT, user_id=USER)
        assert SUMMIT_SENTENCE in (await fake.wait_sent(2))[1].result["text"]


async def test_any_json_value_in_chat_and_user_data_survives(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    conversation = {"turns": [{"q": "who?", "a": "Kim", "score": 0.5}], "topic": None, "open": True}
    first = StatePersistence(StateDB(path))
    await first.get_chat_data()
    await first.update_chat_data(GROUP, {"conversation": conversation, "story": RAIL})
    await first.update_user_data(USER, {"seen": [1, 2]})
    await first.flush()
    again = StatePersistence(StateDB(path))
    assert await again.get_chat_data() == {}  # ids are not in the file: each chat's data comes back when it does
    await again.get_user_data()
    chat: dict[object, object] = {}
    user: dict[object, object] = {}
    await again.refresh_chat_data(GROUP, chat)
    await again.refresh_user_data(USER, user)
    assert chat == {"conversation": conversation, "story": RAIL}
    assert user == {"seen": [1, 2]}
    other: dict[object, object] = {}
    await again.refresh_chat_data(USER, other)  # a user's data is not a chat's
    assert other == {}
    await again.flush()


async def test_a_value_json_cannot_hold_is_one_line_and_never_pickled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StatePersistence(StateDB(tmp_path / "state.sqlite3"))
    await store.get_chat_data()
    for _ in range(3):
        await store.update_chat_data(1, {"when": object()})
    await store.update_chat_data(2, {"fine": True})
    await store.flush()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "JSON" in errors[0].getMessage()
    assert [len(v) for k, v in state_rows(tmp_path / "state.sqlite3").items() if k == "data"] == [1]


async def test_votes_count_once_per_reader_and_answer_and_can_change(fake: FakeBotAPI, settings: Settings) -> None:
    group = dict(chat_id=GROUP, chat_type="supergroup")
    async with running_bot(fake, settings):
        fake.message(f"/ask {SUMMIT}", user_id=USER, **group)
        answer = (await fake.wait_sent(1))[0].result
        keys = buttons(answer)
        assert set(keys) == {"More", "👍", "👎"}
        assert all(len(data.encode()) <= 64 for data in keys.values())
        for user, button in ((USER, "👍"), (USER, "👍"), (5, "👎")):  # handled concurrently, in any order
            fake.press(answer, user_id=user, data=keys[button])
        await fake.wait_sent(3, "answerCallbackQuery")
        fake.press(answer, user_id=USER, data=keys["👎"])  # then the reader changes their mind
        acks = await fake.wait_sent(4, "answerCallbackQuery")
        assert sorted(a.params["text"] for a in acks) == sorted([THANKS[1], THANKS[1], THANKS[-1], THANKS[-1]])
        assert acks[3].params["text"] == THANKS[-1]
        fake.press(answer, user_id=USER, data="good:0000000000")  # an answer this chat never saw
        assert (await fake.wait_sent(5, "answerCallbackQuery"))[4].params["text"] == EXPIRED
    votes = state_rows(settings.state_file)["votes"]
    assert len(votes) == 2  # one per reader: the second 👍 counted once, the change replaced it
    assert sorted(row[10] for row in votes) == [-1, -1]  # type: ignore[type-var]
    by_column = [dict(zip(COLUMNS, row, strict=True)) for row in votes]
    assert {v["question"] for v in by_column} == {SUMMIT}
    assert all(SUMMIT_SENTENCE in str(v["sentence"]) for v in by_column)
    assert all(v["story"] == "third-trump-kim-summit" for v in by_column)
    assert all("@" in str(v["sentence_id"]) for v in by_column)


COLUMNS = ("user", "answer", "chat", "at", "story", "question", "understood", "sentence_id", "sentence", "confidence")
COLUMNS += ("verdict",)


async def test_a_vote_on_a_more_page_is_about_the_passage_it_shows(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=USER)
        answer = (await fake.wait_sent(1))[0].result
        fake.press(answer, user_id=USER)
        edited = (await fake.wait_sent(1, "editMessageText"))[0].result
        fake.press(edited, user_id=USER, data=buttons(edited)["👎"])
        await fake.wait_sent(2, "answerCallbackQuery")
    (vote,) = state_rows(settings.state_file)["votes"]
    assert SUMMIT_SENTENCE not in str(vote[8])
    assert str(vote[8]) in edited["text"]


async def test_no_raw_id_reaches_the_file(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(f"/story {RAIL}", user_id=USER)
        fake.message(f"/ask {SUMMIT}", user_id=USER, chat_id=GROUP, chat_type="supergroup")
        answer = (await fake.wait_sent(2))[-1].result
        fake.press(answer, user_id=USER, data=buttons(answer)["👍"])
        await fake.wait_sent(1, "answerCallbackQuery")
    rows = state_rows(settings.state_file)
    assert rows["votes"]
    assert rows["questions"]
    assert any(kind == "chat" for kind, *_ in rows["data"])
    for table, table_rows in rows.items():
        for row in table_rows:
            for value in row:
                assert str(USER) not in str(value), table
                assert str(abs(GROUP)) not in str(value), table
    assert str(USER).encode() not in settings.state_file.read_bytes()


async def test_keep_questions_false_stores_counts_without_text(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path
) -> None:
    settings = bot_settings(fake, index_path, stories_dir, keep_questions=False)
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=USER)
        answer = (await fake.wait_sent(1))[0].result
        fake.press(answer, user_id=USER, data=buttons(answer)["👍"])
        await fake.wait_sent(1, "answerCallbackQuery")
    rows = state_rows(settings.state_file)
    (asked,) = rows["questions"]
    assert asked[4] is None  # the question's text
    assert asked[6] == 1  # answered
    assert rows["votes"][0][5] is None
    assert SUMMIT not in settings.state_file.read_bytes().decode("utf-8", "replace")


async def test_report_is_for_admins_and_counts_the_week(fake: FakeBotAPI, index_path: Path, stories_dir: Path) -> None:
    settings = bot_settings(fake, index_path, stories_dir, admin_user_ids=str(USER))
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=5)
        fake.message("what did the union say about pensions?", user_id=5)
        await fake.wait_sent(2)
        fake.message("/report", user_id=5)
        assert "Only the bot's admins" in (await fake.wait_sent(3))[2].result["text"]
        fake.message("/report", user_id=USER)
        text = (await fake.wait_sent(4))[3].result["text"]
    assert "Last 7 days" in text
    assert "third-trump-kim-summit: 1 asked, 100% answered" in text
    assert f"{RAIL}: 1 asked, 0% answered" in text
    assert "pensions" in text


# ---- a state file that fails: the bot answers all the same, and says so once ----


def _broken(kind: str, path: Path) -> tuple[StatePersistence, sqlite3.Connection | None]:
    """A store over a file that is locked, read-only, full or damaged while the bot serves."""
    healthy = StateDB(path)
    healthy.open()
    healthy.close()
    holder = None
    if kind == "locked":
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        db = StateDB(path, timeout=0.1)
    elif kind == "read-only":
        db = StateDB(path, read_only=True)  # as sqlite opens a file it may not write (this runs as root)
    elif kind == "full":
        db = StateDB(path)
        conn = db.connection()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        _fill(conn)
    else:
        db = StateDB(path)
    return StatePersistence(db, update_interval=0.2), holder


def _fill(conn: sqlite3.Connection) -> None:
    """Rows until not even a small one fits: every table's pages full, and no page more allowed."""
    filler = {
        "questions": "INSERT INTO questions VALUES (0, NULL, NULL, 'filler', ?, NULL, 0, NULL)",
        "data": "INSERT INTO data VALUES ('filler', lower(hex(randomblob(16))), ?, 0)",
        "votes": "INSERT INTO votes VALUES (lower(hex(randomblob(16))), 'x', NULL, 0, 'filler', ?, NULL, NULL, NULL,"
        " NULL, 1)",
    }
    for sql in filler.values():
        for size in (2000, 400, 60, 1):
            with pytest.raises(sqlite3.OperationalError, match="full"):  # noqa: PT012 - fills until full
                while True:
                    conn.execute(sql, ("x" * size,))


@pytest.mark.parametrize("kind", ["locked", "read-only", "full", "damaged"])
async def test_a_failing_state_file_is_one_line_and_every_question_answered(
    kind: str, fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store, holder = _broken(kind, settings.state_file)
    if kind == "full":
        store.db.close = lambda: None  # type: ignore[method-assign] # keep the page limit: stay full
    with caplog.at_level(logging.WARNING, "storybot.state"):
        async with running_bot(fake, settings, store=store):
            if kind == "damaged":
                settings.state_file.write_bytes(b"\x00garbage, not a database" * 512)
                for leftover in ("-wal", "-shm"):
                    Path(f"{settings.state_file}{leftover}").unlink(missing_ok=True)  # noqa: ASYNC240
                store.db.close()
            for n in range(1, 4):
                fake.message(f"/story {RAIL}" if n == 1 else SUMMIT, user_id=USER + n)
                answer = (await fake.wait_sent(n))[-1].result
                await fake.wait_for(lambda: "cannot" in caplog.text, within=10)
            fake.press(answer, user_id=USER, data=buttons(answer)["👍"])
            assert (await fake.wait_sent(1, "answerCallbackQuery"))[0].params["text"] == THANKS[1]
            fake.press(answer, user_id=USER)
            assert "<b>" in (await fake.wait_sent(1, "editMessageText"))[0].result["html"]
    if holder is not None:
        holder.rollback()
        holder.close()
    said = [m for r in caplog.records if r.name == "storybot.state" and (m := r.getMessage()).startswith("cannot")]
    assert len(said) == 1, said  # several writes failed, one line
    assert "answering from memory" in said[0]
    assert len(fake.sent("sendMessage")) == 3
    if kind != "damaged":
        rows = state_rows(settings.state_file)
        assert [r for r in rows["questions"] if r[3] != "filler"] == []  # nothing half-written
        assert [r for r in rows["data"] if r[0] != "filler"] == []


async def test_a_file_that_is_writable_again_gets_what_waited(
    fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store, holder = _broken("locked", settings.state_file)
    assert holder is not None
    async with running_bot(fake, settings, store=store):
        fake.message(SUMMIT, user_id=USER)
        await fake.wait_sent(1)
        await fake.wait_for(lambda: "locked" in caplog.text)
        holder.rollback()
        holder.close()
        await fake.wait_for(lambda: "written again" in caplog.text)
    assert len(state_rows(settings.state_file)["questions"]) == 1


async def test_serve_refuses_a_damaged_file_in_one_line(fake: FakeBotAPI, settings: Settings) -> None:
    from bot.errors import UsageError
    from bot.telegram.options import ServeOptions
    from bot.telegram.runner import serve

    settings.state_file.write_bytes(b"this is not an SQLite database at all" * 100)
    with pytest.raises(UsageError, match="move it aside") as caught:
        await serve(settings, ServeOptions(poll_timeout=0.5))
    assert "\n" not in str(caught.value)
    assert f"mv {settings.state_file} {settings.state_file}.broken" in str(caught.value)
    assert not fake.calls


async def test_a_chats_context_rides_through_restarts_and_new_clears_it(fake: FakeBotAPI, settings: Settings) -> None:
    """The conversation in chat_data goes through the real Application and the state file: a follow-up
    asked after a restart leans on the question asked before it, and /new ends that."""

    def stored() -> dict[str, object]:
        db = StateDB(settings.state_file)
        value: dict[str, object] = db.load("chat")[db.hash_id(USER) or ""]
        db.close()
        return value

    async with running_bot(fake, settings):
        fake.message("Was the rail strike called off?", user_id=USER)
        await fake.wait_sent(1)
    assert "conversation" in stored()
    async with running_bot(fake, settings):
        fake.message("Who announced it?", user_id=USER)
        follow_up = (await fake.wait_sent(2))[1].result["text"]
        fake.message("/new", user_id=USER)
        await fake.wait_sent(3)
    assert follow_up.startswith("↳ ")  # understood from the question asked before the restart
    assert "Priya Nandakumar" in follow_up
    assert "conversation" not in stored()
    async with running_bot(fake, settings):
        fake.message("Who announced it?", user_id=USER)
        alone = (await fake.wait_sent(4))[3].result["text"]
    assert not alone.startswith("↳ ")  # after /new there is nothing to lean on
    assert len(fake.sent("sendMessage")) == 4  # and no old message was answered again
