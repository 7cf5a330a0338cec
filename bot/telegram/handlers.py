"""The Telegram handlers: each a few lines over Replies and the shared answer service.

A quick answer is worked out on the event loop, a slow one in a thread that shows "typing" while it
lasts (bot/telegram/progress.py measures which is which); the index rebuild, which takes seconds,
always runs in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import sqlite3
import time
from collections.abc import MutableMapping
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import heap
from bot.store.records import Asked, Vote
from bot.store.report import REPORT_DAYS, build_report, short_report
from bot.telegram import conversation
from bot.telegram.limits import Verdict
from bot.telegram.pages import ChatPages
from bot.telegram.render import cap_lines, source_html, stories_html, text_html
from bot.telegram.replies import BAD, EXPIRED, GOOD, THANKS, Reply, addressed_question
from bot.telegram.sending import keyboard, reply_html
from bot.telegram.state import BotState, Context, state
from index.dialogue import recent_turns, remember
from index.service import AnswerService, Exchange, UnknownStoryError
from index.text import plural

log = logging.getLogger("storybot.telegram")

EXAMPLE = "where is the third summit?"
SLOW_DOWN = "You're asking faster than I can keep up. Please wait a minute before the next question."
HELP = (
    "Ask me a question about the news stories I hold and I reply with the passage that answers it, "
    "the key sentence in bold, and where it comes from. If the story doesn't say, I tell you so.\n\n"
    "In groups: /ask question, mention me, or reply to one of my messages.\n"
    "Inline, in any chat: type my @name and a question.\n"
    "/stories lists the stories, /story ID asks about one (/story all: every story), "
    "/source shows where the story comes from, and More under an answer shows the next passage. "
    "👍 or 👎 under an answer tells the story's editors whether it helped.\n\n"
    'Follow-up questions ("who said so?", "and the second one?") lean on the questions before them; '
    "/new starts afresh. In groups, reply to one of my answers to follow it up."
)
NEW = "New conversation: follow-up questions start afresh."
STORY_KEY = "story"  # where in chat_data the chat's chosen story is


async def reload_index(service: AnswerService) -> str:
    """Rebuild the index in a thread and swap it in; the old one stays if that fails."""
    try:
        report = await asyncio.to_thread(service.reload, True)
    except Exception as exc:  # any failure keeps the old index; say which
        log.warning("reload failed, keeping the old index: %s", exc)
        return f"Reload failed, the old index stays: {exc}"
    heap.settle()
    count = len(report.stories) if report else len(service.stories())
    log.info("reloaded the index: %s", plural(count, "story"))
    return f"Reloaded: {plural(count, 'story')}."


# ---- handlers: each a few lines over Replies and the service ----


async def gate(update: Update, context: Context) -> None:
    """Drop updates from chats outside STORYBOT_ALLOWED_CHAT_IDS (installed only when it is set)."""
    chat = update.effective_chat
    place = chat.id if chat else (update.effective_user.id if update.effective_user else None)
    if place not in state(context).settings.allowed_chat_ids:
        raise ApplicationHandlerStop


async def start(update: Update, context: Context) -> None:
    """Greet, with an example question."""
    await _send(update, Reply(f"Hello! Ask me about the news stories I hold, for example:\n<i>{EXAMPLE}</i>"))


async def help_(update: Update, context: Context) -> None:
    """Explain how to ask."""
    await _send(update, Reply(text_html(HELP)))


async def ask(update: Update, context: Context) -> None:
    """/ask question: the way to ask in groups (and works in private too)."""
    question = " ".join(context.args or [])
    if not question:
        await _send(update, Reply(f"Ask like this: <code>/ask {EXAMPLE}</code>"))
        return
    await answer_question(update, context, question)


async def private_text(update: Update, context: Context) -> None:
    """In a private chat every text is a question (but not an answer of ours sent inline into it)."""
    message = update.effective_message
    if message and message.text and not (message.via_bot and message.via_bot.id == context.bot.id):
        await answer_question(update, context, message.text)


async def group_text(update: Update, context: Context) -> None:
    """In a group, answer only a message that mentions the bot or replies to it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    replied = message.reply_to_message
    to_bot = bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
    question = addressed_question(message.text, context.bot.username or "", to_bot)
    if question:
        await answer_question(update, context, question)


async def new(update: Update, context: Context) -> None:
    """/new: forget this chat's conversation (in a group, the asker's); in a private chat its buttons expire."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or context.chat_data is None:
        return
    s = state(context)
    async with s.chat_locks.hold(chat.id):
        private = chat.type == "private"
        conversation.forget(context.chat_data, private, asker_key(s, user.id if user else None))
        if private:  # the chat's buttons were all the asker's: they expire with the conversation
            ChatPages.of(context.chat_data).store.clear()
    await _send(update, Reply(text_html(NEW)))


async def stories(update: Update, context: Context) -> None:
    """List the stories."""
    await _send(update, Reply(stories_html(state(context).service.stories())))


async def story(update: Update, context: Context) -> None:
    """/story ID scopes this chat to one story; /story all resets."""
    s, chat, wanted = state(context), update.effective_chat, " ".join(context.args or [])
    if chat is None or context.chat_data is None:
        return
    before = chosen_story(context.chat_data)
    said = choose_story(s, context.chat_data, wanted)
    if chosen_story(context.chat_data) != before:
        conversation.forget_all(context.chat_data)  # a new story: the conversations about the old one end
    await _send(update, Reply(text_html(said)))


async def source(update: Update, context: Context) -> None:
    """Title, source and size of this chat's story, or of every story."""
    s = state(context)
    current = chosen_story(context.chat_data)
    infos = [s.service.story(current)] if current in s.service.corpus.stories else s.service.stories()
    await _send(update, Reply(cap_lines([source_html(i) + "\n" for i in infos]).strip()))


async def reload(update: Update, context: Context) -> None:
    """Admins only: rebuild the index from the stories folder and swap it in."""
    s, user = state(context), update.effective_user
    if user is None or user.id not in s.settings.admin_user_ids:
        await _send(update, Reply("Only the bot's admins can reload the stories."))
        return
    await _send(update, Reply(text_html(await reload_index(s.service))))


async def more(update: Update, context: Context) -> None:
    """The "More" button: acknowledge, then edit the message to the next passage."""
    query, s = update.callback_query, state(context)
    if query is None:
        return
    async with s.button_locks.hold(query.data or ""):  # else two quick presses page to the same passage
        pages = ChatPages.of(context.chat_data)
        found = s.replies.page(query.data or "", pages)
        if found is None:
            await query.answer(EXPIRED)
            return
        key, page = found
        hit = await s.offloader.run(lambda: s.replies.next_hit(page), _no_sign, s.service.loaded)
        result = s.replies.more_reply(key, page, hit, pages)
        if isinstance(result, str):
            await query.answer(result)
            return
        await query.answer()
        await _edit_or_send(query.message if isinstance(query.message, Message) else None, update, result)


async def vote(update: Update, context: Context) -> None:
    """👍 or 👎 under an answer: recorded once per reader and answer (a second press changes the vote)."""
    query, s = update.callback_query, state(context)
    if query is None:
        return
    verdict = (query.data or "").partition(":")[0]
    found = s.replies.page(query.data or "", ChatPages.of(context.chat_data))
    if found is None:
        await query.answer(EXPIRED)
        return
    (key, page), chat = found, update.effective_chat
    value = 1 if verdict == "good" else -1
    s.store.voted(
        Vote(
            time.time(),
            chat.id if chat else None,
            query.from_user.id,
            f"{key}.{page.step}",  # the answer, or the passage "More" showed after it: each its own vote
            page.story,
            page.question,
            page.understood,
            page.sentence_id,
            page.sentence,
            page.confidence,
            value,
        )
    )
    await query.answer(THANKS[value])


async def report(update: Update, context: Context) -> None:
    """Admins only: what readers asked in the last week, per story, in short."""
    s, user = state(context), update.effective_user
    if user is None or user.id not in s.settings.admin_user_ids:
        await _send(update, Reply("Only the bot's admins can see the report."))
        return
    await s.store.write_now()  # the report counts what was recorded up to now
    since = time.time() - REPORT_DAYS * 86_400
    try:
        text = short_report(await asyncio.to_thread(build_report, s.store.db, since))
    except Exception as exc:  # the state file unreadable: say so, the bot goes on
        log.warning("cannot read the report: %s", exc)
        text = f"Cannot read the report now: {exc}"
    await _send(update, Reply(text_html(text)))


async def stale_button(update: Update, context: Context) -> None:
    """Any other button (from an older version of the bot): acknowledge it politely."""
    if update.callback_query:
        await update.callback_query.answer(EXPIRED)


async def inline(update: Update, context: Context) -> None:
    """Inline mode: up to five passages, each with its citation."""
    query, s = update.inline_query, state(context)
    if query is None:
        return
    if s.inline_limit.check(query.from_user.id, time.monotonic()) is not Verdict.ALLOW:
        await query.answer([], cache_time=0)  # nothing to show until the minute is over
        return
    items = await s.offloader.run(lambda: s.replies.inline(query.query), _no_sign, s.service.loaded)
    results = [
        InlineQueryResultArticle(
            i.id, i.title, InputTextMessageContent(i.html, parse_mode=ParseMode.HTML), description=i.description
        )
        for i in items
    ]
    await query.answer(results, cache_time=60)


async def on_error(update: object, context: Context) -> None:
    """Log a handler's failure; the user's next question is unaffected. Telegram refusing or not
    answering a call (a user who blocked the bot, a send that timed out) is one line, not a bug's traceback."""
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    where = f" in chat {chat.id}" if chat else ""
    if isinstance(error, TelegramError):
        log.warning("could not answer an update%s: %s", where, error)
    else:
        log.error("error while handling an update%s: %s", where, error, exc_info=error)


# ---- the shared steps ----


async def answer_question(update: Update, context: Context, question: str) -> None:
    s, chat, user = state(context), update.effective_chat, update.effective_user
    if chat is None:
        return
    verdict = s.limit.check(user.id, time.monotonic()) if user else Verdict.ALLOW
    if verdict is not Verdict.ALLOW:
        if verdict is Verdict.NOTIFY:
            await _send(update, Reply(text_html(SLOW_DOWN)))
        return
    async with s.chat_locks.hold(chat.id):
        scope = chosen_story(context.chat_data)
        private = chat.type == "private"
        data = context.chat_data if context.chat_data is not None else {}
        message = update.effective_message
        replied = message.reply_to_message if message else None
        to_bot = (
            replied.message_id if replied and replied.from_user and replied.from_user.id == context.bot.id else None
        )
        now = time.time()
        asker = None if private else asker_key(s, user.id if user else None)  # only a group keys by asker
        earlier = conversation.current(data, private, asker, to_bot)
        turns = recent_turns(earlier, now, s.settings.context_minutes * 60)

        def work() -> tuple[str | None, Exchange]:  # maybe in a thread: reads the index, touches no bot state
            try:
                return scope, s.replies.converse(question, scope, turns)
            except UnknownStoryError:  # the chat's story left the index: ask them all
                return None, s.replies.converse(question, None, [])

        story, exchange = await s.offloader.run(work, lambda: _typing(context, chat.id), s.service.loaded)
        if story != scope:
            data.pop(STORY_KEY, None)
            conversation.forget_all(data)
        reply = s.replies.reply(question, story, exchange.answer, ChatPages.of(context.chat_data), exchange.understood)
        sent = await _send(update, reply)
        kept = remember(earlier if turns else None, exchange.turn, now, story)
        conversation.store(data, private, asker, kept, sent)
    answer = exchange.answer
    best = answer.best
    s.store.asked(
        Asked(
            time.time(),
            chat.id,
            user.id if user else None,
            best.passage.story_id if best is not None else story,  # unanswered: the nearest passage's story
            question,
            exchange.understood,
            answer.answered,
            answer.confidence,
        )
    )


def asker_key(s: BotState, user_id: int | None) -> str | None:
    """Who asked, as a group's conversations are keyed: the state file's keyed hash of the user id, so no
    raw id is stored; keyed by the bot token instead while that file cannot be read."""
    if user_id is None:
        return None
    try:
        return s.store.db.hash_id(user_id)
    except (sqlite3.Error, OSError):
        token = s.settings.telegram_bot_token.get_secret_value() if s.settings.telegram_bot_token else ""
        return hmac.new(token.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def chosen_story(chat_data: MutableMapping[Any, Any] | None) -> str | None:
    value = chat_data.get(STORY_KEY) if chat_data is not None else None
    return value if isinstance(value, str) else None


def choose_story(s: BotState, chat_data: MutableMapping[Any, Any], wanted: str) -> str:
    if not wanted:
        current = chosen_story(chat_data)
        return f"Asking about: {current or 'all stories'}. Use /story ID or /story all (/stories lists the IDs)."
    if wanted.lower() == "all":
        chat_data.pop(STORY_KEY, None)
        return "Now asking about all stories."
    try:
        info = s.service.story(wanted)
    except UnknownStoryError:
        return f"There's no story {wanted!r}. /stories lists them."
    chat_data[STORY_KEY] = info.id
    return f"Now asking about: {info.title}"


async def _no_sign() -> None:
    """A button press shows its own progress in the app, and an inline query has no chat to type in."""


async def _typing(context: Context, chat_id: int) -> None:
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:  # the indicator is a courtesy; the answer matters
        log.info("typing action failed: %s", exc)


def _buttons(reply: Reply) -> list[list[tuple[str, str]]]:
    """The reply's buttons as (label, callback data): More, then 👍 and 👎 under an answer."""
    row = [reply.button] if reply.button else []
    if reply.answer_key is not None:
        row += [(GOOD, f"good:{reply.answer_key}"), (BAD, f"bad:{reply.answer_key}")]
    return [row]


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in _buttons(reply) if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def _send(update: Update, reply: Reply) -> int | None:
    """The reply to the update's message (quoting it in a group); the id of the message sent."""
    message = update.effective_message
    if message is None:
        return None
    return await reply_html(message, reply.html, keyboard(_buttons(reply)), quote=message.chat.type != "private")


async def _edit_or_send(message: Message | None, update: Update, reply: Reply) -> None:
    if message is not None:
        try:
            await message.edit_text(reply.html, parse_mode=ParseMode.HTML, reply_markup=_markup(reply))
            return
        except BadRequest as exc:  # too old to edit, or deleted: send it anew
            log.info("could not edit, sending anew: %s", exc)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(reply.html, parse_mode=ParseMode.HTML, reply_markup=_markup(reply))
