"""Sentence embeddings in the index: stored compactly per story, read back, and used as candidates.

The real model is tested in tests/test_embed.py; here a tiny stand-in that maps words to concepts
(so "walkout" means "strike") checks the plumbing: storage, the embedder's name, and candidates found
by meaning when they share no word with the question."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.build import build, build_and_save
from index.corpus import Corpus
from index.features import FEATURES, SEMANTIC, featurize
from index.question import parse
from index.store import VERSION, IndexFileError, load

STORY = """Rail strike called off

The union called off the strike on Sunday after the railway agreed to raise wages by 6 percent.
The walkout would have halted trains for 210,000 daily riders.

Talks went on through the night at the labour ministry.
"""
CONCEPTS = {"walkout": "strike", "averted": "off", "called": "off", "money": "wages", "more": "raise"}
DIMENSIONS = 32


class Concepts:
    """Unit vectors of hashed concepts: a stand-in embedder, deterministic and instant."""

    version = "concepts-1"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for n, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace("?", " ").split():
                if len(word) > 3:
                    out[n, zlib.crc32(CONCEPTS.get(word, word).encode()) % DIMENSIONS] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


@pytest.fixture
def stories(tmp_path: Path) -> Path:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "rail.txt").write_text(STORY, encoding="utf-8")
    return folder


def test_embeddings_are_stored_as_float16_per_story_and_read_back(stories: Path, tmp_path: Path) -> None:
    path = tmp_path / "index.json"
    build_and_save(stories, path, embedder=Concepts())
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["version"] == VERSION
    assert (raw["embedder"], raw["dimensions"]) == ("concepts-1", DIMENSIONS)
    assert isinstance(raw["stories"][0]["embeddings"], str)  # base64, not a list of numbers
    corpus = Corpus.open(path)
    assert corpus.embedder == "concepts-1"
    assert corpus.embeddings is not None
    texts = [s.text for p in corpus.passages for s in p.sentences]
    expected = Concepts().embed(texts)
    assert corpus.embeddings.shape == expected.shape
    assert np.abs(corpus.embeddings.matrix() - expected).max() < 1e-3  # float16 keeps three digits
    # the file is standard base64 (as before pydantic decoded it), and the records read back the same bytes
    stored = raw["stories"][0]["embeddings"]
    assert base64.b64decode(stored, validate=True) == load(path).stories[0].embeddings
    assert base64.b64encode(expected.astype("<f2").tobytes()).decode("ascii") == stored
    assert Corpus.open(path, embeddings=False).embeddings is None


def test_without_an_embedder_the_index_holds_none(stories: Path) -> None:
    index, _ = build(stories)
    assert (index.embedder, index.dimensions) == ("", 0)
    assert all(r.embeddings == b"" for r in index.stories)
    assert Corpus(index).embeddings is None


def test_embeddings_of_the_wrong_size_are_a_damaged_index(stories: Path, tmp_path: Path) -> None:
    path = tmp_path / "index.json"
    build_and_save(stories, path, embedder=Concepts())
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["stories"][0]["embeddings"] = raw["stories"][0]["embeddings"][:-8]
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexFileError, match=r"damaged .*rebuild it with `storybot index`"):
        load(path)
    with pytest.raises(IndexFileError, match=r"damaged .*rebuild it with `storybot index`"):
        Corpus.open(path)  # the vectors going straight into one buffer are checked the same


def test_a_paraphrase_sharing_no_word_is_still_a_candidate(stories: Path) -> None:
    embedder = Concepts()
    corpus = Corpus(build(stories, embedder=embedder)[0])
    question = parse("Was the walkout averted?")
    lexical = featurize(corpus, question, "rail", 3)
    found = featurize(corpus, question, "rail", 3, embedder.embed([question.text])[0])
    texts = [corpus.passages[p].sentences[i].text for p, i in found.sentences]
    assert len(found.sentences) >= len(lexical.sentences)
    assert any("called off the strike" in t for t in texts)
    cosine = found.matrix[:, FEATURES.index("cosine")]
    called_off = next(n for n, t in enumerate(texts) if "called off the strike" in t)
    assert cosine[called_off] > 0.3
    assert found.matrix[:, [FEATURES.index(n) for n in SEMANTIC]].any()


def test_the_service_embeds_with_the_real_model_only_when_semantic(
    stories: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import embed
    from index.embed import CACHE_DIR, GRAPH, MODEL_VERSION
    from index.service import AnswerService

    path = tmp_path / "index.json"
    words = AnswerService(path, stories, semantic=False)
    words.open()
    assert words.corpus.embeddings is None
    assert words.ask("Was the strike called off?").hits
    assert words.embedder() is None  # the model is never loaded

    assert not (tmp_path / CACHE_DIR).exists()

    path.unlink()
    meaning = AnswerService(path, stories, semantic=True)
    meaning.open()
    assert json.loads(path.read_text(encoding="utf-8"))["embedder"] == MODEL_VERSION
    assert meaning.corpus.embeddings is not None
    result = meaning.ask("Was the walkout averted?", "rail")
    assert result.hits
    assert 0.0 <= result.confidence <= 1.0
    # the build and the question left ready-to-load copies of the model's two sides beside the index, and the next
    # service answers the same from them
    sentences, questions = sorted((tmp_path / CACHE_DIR).iterdir(), key=lambda f: len(f.name))
    assert sentences.name.startswith(f"{GRAPH.stem}-")
    assert questions.name.startswith(f"{GRAPH.stem}-questions-")
    monkeypatch.setattr(embed, "_read_model_zip", lambda model_zip: pytest.fail(f"{model_zip} read again"))
    again = AnswerService(path, stories, semantic=True)
    assert again.ask("Was the walkout averted?", "rail") == result

    # the same index answered with semantic off: its embeddings are left unread
    words = AnswerService(path, stories, semantic=False)
    words.open()
    assert words.corpus.embeddings is None


def test_an_index_embedded_by_another_model_is_rebuilt_not_mixed(stories: Path, tmp_path: Path) -> None:
    from index.service import AnswerService

    path = tmp_path / "index.json"
    build_and_save(stories, path, embedder=Concepts())
    with pytest.raises(IndexFileError, match=r"embeddings of 'concepts-1', this storybot uses .*rebuild it"):
        AnswerService(path, stories, semantic=True).open()
    words = AnswerService(path, stories, semantic=False)  # by words, another model's vectors do not matter
    words.open()
    assert words.ask("Was the strike called off?").hits


class Counting(Concepts):
    """Concepts that remembers every text it was asked to embed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed(texts)


def test_a_rebuild_embeds_only_the_stories_that_changed(stories: Path, tmp_path: Path) -> None:
    (stories / "other.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday after the storm.\n")
    path = tmp_path / "index.json"
    build_and_save(stories, path, embedder=Concepts())
    (stories / "other.txt").write_text("Harbour reopens\n\nThe harbour reopened on Tuesday after the storm.\n")
    counting = Counting()
    report = build_and_save(stories, path, embedder=counting)
    assert report.reused == 1
    assert counting.seen == ["The harbour reopened on Tuesday after the storm."]
    fresh = tmp_path / "fresh.json"
    build_and_save(stories, fresh, embedder=Concepts(), reuse=False)
    rebuilt, full = load(path), load(fresh)
    assert [s.model_dump() for s in rebuilt.stories] == [s.model_dump() for s in full.stories]
    assert (rebuilt.embedder, rebuilt.dimensions) == (full.embedder, full.dimensions)


def test_another_embedder_reembeds_everything(stories: Path, tmp_path: Path) -> None:
    path = tmp_path / "index.json"
    build_and_save(stories, path, embedder=Concepts())

    class Renamed(Counting):
        version = "concepts-2"

    renamed = Renamed()
    report = build_and_save(stories, path, embedder=renamed)
    assert report.reused == 0
    assert renamed.seen
    assert load(path).embedder == "concepts-2"
