"""The question side of the embedding model (index/question_tuning.json, `make fit`): ONNX Runtime runs it as
sentence-transformers does with the same parameters, it changes questions' vectors and never the stories', and a
bad file is a one-line error."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from index.embed import MODEL_VERSION, QUESTION_TUNING, TUNING_FORMAT, Embedder, EmbedderError
from index.service import AnswerService
from tests.conftest import FIXTURES

REFERENCE = json.loads((FIXTURES / "question-tuning-reference.json").read_text(encoding="utf-8"))
QUESTIONS = REFERENCE["questions"]
VECTORS = np.asarray(REFERENCE["vectors"], dtype=np.float32)


@pytest.fixture(scope="module")
def questions_side() -> Embedder:
    return Embedder.load(tuning=QUESTION_TUNING)


def test_the_reference_was_made_from_the_shipped_tuning() -> None:
    # `make fit` writes both; a tuning file changed without its reference would leave the test below vacuous
    assert hashlib.sha256(QUESTION_TUNING.read_bytes()).hexdigest() == REFERENCE["tuning_sha256"]


def test_onnx_runtime_runs_the_tuning_as_sentence_transformers_does(questions_side: Embedder) -> None:
    got = questions_side.embed(QUESTIONS)
    assert np.abs(got - VECTORS).max() < 1e-4  # the fixture is rounded to 7 decimals


def test_the_tuning_moves_questions_and_is_named_apart(questions_side: Embedder) -> None:
    published = Embedder.load().embed(QUESTIONS)
    cosines = np.sum(published * questions_side.embed(QUESTIONS), axis=1)
    assert cosines.max() < 0.99  # every question is embedded differently from the published model
    assert questions_side.version.startswith(MODEL_VERSION + "/questions-")


def test_answers_embed_questions_with_the_tuning_and_never_load_the_sentences_model(
    index_path: Path, stories_dir: Path, questions_side: Embedder
) -> None:
    service = AnswerService(index_path, stories_dir, semantic=True)
    service.reload()  # the fixture's index has no embeddings: built here with the sentences' model
    assert service._embedder is None  # and freed after the build
    assert service.corpus.embedder == MODEL_VERSION
    fresh = AnswerService(index_path, stories_dir, semantic=True)
    answer = fresh.ask(QUESTIONS[4])
    assert answer.hits
    assert fresh._embedder is None  # answering needed only the questions' side
    np.testing.assert_allclose(fresh._question_vector(QUESTIONS[4]), questions_side.embed_one(QUESTIONS[4]), atol=1e-6)


def _tuning(tmp_path: Path, change: object) -> Path:
    raw = json.loads(QUESTION_TUNING.read_text(encoding="utf-8"))
    assert callable(change)
    change(raw)
    path = tmp_path / "question_tuning.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def _first(raw: dict[str, dict[str, list[float]]]) -> str:
    return next(iter(raw["parameters"]))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda raw: raw.update(format="something-else"), f"not a {TUNING_FORMAT} file"),
        (lambda raw: raw.update(model="another-model"), "fitted on 'another-model'"),
        (lambda raw: raw["parameters"].update({"encoder.no.such.bias": [0.0]}), "encoder.no.such.bias"),
        (lambda raw: raw["parameters"].update({_first(raw): [0.0, 1.0]}), "is not a [2] tensor"),
        (lambda raw: raw.pop("parameters"), "parameters"),
    ],
    ids=["format", "model", "unknown key", "wrong shape", "no parameters"],
)
def test_a_bad_tuning_file_is_one_line(tmp_path: Path, change: object, says: str) -> None:
    with pytest.raises(EmbedderError) as caught:
        Embedder.load(tuning=_tuning(tmp_path, change))
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_tuning_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match=r"question tuning .* is unusable: .*`make fit` writes it"):
        Embedder.load(tuning=tmp_path / "absent.json")


def test_the_questions_side_gets_its_own_cache_folder(tmp_path: Path, questions_side: Embedder) -> None:
    cache = tmp_path / "model-cache"
    Embedder.load(cache=cache)
    tuned = Embedder.load(cache=cache, tuning=QUESTION_TUNING)
    assert len(list(cache.iterdir())) == 2  # neither swept the other away
    again = Embedder.load(cache=cache, tuning=QUESTION_TUNING)
    np.testing.assert_array_equal(again.embed(QUESTIONS), tuned.embed(QUESTIONS))
    np.testing.assert_allclose(again.embed(QUESTIONS), questions_side.embed(QUESTIONS), atol=1e-5)
    before = {f.name for f in cache.iterdir()}
    refitted = _tuning(tmp_path, lambda raw: raw["parameters"][_first(raw)].__setitem__(0, 0.5))
    Embedder.load(cache=cache, tuning=refitted)
    after = {f.name for f in cache.iterdir()}
    assert len(after) == 2
    assert len(before & after) == 1  # the sentences' folder stays; the old tuning's is replaced
