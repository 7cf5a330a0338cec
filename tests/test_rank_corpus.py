"""The loaded corpus and the index file it comes from: columnar JSON, lazy passages, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build
from index.clean import clean
from index.corpus import Corpus
from index.read import read_story
from index.service import AnswerService
from index.split import passages
from index.store import VERSION, IndexFileError, load
from tests.conftest import RAIL, SEED


def test_passages_come_back_as_the_splitter_made_them(index_path: Path, stories_dir: Path) -> None:
    corpus = Corpus.open(index_path)
    expected = [p for name in (RAIL, SEED) for p in passages(clean(read_story(stories_dir / f"{name}.txt")))]
    assert list(corpus.passages) == expected
    assert len(corpus.passages) == len(expected) == len(corpus.sentence_terms) == len(corpus.lead)
    assert corpus.passages[-1] == expected[-1]
    assert corpus.passages[1:3] == expected[1:3]
    assert corpus.passages[0] is corpus.passages[0]  # made once
    with pytest.raises(IndexError):
        corpus.passages[len(expected)]
    with pytest.raises(IndexError):
        corpus.sentence_terms[len(expected)]


def test_sentence_statistics_match_a_plain_count(index_path: Path) -> None:
    corpus = Corpus.open(index_path)
    sentences = [terms for sents in corpus.sentence_terms for terms in sents]
    df: dict[str, int] = {}
    for terms in sentences:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    assert corpus.sentence_df == df
    assert corpus.sentence_count == len(sentences)
    assert corpus.avg_sentence_len == sum(map(len, sentences)) / len(sentences)
    assert all(len(terms) == len(p.sentences) for terms, p in zip(corpus.sentence_terms, corpus.passages, strict=True))


def test_lead_and_story_passages_follow_each_story(index_path: Path) -> None:
    corpus = Corpus.open(index_path)
    for story_id, ids in corpus.story_passages.items():
        story = [corpus.passages[i] for i in ids.tolist()]
        assert {p.story_id for p in story} == {story_id}
        assert len(story) == corpus.stories[story_id].passages
        seen = 0
        for i in ids.tolist():
            assert corpus.lead[i] == seen
            seen += len(corpus.passages[i].sentences)


def _rewrite(path: Path, change: dict[str, object]) -> None:
    raw = json.loads(path.read_text())
    raw.update(change)
    path.write_text(json.dumps(raw))


def test_an_old_version_names_the_rebuild(index_path: Path) -> None:
    _rewrite(index_path, {"version": 1})
    with pytest.raises(IndexFileError) as err:
        load(index_path)
    message = str(err.value)
    assert f"format version 1, this storybot reads {VERSION}" in message
    assert "storybot index" in message
    assert "\n" not in message


def test_columns_that_disagree_are_damage(index_path: Path) -> None:
    raw = json.loads(index_path.read_text())
    raw["stories"][0]["starts"].pop()
    index_path.write_text(json.dumps(raw))
    with pytest.raises(IndexFileError, match=r"damaged \(bad field stories\.0\): rebuild it"):
        load(index_path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"{not json", "damaged (not valid JSON)"),
        (b"[1, 2]", "is not a storybot index"),
        (b'{"format": "other"}', "is not a storybot index"),
    ],
)
def test_bad_files_get_one_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "index.json"
    path.write_bytes(content)
    with pytest.raises(IndexFileError, match="storybot index") as err:
        load(path)
    assert fragment in str(err.value)


def test_built_index_round_trips(stories_dir: Path, index_path: Path) -> None:
    index, _ = build(stories_dir)
    loaded = load(index_path)
    assert [s.model_dump() for s in loaded.stories] == [s.model_dump() for s in index.stories]


def test_stray_spaces_in_stored_terms_change_nothing(index_path: Path, tmp_path: Path) -> None:
    raw = json.loads(index_path.read_text())
    terms = raw["stories"][0]["terms"]
    terms[0] = "  " + terms[0].replace(" ", "   ") + " "
    spaced = tmp_path / "spaced.json"
    spaced.write_text(json.dumps(raw))
    plain, odd = Corpus.open(index_path), Corpus.open(spaced)
    assert odd.sentence_df == plain.sentence_df
    assert odd.avg_sentence_len == plain.avg_sentence_len
    assert list(odd.sentence_terms) == list(plain.sentence_terms)
    assert odd.ranker.top(["summit", "talk"], 5) == plain.ranker.top(["summit", "talk"], 5)


def test_a_reload_drops_the_old_index_s_sentence_memos(service: AnswerService) -> None:
    """Per-sentence facts are remembered by the loaded index, not by the process: a reload lets them go."""
    import gc
    import weakref

    service.ask("How many riders would the strike have affected?")
    facts = weakref.ref(service.corpus.facts)
    assert facts() is not None
    service.reload(rebuild=False)
    gc.collect()
    assert facts() is None
    assert service.corpus.facts is not None
