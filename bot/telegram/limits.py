"""Bounded per-user state: the questions-per-minute limit and per-key locks."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A dict that forgets its least recently used entries past `capacity`."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first question past the limit: tell the user once
    SILENT = "silent"


@dataclass(slots=True)
class _Window:
    start: float
    count: int = 0


class UserRateLimit:
    """At most `per_minute` questions per user in a fixed one-minute window; 0 means no limit.

    Users seen longest ago are forgotten past `capacity`: a forgotten user starts a fresh window,
    which errs on the side of answering."""

    def __init__(self, per_minute: int, capacity: int = 10_000, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._users: LRU[int, _Window] = LRU(capacity)

    def check(self, user_id: int, now: float) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.ALLOW
        state = self._users.get(user_id)
        if state is None or now - state.start >= self.window:
            state = _Window(now)
            self._users.put(user_id, state)
        state.count += 1
        if state.count <= self.per_minute:
            return Verdict.ALLOW
        return Verdict.NOTIFY if state.count == self.per_minute + 1 else Verdict.SILENT

    def __len__(self) -> int:
        return len(self._users)


class KeyedLock(Generic[K]):
    """A lock per key that exists only while someone holds or awaits it, so memory follows the work in flight."""

    def __init__(self) -> None:
        self._locks: dict[K, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
