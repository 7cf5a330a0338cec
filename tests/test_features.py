"""The feature module alone: candidates and one named feature vector each, the same for serving and fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.answer import answer
from index.build import build
from index.corpus import Corpus
from index.features import FEATURES, SEMANTIC, featurize
from index.model import load
from index.question import parse

LEAD = (
    "The Westport Harbor Authority voted to replace its twelve diesel ferries with electric boats, chair Lena Ortiz"
    " said. The first electric ferry will enter service in March 2027 at the Pier Nine terminal in Oldtown."
)
STORY = f"""Harbor ferry fleet to be replaced by electric boats

{LEAD}
Critics on the council argued that the batteries had not been tested in winter storms.

Ortiz said the diesel boats were retired because their engines failed inspections twice last year.
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("stories")
    (folder / "harbor.txt").write_text(STORY, encoding="utf-8")
    return Corpus(build(folder)[0])


def _row(corpus: Corpus, question: str, needle: str) -> dict[str, float]:
    found = featurize(corpus, parse(question), "harbor", 3)
    assert found.matrix.shape == (len(found.sentences), len(FEATURES))
    for (pid, i), row in zip(found.sentences, found.matrix, strict=True):
        if needle in corpus.passages[pid].sentences[i].text:
            return dict(zip(FEATURES, row.tolist(), strict=True))
    raise AssertionError(f"no candidate holds {needle!r}")


def test_a_when_question_sees_the_date_and_the_lead(corpus: Corpus) -> None:
    date = _row(corpus, "When will the first electric ferry enter service?", "March 2027")
    lead = _row(corpus, "When will the first electric ferry enter service?", "voted to replace")
    assert date["asks_kind"] == 1.0
    assert date["cue"] == 1.0
    assert date["held"] > lead["held"]
    assert date["held_gap"] == 0.0 > lead["held_gap"]
    assert lead["story_lead"] == 1.0 > date["story_lead"]
    assert lead["paragraph_lead"] == 1.0 > date["paragraph_lead"]


def test_a_yes_no_question_is_marked_on_every_candidate(corpus: Corpus) -> None:
    assert _row(corpus, "Will the first electric ferry enter service in March?", "March 2027")["asks_polar"] == 1.0
    assert _row(corpus, "When will the first electric ferry enter service?", "March 2027")["asks_polar"] == 0.0


def test_how_many_counts_its_noun(corpus: Corpus) -> None:
    assert _row(corpus, "How many ferries will be replaced?", "twelve diesel ferries")["counted"] == 1.0
    assert _row(corpus, "How many critics were on the council?", "Critics on the council")["uncounted"] == 1.0


def test_the_question_verb_and_rare_words_missing_from_the_story(corpus: Corpus) -> None:
    row = _row(corpus, "Who will buy the old diesel ferries?", "diesel ferries")
    assert row["verb_missing"] == 1.0
    row = _row(corpus, "When will the ferry lawsuit go to trial?", "ferry")
    assert row["missing_rare"] == 1.0
    assert row["story_share"] < 1.0


def test_what_the_question_asks_beyond_the_storys_topic(corpus: Corpus) -> None:
    """Diesel ferries are the story's topic (its title and first two sentences); "retired" is what this
    question asks about, and only the sentence giving the reason holds it."""
    question = "Why were the diesel ferries retired?"
    reason = _row(corpus, question, "engines failed inspections")
    lead = _row(corpus, question, "voted to replace")
    assert lead["held"] > 0.0
    assert reason["held_offtopic"] == 1.0 > lead["held_offtopic"] == 0.0
    assert 0.0 < reason["offtopic_held"] < reason["held_offtopic"]


def test_a_question_only_about_the_topic_has_nothing_off_it(corpus: Corpus) -> None:
    found = featurize(corpus, parse("Who chairs the Westport Harbor Authority?"), "harbor", 3)
    assert len(found.sentences) > 1
    for name in ("held_offtopic", "offtopic_held"):
        assert not found.matrix[:, FEATURES.index(name)].any()


def test_without_an_embedding_the_semantic_features_are_zero(corpus: Corpus) -> None:
    found = featurize(corpus, parse("Why were the diesel boats retired?"), "harbor", 3)
    columns = [FEATURES.index(n) for n in SEMANTIC]
    assert not found.matrix[:, columns].any()


def test_a_question_sharing_no_word_has_no_candidates_and_no_confidence(corpus: Corpus) -> None:
    assert featurize(corpus, parse("Who won the regatta?"), "harbor", 3).sentences == ()
    result = answer(corpus, "Who won the regatta?", "harbor")
    assert (result.hits, result.confidence, result.answered) == ((), 0.0, False)


def test_the_answer_is_the_models_best_candidate_with_its_confidence(corpus: Corpus) -> None:
    question = "Why were the diesel boats retired?"
    found = featurize(corpus, parse(question), "harbor", 3)
    ranker = load().lexical
    scores = ranker.score(found.matrix)
    best = int(np.argmax(scores))
    result = answer(corpus, question, "harbor", 3)
    assert result.best is not None
    pid, i = found.sentences[best]
    assert result.best.sentence == corpus.passages[pid].sentences[i]
    assert result.best.score == pytest.approx(scores[best])
    assert result.confidence == pytest.approx(ranker.confidence(scores, found.matrix))
    assert result.answered == (result.confidence >= ranker.min_confidence)
    assert answer(corpus, question, "harbor", 3, min_confidence=0.0).answered
    assert not answer(corpus, question, "harbor", 3, min_confidence=1.0).answered


def test_story_reports_tells_a_news_report_from_an_encyclopedia_entry(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text(
        "Ferry fares to rise\n\n"
        "Ferry fares will rise by 10 percent in May, the harbor authority said on Monday.\n\n"
        "The increase pays for new engines, chair Lena Ortiz told reporters.\n\n"
        "The authority last raised its fares in 2019, when fuel prices climbed sharply across the region.\n",
        encoding="utf-8",
    )
    (tmp_path / "entry.txt").write_text(
        "Ferry\n\n"
        "A ferry is a boat that carries passengers and often vehicles across a body of water.\n\n"
        "Ferry fares are usually set by the operator or a harbor authority.\n",
        encoding="utf-8",
    )
    corpus = Corpus(build(tmp_path)[0])
    found = featurize(corpus, parse("How much will ferry fares rise?"), None, 3)
    reports = {
        corpus.passages[p].story_id: row[FEATURES.index("story_reports")]
        for (p, _), row in zip(found.sentences, found.matrix, strict=True)
    }
    assert reports == {"report": pytest.approx(2 / 3), "entry": 0.0}


class _WordCounts:
    """A stand-in embedder whose geometry is plain to see: a text's counts of a few words, as a unit row."""

    version = "word-counts-test"
    words = ("ferry", "fares", "rise", "harbor", "engines", "weather", "storm")

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = np.asarray([[text.lower().count(w) for w in self.words] for text in texts], dtype=np.float32) + 1e-3
        normed: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return normed


def test_centrality_is_the_sentences_cosine_with_its_storys_centre(tmp_path: Path) -> None:
    """A sentence like the whole story (its lead) is near every question about the story; centrality lets the
    ranker tell that from being near this question in particular."""
    (tmp_path / "fares.txt").write_text(
        "Ferry fares to rise\n\n"
        "Ferry fares will rise at the harbor, and ferry fares rise again next year.\n\n"
        "The harbor ferry needs new engines, the ferry operator said.\n\n"
        "A storm and bad weather closed the harbor for a day.\n",
        encoding="utf-8",
    )
    embedder = _WordCounts()
    corpus = Corpus(build(tmp_path, embedder=embedder)[0])
    question = "Why did the storm close the harbor?"
    found = featurize(corpus, parse(question), "fares", 3, embedder.embed([question])[0])
    assert corpus.embeddings is not None
    rows = corpus.embeddings.matrix()
    centre = rows.sum(axis=0) / np.linalg.norm(rows.sum(axis=0))
    central = {}
    for (pid, i), row in zip(found.sentences, found.matrix, strict=True):
        sentence = int(corpus.passage_first_sentence[pid]) + i
        assert row[FEATURES.index("centrality")] == pytest.approx(float(rows[sentence] @ centre), abs=1e-6)
        central[corpus.passages[pid].sentences[i].text[:5]] = row[FEATURES.index("centrality")]
    # the storm sentence answers the question and is the least like the rest of the story
    assert min(central, key=central.__getitem__) == "A sto"
