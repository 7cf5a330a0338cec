"""The fitted answer model file: read with plain json, checked, and one clear error when it is bad."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from index.features import FEATURES, LEXICAL, SEMANTIC
from index.model import MARGINS, MODEL_PATH, AnswerModelError, evidence, load, parse


@pytest.fixture(scope="module")
def shipped() -> dict[str, object]:
    data: dict[str, object] = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return data


def test_the_shipped_model_weighs_every_lexical_feature_and_says_what_it_was_fitted_on(
    shipped: dict[str, object],
) -> None:
    model = parse(shipped)
    modes = shipped["modes"]
    assert isinstance(modes, dict)
    # the kind of story moves only the confidence, never the ranking
    # off-topic held is weighed, and news reports corrected, only with the embeddings on (tools/fit_answer.py)
    assert set(modes["lexical"]["weights"]) == set(LEXICAL) - {"story_reports", "held_offtopic", "offtopic_held"}
    assert "report_weights" not in modes["lexical"]
    assert set(modes["semantic"]["report_weights"]) == set(modes["semantic"]["weights"])
    assert not set(modes["lexical"]["weights"]) & set(SEMANTIC)  # used with no embedder: no semantic weight
    assert 0 < model.lexical.maybe_confidence <= model.lexical.min_confidence < 1
    fitted_on = shipped["fitted_on"]
    assert isinstance(fitted_on, dict)
    assert {"wikiqa", "squad2"} <= set(fitted_on)
    assert "CC BY-SA 4.0" in fitted_on["squad2"]["files"]
    assert fitted_on["news"]["questions"] > 0  # the team's own news set, tools/news_qa
    # which part of the model each data set taught
    assert {"weights", "report_weights", "confidence", "min_confidence"} <= set(fitted_on["parts"])
    for mode in modes.values():
        oof = mode["out_of_fold"]
        assert {"wikiqa", "squad", "news", "all"} <= set(oof)
        assert {"mrr", "p_at_1", "f1", "ece"} <= set(oof["wikiqa"])
        assert {"p_at_1", "accuracy", "f1", "ece"} <= set(oof["squad"])


def test_scores_are_the_weighted_sum_of_the_named_features(shipped: dict[str, object]) -> None:
    ranker = parse(shipped).lexical
    weights = shipped["modes"]["lexical"]["weights"]  # type: ignore[index]
    row = np.zeros((1, len(FEATURES)))
    row[0, FEATURES.index("held")] = 1.0
    assert ranker.score(row)[0] == pytest.approx(weights["held"] + ranker.bias)


def test_the_news_correction_weighs_the_features_as_much_as_the_story_reports(shipped: dict[str, object]) -> None:
    data = copy.deepcopy(shipped)
    lexical = data["modes"]["lexical"]  # type: ignore[index]
    lexical["report_weights"] = {"held": 2.0}
    ranker = parse(data).lexical
    held, reports = FEATURES.index("held"), FEATURES.index("story_reports")
    plain = np.zeros((2, len(FEATURES)))
    plain[0, held] = 1.0
    base = ranker.score(plain)
    assert base[0] == pytest.approx(lexical["weights"]["held"] + ranker.bias)
    news = plain.copy()
    news[:, reports] = 0.5
    np.testing.assert_allclose(ranker.score(news), base + 0.5 * 2.0 * news[:, held])
    # one proportion for the whole question, its best candidate's story's: a candidate from a story reporting no
    # one is reweighed as much as the rest, not preferred or passed over for its story
    mixed = news.copy()
    mixed[1, reports] = 0.0
    np.testing.assert_allclose(ranker.score(mixed), ranker.score(news))
    del lexical["report_weights"]
    assert not parse(data).lexical.report_weights.any()  # a file without one ranks as before


def test_confidence_is_the_logistic_of_the_best_candidates_features_and_margins_to_the_runner_up(
    shipped: dict[str, object],
) -> None:
    ranker = parse(shipped).lexical
    held = FEATURES.index("held")
    matrix = np.zeros((3, len(FEATURES)))
    matrix[:, held] = [0.2, 0.5, 0.9]
    scores = np.array([0.0, 2.0, -1.0])
    top, margins = evidence(scores, matrix)
    assert top[held] == pytest.approx(0.5)  # the best-scored candidate's own features
    assert margins[MARGINS.index("score")] == pytest.approx(2.0)  # its margin to the runner-up by score
    assert margins[MARGINS.index("held")] == pytest.approx(0.3)  # ... and in each feature
    z = top @ ranker.feature_calibration + margins @ ranker.margin_calibration + ranker.calibration_bias
    assert ranker.confidence(scores, matrix) == pytest.approx(1 / (1 + np.exp(-z)))
    assert 0.0 <= ranker.confidence(scores, matrix) <= 1.0
    assert ranker.confidence(np.zeros(0), np.zeros((0, len(FEATURES)))) == 0.0
    assert not evidence(np.array([1.5]), matrix[:1])[1].any()  # alone: no margin
    tied, _ = evidence(np.array([1.0, 1.0]), matrix[1:])
    assert tied[held] == pytest.approx(0.5)  # on a tie, the first


def test_the_confidence_weighs_nothing_that_grows_with_the_story_or_the_index(shipped: dict[str, object]) -> None:
    """Candidate counts, BM25 scores and positions tell short documents from long ones, and so one
    data set's share of answerable questions from another's: not whether the best sentence answers."""
    size_bound = {"passage_rel", "passage_abs", "passage_rank", "story_lead", "paragraph_lead", "held_gap"}
    size_bound.add("centrality")  # a long story's centre lies farther from each of its sentences
    for mode in shipped["modes"].values():  # type: ignore[attr-defined]
        weighed = set(mode["confidence"]["weights"]) | set(mode["confidence"]["margins"])
        assert weighed
        assert not weighed & size_bound


def test_the_kind_of_story_is_never_scored_for_itself(shipped: dict[str, object]) -> None:
    """How much of a story reports what people said is the same for all its sentences: a prior on whether a
    question about it is answered at all, which the confidence weighs. The ranking only weighs the sentences'
    own features by it (report_weights); a story is never preferred for it."""
    for mode in shipped["modes"].values():  # type: ignore[attr-defined]
        assert mode["weights"].get("story_reports", 0.0) == 0.0
        assert mode.get("report_weights", {}).get("story_reports", 0.0) == 0.0
        assert mode["confidence"]["weights"]["story_reports"] > 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other"), "not a storybot answer model"),
        (lambda d: d.update(version=99), "format version 99"),
        (lambda d: d["modes"].pop("lexical"), "no lexical weights"),
        (lambda d: d["modes"]["lexical"]["weights"].update(made_up=1.0), "'made_up', which this storybot"),
        (lambda d: d["modes"]["lexical"]["weights"].update(held="x"), "weights.held is not a number"),
        (lambda d: d["modes"]["lexical"].update(min_confidence=2.0), "min_confidence <= 1"),
        (lambda d: d["modes"]["lexical"].update(report_weights={"made_up": 1.0}), "report_weights weighs feature"),
        (lambda d: d["modes"]["lexical"].pop("confidence"), "confidence is not an object"),
        (lambda d: d["modes"]["lexical"]["confidence"]["margins"].update(made_up=1.0), "margins weighs feature"),
    ],
)
def test_a_bad_model_is_one_clear_error(shipped: dict[str, object], change: object, message: str) -> None:
    data = copy.deepcopy(shipped)
    change(data)  # type: ignore[operator]
    with pytest.raises(AnswerModelError, match=message):
        parse(data)


def test_a_damaged_or_missing_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "answer_model.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(AnswerModelError, match=r"cannot read the answer model .*: run `make fit`") as err:
        load(bad)
    assert "\n" not in str(err.value)
    with pytest.raises(AnswerModelError, match="no answer model at"):
        load(tmp_path / "missing.json")
    bad.write_text('{"format": "storybot-answer-model", "version": 2, "modes": {}}', encoding="utf-8")
    load.cache_clear()
    with pytest.raises(AnswerModelError, match=r"unusable: no lexical weights \(modes.lexical\); run `make fit`"):
        load(bad)
