"""The fitted answer model: a linear score per candidate sentence and a calibrated confidence.

Read from index/answer_model.json (written by `make fit`, tools/fit_answer.py) with plain json: the
weights name the features of index/features.py. There are two weight sets: "lexical", used when no
sentence embedder is on, and "semantic", which also weighs the embedding features. Each may carry
"report_weights": a correction to the score that counts as much as the best-scored candidate's story
reports what people said (the story_reports feature), fitted on news stories after the weights
themselves, so a news report is ranked as news reports are read and an encyclopaedia entry as before.

The confidence is the chance that the best-scored sentence answers the question: a logistic curve
(Platt scaling), fitted out of fold, over evidence that means the same whatever the size of the story
or the index: the best sentence's own features (how much of the question it holds, whether it holds
the kind of thing asked for, its cosine with the question, ...) and its margins to the runner-up in
those same terms. The file names which features and margins it weighs; the fit leaves out the number
of candidates, a softmax share over them and raw BM25 scores, which say more about which data set a
question comes from than about whether its best sentence answers it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.features import FEATURES

FORMAT = "storybot-answer-model"
VERSION = 2
MODEL_PATH = Path(__file__).with_name("answer_model.json")
_REPORTS = FEATURES.index("story_reports")
MODES = ("lexical", "semantic")
# what a margin to the runner-up can be taken in: the ranker's score, or any feature
MARGINS: tuple[str, ...] = ("score", *FEATURES)


def evidence(scores: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the confidence weighs: the best-scored candidate's features (the first of the best, on a
    tie) and its margins to the runner-up by score, in MARGINS order (0 when it is alone). Shared with
    tools/fit_answer.py, so fitting and serving agree."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    top = matrix[order[0]]
    if len(scores) < 2:
        return top, np.zeros(len(MARGINS))
    second = matrix[order[1]]
    return top, np.concatenate(([scores[order[0]] - scores[order[1]]], top - second))


def report_share(scores: np.ndarray, matrix: np.ndarray) -> float:
    """How much the best-scored candidate's story reports what people said (first of the best, on a tie): the
    news correction's one proportion for all of a question's candidates, so the correction reweighs the
    features without preferring one story over another for being more or less of a news report. Shared
    with tools/fit_answer.py."""
    return float(matrix[int(np.argmax(scores)), _REPORTS])


def corrected(scores: np.ndarray, matrix: np.ndarray, correction: np.ndarray) -> np.ndarray:
    """The scores with the news correction, in the question's report_share."""
    if not len(scores):
        return scores
    out: np.ndarray = scores + report_share(scores, matrix) * correction
    return out


class AnswerModelError(Exception):
    """The model file cannot be used; the message is one line that names the fix."""


@dataclass(frozen=True, slots=True)
class Ranker:
    """One fitted weight set: scores candidates and turns the best one's score into a confidence."""

    weights: np.ndarray  # one per FEATURES column; 0 for a feature this set does not use
    bias: float
    report_weights: np.ndarray  # per FEATURES column, added to `weights` in proportion to story_reports
    calibration_bias: float
    feature_calibration: np.ndarray  # the confidence's logit per unit of each of the best candidate's features
    margin_calibration: np.ndarray  # ... and per unit of each of its MARGINS to the runner-up
    min_confidence: float  # answered at or above this (chosen out of fold for accuracy)
    maybe_confidence: float  # from here up to min_confidence: "the story may not say", with the nearest sentence

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return corrected(matrix @ self.weights + self.bias, matrix, matrix @ self.report_weights)

    def confidence(self, scores: np.ndarray, matrix: np.ndarray) -> float:
        """The chance that the best-scored candidate (first of the best, on a tie) is the answer."""
        if len(scores) == 0:
            return 0.0
        top, margins = evidence(scores, matrix)
        z = float(top @ self.feature_calibration) + float(margins @ self.margin_calibration) + self.calibration_bias
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0


@dataclass(frozen=True, slots=True)
class AnswerModel:
    lexical: Ranker
    semantic: Ranker | None

    def ranker(self, semantic: bool) -> Ranker:
        return self.semantic if semantic and self.semantic is not None else self.lexical


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AnswerModelError(f"{where} is not a number")
    return float(value)


def _feature_weights(weights: object, where: str, names: tuple[str, ...] = FEATURES) -> np.ndarray:
    """Weights named by feature, as one vector in `names` order (0 for a feature not named)."""
    if not isinstance(weights, dict) or not weights:
        raise AnswerModelError(f"{where} is not an object of feature weights")
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise AnswerModelError(f"{where} weighs feature {unknown[0]!r}, which this storybot does not compute")
    vector = np.zeros(len(names))
    for n, name in enumerate(names):
        if name in weights:
            vector[n] = _number(weights[name], f"{where}.{name}")
    return vector


def _ranker(raw: object, mode: str) -> Ranker:
    if not isinstance(raw, dict):
        raise AnswerModelError(f"modes.{mode} is not an object")
    vector = _feature_weights(raw.get("weights"), f"modes.{mode}.weights")
    reports = raw.get("report_weights")
    report_vector = (
        np.zeros(len(FEATURES)) if reports is None else _feature_weights(reports, f"modes.{mode}.report_weights")
    )
    cal = raw.get("confidence")
    if not isinstance(cal, dict):
        raise AnswerModelError(f"modes.{mode}.confidence is not an object")
    feature_calibration = _feature_weights(cal.get("weights"), f"modes.{mode}.confidence.weights")
    margin_calibration = _feature_weights(cal.get("margins"), f"modes.{mode}.confidence.margins", MARGINS)
    low = _number(raw.get("maybe_confidence"), f"modes.{mode}.maybe_confidence")
    high = _number(raw.get("min_confidence"), f"modes.{mode}.min_confidence")
    if not 0.0 <= low <= high <= 1.0:
        raise AnswerModelError(f"modes.{mode}: need 0 <= maybe_confidence <= min_confidence <= 1")
    return Ranker(
        vector,
        _number(raw.get("bias"), f"modes.{mode}.bias"),
        report_vector,
        _number(cal.get("bias"), f"modes.{mode}.confidence.bias"),
        feature_calibration,
        margin_calibration,
        high,
        low,
    )


def parse(data: object) -> AnswerModel:
    """A model file's JSON value to the model, or AnswerModelError saying what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AnswerModelError("not a storybot answer model")
    if data.get("version") != VERSION:
        raise AnswerModelError(f"format version {data.get('version')!r}, this storybot reads {VERSION}")
    modes = data.get("modes")
    if not isinstance(modes, dict) or "lexical" not in modes:
        raise AnswerModelError("no lexical weights (modes.lexical)")
    semantic = modes.get("semantic")
    return AnswerModel(_ranker(modes["lexical"], "lexical"), _ranker(semantic, "semantic") if semantic else None)


@lru_cache(maxsize=4)
def load(path: Path = MODEL_PATH) -> AnswerModel:
    """The model in the file, read once; a bad file is one AnswerModelError naming it and the fix."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnswerModelError(f"no answer model at {path}: reinstall storybot or run `make fit`") from None
    except (OSError, ValueError) as exc:
        raise AnswerModelError(f"cannot read the answer model {path} ({exc}): run `make fit`") from None
    try:
        return parse(data)
    except AnswerModelError as exc:
        raise AnswerModelError(f"the answer model {path} is unusable: {exc}; run `make fit`") from None
