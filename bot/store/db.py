"""The state file: one SQLite database (WAL mode) holding chat and user state, questions and votes.

Reader ids never reach the file: chats and users are stored as keyed hashes (HMAC-SHA256 under a
secret from the settings, or one generated into the file when it is created). Every write is one
transaction, so a failure leaves the file as it was. The caller decides what a failure means: the bot
logs it and goes on from memory; `storybot serve` refuses a corrupt file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.errors import UsageError
from bot.store.records import Asked, Vote

SCHEMA_VERSION = 1
HASHES_KEPT = 100_000  # ids whose keyed hash is remembered (about 10 MB); then they are hashed afresh
# MIGRATIONS[n] takes a file from schema version n to n + 1; an empty file is version 0.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE data (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated REAL NOT NULL,"
        " PRIMARY KEY (kind, key)) WITHOUT ROWID",
        "CREATE TABLE questions (at REAL NOT NULL, chat TEXT, user TEXT, story TEXT, question TEXT,"
        " understood TEXT, answered INTEGER NOT NULL, confidence REAL)",
        "CREATE INDEX questions_at ON questions (at)",
        "CREATE TABLE votes (user TEXT NOT NULL, answer TEXT NOT NULL, chat TEXT, at REAL NOT NULL, story TEXT,"
        " question TEXT, understood TEXT, sentence_id TEXT, sentence TEXT, confidence REAL, verdict INTEGER NOT NULL,"
        " PRIMARY KEY (user, answer))",
        "CREATE INDEX votes_at ON votes (at)",
    ),
)
if len(MIGRATIONS) != SCHEMA_VERSION:
    raise RuntimeError("every schema version needs its migration")

# sqlite's primary result codes (the low byte of an extended code)
_BUSY, _LOCKED, _READONLY, _FULL, _CORRUPT, _NOTADB, _CANTOPEN, _IOERR, _PERM = 5, 6, 8, 13, 11, 26, 14, 10, 3


class CorruptStateError(UsageError):
    """The state file is not a usable SQLite database."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the state file {path} is damaged ({detail}): move it aside (mv {path} {path}.broken) "
            "and start again; a fresh one is made"
        )


class NewerStateError(UsageError):
    def __init__(self, path: Path, version: int) -> None:
        super().__init__(
            f"the state file {path} has schema version {version}, newer than this storybot's {SCHEMA_VERSION}: "
            "upgrade storybot, or point STORYBOT_STATE_PATH at another file"
        )


def is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and _code(exc) in (_CORRUPT, _NOTADB)


def describe(exc: BaseException) -> str:
    """What went wrong with the state file, in words (never a traceback)."""
    if not isinstance(exc, sqlite3.Error):
        return str(exc)
    return {
        _BUSY: "it is locked by another process",
        _LOCKED: "it is locked by another process",
        _READONLY: "it is read-only",
        _FULL: "the database or the disk is full",
        _CORRUPT: "it is damaged",
        _NOTADB: "it is not an SQLite database",
        _CANTOPEN: "it cannot be opened",
        _IOERR: "a disk read or write failed",
        _PERM: "permission denied",
    }.get(_code(exc), str(exc))


def _code(exc: BaseException) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else -1


@dataclass
class Batch:
    """Writes gathered between two flushes, written in one transaction."""

    data: dict[tuple[str, int], str | None] = field(default_factory=dict)  # (kind, id) -> JSON, None: delete
    asked: list[Asked] = field(default_factory=list)
    votes: dict[tuple[int | None, str], Vote] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.data or self.asked or self.votes)

    def under(self, newer: Batch) -> Batch:
        """This (older, unwritten) batch with `newer` on top: the newer value of a key wins."""
        return Batch({**self.data, **newer.data}, [*self.asked, *newer.asked], {**self.votes, **newer.votes})


class StateDB:
    """The state file. Thread-safe: the bot writes from a worker thread while the loop reads."""

    def __init__(
        self,
        path: Path,
        secret: str | None = None,
        keep_questions: bool = True,
        timeout: float = 1.0,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.read_only = read_only  # as sqlite opens a file it may not write; `storybot report` reads only
        self.keep_questions = keep_questions
        self.timeout = timeout
        self._given_secret = secret.encode() if secret else None
        self._secret: bytes | None = self._given_secret
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._hashes: tuple[bytes | None, dict[int, str]] = (None, {})  # the ids hashed under that secret

    # ---- opening ----

    def open(self) -> None:
        """Open (creating and migrating as needed). Raises CorruptStateError for a damaged file,
        NewerStateError for a newer schema, sqlite3.Error for a locked, read-only or full one."""
        with self._lock:
            if self._conn is not None:
                return
            if self.read_only:
                target, uri = f"file:{quote(str(self.path.resolve()))}?mode=ro", True
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                target, uri = str(self.path), False
            conn = sqlite3.connect(
                target, timeout=self.timeout, isolation_level=None, check_same_thread=False, uri=uri
            )
            try:
                self._prepare(conn)
            except BaseException as exc:
                conn.close()
                if is_corrupt(exc):
                    raise CorruptStateError(self.path, describe(exc)) from None
                raise
            self._conn = conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])  # reads the header: finds garbage
        if version > SCHEMA_VERSION:
            raise NewerStateError(self.path, version)
        check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if check != "ok":
            raise CorruptStateError(self.path, str(check))
        if version < SCHEMA_VERSION:
            self._migrate(conn, version)
        with contextlib.suppress(sqlite3.OperationalError):  # read-only: reading works all the same
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL's safe setting: a crash loses no committed transaction
        if self._given_secret is None:
            row = conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            self._secret = bytes.fromhex(row[0])

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for steps in MIGRATIONS[version:]:
                for statement in steps:
                    conn.execute(statement)
            if version == 0:
                conn.execute("INSERT INTO meta VALUES ('secret', ?)", (secrets.token_hex(32),))
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def connection(self) -> sqlite3.Connection:
        """The open connection (opening it if it is not): for the tests' fault injection and for reads."""
        self.open()
        if self._conn is None:
            raise sqlite3.OperationalError("the state file is closed")
        return self._conn

    # ---- ids ----

    def hash_id(self, value: int | None) -> str | None:
        """A chat's or user's id as stored: a keyed hash, the same for the same id under the same secret."""
        if value is None:
            return None
        if self._secret is None:
            self.open()
        secret = self._secret
        if secret is None:
            raise sqlite3.OperationalError("the state file holds no secret")
        # remembered: every question recorded hashes its chat and user, and the same chats keep asking
        known = self._hashes if self._hashes[0] == secret else (secret, {})
        self._hashes = known
        hashed = known[1].get(value)
        if hashed is None:
            if len(known[1]) >= HASHES_KEPT:
                known[1].clear()
            hashed = known[1][value] = hmac.new(secret, str(value).encode(), hashlib.sha256).hexdigest()[:32]
        return hashed

    # ---- the bot's state ----

    def load(self, kind: str) -> dict[str, Any]:
        """Every stored value of `kind` ('chat', 'user', ...), by hashed id; a value that is not JSON is skipped."""
        with self._lock:
            rows = self.connection().execute("SELECT key, value FROM data WHERE kind = ?", (kind,)).fetchall()
        out: dict[str, Any] = {}
        for key, value in rows:
            try:
                out[key] = json.loads(value)
            except ValueError:
                continue
        return out

    def write(self, batch: Batch) -> None:
        """Everything in `batch`, in one transaction: all of it is written or none."""
        now = time.time()
        with self._lock:
            conn = self.connection()
            h = self.hash_id
            keep = self.keep_questions
            conn.execute("BEGIN IMMEDIATE")
            try:
                keyed = [
                    (kind, h(ident) if kind in ("chat", "user") else str(ident), value)
                    for (kind, ident), value in batch.data.items()
                ]
                conn.executemany(
                    "DELETE FROM data WHERE kind = ? AND key = ?", [(k, key) for k, key, v in keyed if v is None]
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO data VALUES (?, ?, ?, ?)",
                    [(k, key, v, now) for k, key, v in keyed if v is not None],
                )
                conn.executemany(
                    "INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (a.at, h(a.chat_id), h(a.user_id), a.story, _kept(a.question, keep), _kept(a.understood, keep),
                         int(a.answered), a.confidence)
                        for a in batch.asked
                    ],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (h(v.user_id) or "", v.answer_id, h(v.chat_id), v.at, v.story, _kept(v.question, keep),
                         _kept(v.understood, keep), v.sentence_id, v.sentence, v.confidence, v.verdict)
                        for v in batch.votes.values()
                    ],
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # ---- the editors' side ----

    def forget_chat(self, chat_id: int) -> int:
        """Delete every row of a chat (a private chat's id is its user's: their rows go too); rows deleted."""
        key = self.hash_id(chat_id)
        with self._lock:
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                deleted = 0
                for sql, args in (
                    ("DELETE FROM data WHERE kind IN ('chat', 'user') AND key = ?", (key,)),
                    ("DELETE FROM questions WHERE chat = ? OR user = ?", (key, key)),
                    ("DELETE FROM votes WHERE chat = ? OR user = ?", (key, key)),
                ):
                    deleted += conn.execute(sql, args).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return deleted

    def asked_since(self, since: float, story: str | None = None) -> list[Asked]:
        rows = self._select(
            "SELECT at, story, question, understood, answered, confidence FROM questions WHERE at >= ?", since, story
        )
        return [Asked(r[0], None, None, r[1], r[2] or "", r[3] or "", bool(r[4]), r[5]) for r in rows]

    def votes_since(self, since: float, story: str | None = None) -> list[Vote]:
        rows = self._select(
            "SELECT at, answer, story, question, understood, sentence_id, sentence, confidence, verdict"
            " FROM votes WHERE at >= ?",
            since,
            story,
        )
        return [
            Vote(r[0], None, None, r[1], r[2], r[3] or "", r[4] or "", r[5] or "", r[6] or "", r[7], int(r[8]))
            for r in rows
        ]

    def _select(self, sql: str, since: float, story: str | None) -> list[tuple[Any, ...]]:
        args: list[Any] = [since]
        if story is not None:
            sql += " AND story = ?"
            args.append(story)
        with self._lock:
            return list(self.connection().execute(sql + " ORDER BY at", args).fetchall())


def _kept(text: str, keep: bool) -> str | None:
    return text if keep else None


def check_usable(path: Path, secret: str | None = None) -> None:
    """Raise CorruptStateError or NewerStateError if the file at `path` cannot serve; anything else
    (locked, read-only, full) the bot lives with."""
    if not path.exists():
        return
    db = StateDB(path, secret)
    try:
        db.open()
    except (CorruptStateError, NewerStateError):
        raise
    except (sqlite3.Error, OSError):
        return
    finally:
        db.close()


def to_json(value: Any) -> str:
    """A stored value's text. JSON only: a value JSON cannot hold is a TypeError, never a pickle."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
