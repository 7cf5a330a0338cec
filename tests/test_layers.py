"""Dependencies point one way: bot/ uses index/, and index/ (the core) never reaches back or into the shell."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from tests.conftest import ROOT

SHELL = ("bot", "telegram", "httpx", "httpcore", "pydantic_settings", "argparse")


def test_no_core_module_imports_the_shell() -> None:
    for path in sorted((ROOT / "index").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in SHELL, f"{path.name} imports {name}"


def test_loading_every_core_module_loads_nothing_of_the_shell() -> None:
    modules = sorted(f"index.{p.stem}" for p in (ROOT / "index").glob("*.py") if p.stem != "__init__")
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
