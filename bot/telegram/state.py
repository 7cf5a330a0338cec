"""What the Telegram handlers share: the answer service, the state file, and the bounded per-user limits.
A chat's own state (its story, the answers its buttons point at) lives in its chat_data."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.telegram.limits import KeyedLock, UserRateLimit
from bot.telegram.persistence import StatePersistence
from bot.telegram.progress import Offloader
from bot.telegram.replies import Replies
from index.service import AnswerService

Context = ContextTypes.DEFAULT_TYPE


@dataclass
class BotState:
    """What the handlers share: the answer service and the bounded per-user state."""

    settings: Settings
    service: AnswerService
    replies: Replies
    limit: UserRateLimit
    inline_limit: UserRateLimit  # a separate, larger budget: an inline query comes with each keystroke
    store: StatePersistence  # the chats' state, and the questions and votes for the editors' report
    chat_locks: KeyedLock[int] = field(default_factory=KeyedLock)  # one chat's answers go out in order
    button_locks: KeyedLock[str] = field(default_factory=KeyedLock)  # presses of one button take turns
    offloader: Offloader = field(default_factory=Offloader)


def state(context: Context) -> BotState:
    value: BotState = context.bot_data["storybot"]
    return value
