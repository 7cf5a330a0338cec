"""Logging: one set-up for every command, and the bot token kept out of every line (messages, arguments,
exception texts and tracebacks)."""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

MASK = "<token>"
_log = logging.getLogger("storybot")


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks the token (and its secret half) wherever it appears."""

    def __init__(self, base: logging.Formatter | None, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._base = base or logging.Formatter()
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True))

    def format(self, record: logging.LogRecord) -> str:
        return redact(self._base.format(record), self._secrets)


class OneLineNetworkErrors(logging.Filter):
    """python-telegram-bot logs the network errors it handles itself (retried, or suppressed so a shutdown
    ends cleanly, e.g. its last getUpdates timing out) with their tracebacks: one line each, the error's type
    and text, is what an operator needs, and a traceback there reads like a crash."""

    def __init__(self, kind: type[BaseException]) -> None:
        super().__init__()
        self._kind = kind

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, self._kind) and record.name.startswith("telegram."):
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if len(secret) >= 6:  # an empty or tiny "secret" would mask everything
            text = text.replace(secret, MASK)
    return text


def secrets_of(token: str) -> tuple[str, ...]:
    """The token, and the part after the colon: alone it is the secret, and URLs may split it."""
    _, _, secret = token.partition(":")
    return (token, secret) if secret else (token,)


def configure(level: str) -> None:
    """Log lines to stderr at `level`; the HTTP and HTML libraries' chatter only when debugging."""
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # a request line per long poll is noise, except when debugging (the token in the URL is masked)
    http_level = logging.DEBUG if level == "DEBUG" else logging.WARNING
    logging.getLogger("httpx").setLevel(http_level)
    logging.getLogger("httpcore").setLevel(http_level)
    if level != "DEBUG":  # the HTML extractor warns about every page part it discards
        for noisy in ("trafilatura", "htmldate", "courlan"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


def install(token: str) -> None:
    """Wrap the formatter of every root handler (logging is set up by then) so none can print the token,
    and send what Python would print to stderr itself through them too: warnings, and the traceback of
    an exception nothing caught, in the main thread or another."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig()
    from telegram.error import NetworkError  # here, not at the top: the CLI's answer path never loads telegram

    for handler in root.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(handler.formatter, secrets_of(token)))
        if not any(isinstance(f, OneLineNetworkErrors) for f in handler.filters):
            handler.addFilter(OneLineNetworkErrors(NetworkError))
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    _log.critical("uncaught %s", kind.__name__, exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if issubclass(args.exc_type, SystemExit):  # as Python's own hook: a thread's exit is not an error
        return
    name = args.thread.name if args.thread else "a thread"
    _log.error("uncaught %s in %s", args.exc_type.__name__, name, exc_info=args.exc_value)
