"""How `make fit` fits the ranking (tools/fit_answer.py): a listwise ranker on the large encyclopaedic sets,
then a correction, weighed by the story's share of reported speech, fitted on the news set."""

from __future__ import annotations

import numpy as np

from index.features import FEATURES
from tests.fit_tool import fit_answer

F = fit_answer()
HELD = FEATURES.index("held")
OFFTOPIC = FEATURES.index("held_offtopic")
COLUMNS = [HELD, OFFTOPIC]
RANKING = F.Ranking(COLUMNS, news_correction=True)


def _question(dataset: str, n: int, rng: np.random.Generator) -> object:
    """Five candidates. In the encyclopaedic sets the right one holds most of the question. In a news
    report a wrong one (the lead, which repeats the story's topic) holds more, and the right one holds
    what is off the topic."""
    matrix = np.zeros((5, len(FEATURES)))
    matrix[:, HELD] = rng.uniform(0.0, 0.5, 5)
    matrix[:, OFFTOPIC] = rng.uniform(0.0, 0.5, 5)
    labels = np.zeros(5, dtype=bool)
    labels[1] = True
    if dataset == "news":
        matrix[:, FEATURES.index("story_reports")] = 0.5
        matrix[1, HELD], matrix[0, HELD] = 0.7, 0.9
        matrix[1, OFFTOPIC], matrix[0, OFFTOPIC] = 1.0, 0.0
    else:
        matrix[1, HELD] = 0.9
    return F.Example(dataset, f"{dataset}:{n}", True, matrix, labels, [str(i) for i in range(5)])


def _examples(*sets: str, each: int = 60, seed: int = 1) -> list[object]:
    rng = np.random.default_rng(seed)
    return [_question(d, n, rng) for d in sets for n in range(each)]


def _right_on_top(scorer: object, examples: list[object]) -> float:
    return float(np.mean([e.labels[int(np.argmax(scorer(e.matrix)))] for e in examples]))  # type: ignore[attr-defined, operator]


def test_the_news_correction_ranks_news_reports_as_news_reports_are_read() -> None:
    scorer = F.fit_ranker(_examples("wikiqa", "squad", "news"), RANKING)
    base = F.Scorer(COLUMNS, scorer.weights, scorer.bias, np.zeros(len(COLUMNS)))
    unseen_news = _examples("news", seed=2)
    assert _right_on_top(base, unseen_news) == 0.0  # the encyclopaedic ranking takes the lead
    assert _right_on_top(scorer, unseen_news) == 1.0
    assert scorer.report_weights[COLUMNS.index(OFFTOPIC)] > 0


def test_the_correction_leaves_a_story_reporting_no_one_as_it_was() -> None:
    scorer = F.fit_ranker(_examples("wikiqa", "squad", "news"), RANKING)
    base = F.Scorer(COLUMNS, scorer.weights, scorer.bias, np.zeros(len(COLUMNS)))
    for e in _examples("wikiqa", seed=3):
        np.testing.assert_array_equal(scorer(e.matrix), base(e.matrix))  # type: ignore[attr-defined]
    assert _right_on_top(scorer, _examples("squad", seed=4)) == 1.0


def test_the_encyclopaedic_ranking_is_fitted_without_the_news_set() -> None:
    with_news = F.fit_ranker(_examples("wikiqa", "squad", "news"), RANKING)
    without = F.fit_ranker(_examples("wikiqa", "squad"), RANKING)
    np.testing.assert_allclose(with_news.weights, without.weights)
    assert not without.report_weights.any()
    switched_off = F.fit_ranker(_examples("wikiqa", "squad", "news"), F.Ranking(COLUMNS, news_correction=False))
    np.testing.assert_allclose(switched_off.weights, with_news.weights)
    assert not switched_off.report_weights.any()
