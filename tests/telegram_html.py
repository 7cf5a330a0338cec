"""A checker for the HTML subset Telegram accepts, used by the formatting and end-to-end tests."""

from __future__ import annotations

import re

ALLOWED_TAGS = {"b", "i", "code"}
_TOKEN = re.compile(r"<(/?)([a-z]+)>|&(lt|gt|amp|quot);|([<>&])")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_telegram_html(text: str) -> str:
    """Raise AssertionError unless `text` is valid Telegram HTML within 4,096 units; return its plain text."""
    text.encode("utf-8")  # lone surrogates cannot be sent
    assert "\x00" not in text
    assert utf16_len(text) <= 4096, utf16_len(text)
    stack: list[str] = []
    plain: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        plain.append(text[pos : m.start()])
        pos = m.end()
        closing, tag, entity, bare = m.groups()
        if bare:
            raise AssertionError(
                f"unescaped {bare!r} at {m.start()} in {text[max(0, m.start() - 20) : m.end() + 20]!r}"
            )
        if entity:
            plain.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[entity])
            continue
        assert tag in ALLOWED_TAGS, tag
        if closing:
            assert stack, f"unbalanced </{tag}>"
            assert stack[-1] == tag, f"unbalanced </{tag}>"
            stack.pop()
        else:
            assert tag not in stack, f"nested <{tag}>"
            stack.append(tag)
    assert not stack, f"unclosed {stack}"
    plain.append(text[pos:])
    return "".join(plain)
