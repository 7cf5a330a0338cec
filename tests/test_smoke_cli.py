"""The command end to end on the bundled story, as a user runs it: from a folder of their own, with no
settings of the developer's (`.env`, STORYBOT_ variables) in reach."""

from __future__ import annotations

import json
from pathlib import Path

from index.model import load
from tests.storybot_run import run


def test_where_is_the_third_summit(tmp_path: Path) -> None:
    r = run("ask", "--index", str(tmp_path / "index.json"), "--json", "where is the third summit?", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "in an unspecified time and place" in out["answers"][0]["sentence"]
    # answered when the fitted model is sure enough (semantic weights: the default settings)
    ranker = load().ranker(semantic=True)
    assert out["answered"] == (out["confidence"] >= ranker.min_confidence - 5e-5)
    assert out["answers"][0]["story"] == "third-trump-kim-summit"


def test_chat_reads_piped_questions(tmp_path: Path) -> None:
    r = run("chat", "--index", str(tmp_path / "i.json"), stdin="where is the third summit?\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "unspecified time and place" in r.stdout
    assert "¶1" in r.stdout


def test_a_developers_env_file_is_not_read_by_the_tests(tmp_path: Path) -> None:
    """The tests run in a folder of their own: a `.env` there is the only one a command could see."""
    (tmp_path / ".env").write_text("STORYBOT_LOG_LEVEL=LOUD\n", encoding="utf-8")
    assert run("ask", "--index", str(tmp_path / "i.json"), "x", cwd=tmp_path).returncode == 2
    assert run("ask", "--index", str(tmp_path / "i.json"), "x", cwd=tmp_path.parent).returncode == 0


def test_index_leaves_the_model_ready_to_load_beside_it(tmp_path: Path) -> None:
    import shutil

    from index.embed import CACHE_DIR

    index = tmp_path / "data" / "index.json"
    assert run("index", "--index", str(index), cwd=tmp_path).returncode == 0
    cache = index.parent / CACHE_DIR
    assert len(list(cache.iterdir())) == 2  # the sentences' side, which built it, and the questions'
    ask = ("ask", "--index", str(index), "--json", "Who wrote to the news organizations?")
    from_cache = run(*ask, cwd=tmp_path)
    assert len(list(cache.iterdir())) == 2  # asking found the questions' side ready
    shutil.rmtree(cache)
    from_package = run(*ask, cwd=tmp_path)  # read from the package again, which writes the copy anew
    assert from_cache.returncode == from_package.returncode == 0, from_package.stderr
    assert json.loads(from_cache.stdout) == json.loads(from_package.stdout)
    assert len(list(cache.iterdir())) == 1  # answering needs only the questions' side
