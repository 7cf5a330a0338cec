"""The house's import rules, all in one place.

- index/ is the core: it never imports the shell (bot/, telegram, httpx, settings, argparse).
- bot/config.py, bot/errors.py, bot/logs.py and bot/store/ are shared by both rooms and import neither.
- bot/telegram/ never imports bot/cli/.
- bot/cli/ reaches bot/telegram/ only from inside `storybot serve`'s function, so that every other
  command starts without the Telegram stack.
- No module-level import cycle anywhere in bot/ and index/.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

SHELL = ("bot", "telegram", "httpx", "httpcore", "pydantic_settings", "argparse")
SHARED = ("bot.config", "bot.errors", "bot.logs", "bot.store")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    name: str  # what it imports, dotted (a `from X import y` counts as X and X.y)
    top_level: bool  # at module level (not in a function, not only for type checking)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _deferred(node: ast.AST) -> bool:
    """Imports inside a function run when it is called; under TYPE_CHECKING, never."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return True
    return isinstance(node, ast.If) and _type_checking_only(node)


def _imports(path: Path, module: str = "") -> Iterator[Import]:
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST, top: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, top)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                yield Import(module, base, top)
                for alias in child.names:
                    yield Import(module, f"{base}.{alias.name}", top)
            elif _deferred(child):
                yield from walk(child, False)
            else:
                yield from walk(child, top)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), True)


def _all_imports(*rooms: str) -> list[Import]:
    return [imp for room in rooms for path in sorted((ROOT / room).rglob("*.py")) for imp in _imports(path)]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_core_imports_nothing_of_the_shell() -> None:
    for imp in _all_imports("index"):
        assert imp.name.split(".")[0] not in SHELL, f"{imp.module} imports {imp.name}"


def test_the_shared_shell_modules_import_neither_room() -> None:
    for imp in _all_imports("bot"):
        if any(_within(imp.module, shared) for shared in SHARED):
            assert not _within(imp.name, "bot.cli"), f"{imp.module} imports {imp.name}"
            assert not _within(imp.name, "bot.telegram"), f"{imp.module} imports {imp.name}"


def test_telegram_never_imports_the_command_line() -> None:
    for imp in _all_imports("bot/telegram"):
        assert not _within(imp.name, "bot.cli"), f"{imp.module} imports {imp.name}"


def test_the_command_line_reaches_telegram_only_inside_serve() -> None:
    for imp in _all_imports("bot/cli"):
        if _within(imp.name, "bot.telegram"):
            assert imp.module == "bot.cli.serve", f"{imp.module} imports {imp.name}"
            assert not imp.top_level, f"{imp.module} imports {imp.name} at module level"


def test_no_module_level_import_cycle() -> None:
    ours = {_module_name(p) for room in ("bot", "index") for p in (ROOT / room).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in ours}
    for imp in _all_imports("bot", "index"):
        # a package's __init__ importing its own submodule is how a package is made, not a cycle
        if imp.top_level and imp.name in ours and not _within(imp.name, imp.module):
            graph[imp.module].add(imp.name)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """The walker sees imports wherever they hide: in functions, in TYPE_CHECKING, relative ones."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\nimport os\nif TYPE_CHECKING:\n    import bot.cli\n"
        "def f():\n    from bot.telegram import app\n",
        encoding="utf-8",
    )
    found = {(i.name, i.top_level) for i in _imports(sample, "sample") if not i.name.startswith("typing")}
    assert ("os", True) in found
    assert ("bot.cli", False) in found
    assert ("bot.telegram.app", False) in found


def test_loading_every_core_module_loads_nothing_of_the_shell() -> None:
    modules = sorted(
        _module_name(p) for p in (ROOT / "index").rglob("*.py") if p.stem != "__init__" and p.parent.name == "index"
    )
    code = (
        f"import importlib, json, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    loaded = {m.split(".")[0] for m in json.loads(done.stdout)}
    assert "index" in loaded
    assert not loaded & {"bot", "telegram", "httpx", "httpcore", "pydantic_settings"}
    # the answer model is fitted with scikit-learn (tools/fit_answer.py); answering reads its JSON only
    assert not loaded & {"sklearn", "scipy", "torch"}
