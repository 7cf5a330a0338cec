"""Answers with sentence embeddings on, beside a hybrid from standard parts (bench/torch_side.py), in one run:
per question, the index build's sentences per second, and the serving process's peak memory.

The torch side runs as a subprocess of an interpreter that has torch and sentence-transformers: this one when
the `bench` extra put them here, else one given with --torch-python or found beside the project. Without one
the report says so and storybot's own figures are still measured.
"""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench import OWN_BLAS_THREADS, questions, synth
from bench.stats import Latency, time_each

if TYPE_CHECKING:
    from index.corpus import Corpus

ROOT = Path(__file__).resolve().parent.parent
# a throwaway venv with torch beside the checkout (the one tools/export_minilm.py runs in), if there is one
NEARBY_TORCH = ROOT.parent / "tmp-export-venv" / "bin" / "python"

Probe = Callable[..., dict[str, float]]


@dataclass
class Semantic:
    stories: int = 0
    sentences: int = 0
    passages: int = 0
    asked: int = 0
    build: dict[str, float] = field(default_factory=dict)  # storybot's build, embedding included (fresh process)
    storybot: Latency | None = None  # index.answer.answer with the question embedded
    hybrid: Latency | None = None  # bm25s top 30 + sentence-transformers rerank, None when torch is unavailable
    same_top: int = 0  # questions whose top sentence is the hybrid's
    same_nearest: int = 0  # questions whose nearest sentences (index/vectors.py's search) are a full scan's
    torch: str = ""  # what ran the torch side, or why it could not run
    torch_threads: int = 0
    torch_encode: dict[str, float] = field(default_factory=dict)  # sentence-transformers encoding every sentence
    serve: dict[str, float] = field(default_factory=dict)  # the serving process: peak RSS after answering
    load: tuple[float, float] | None = None  # the machine's load average when the section started and ended


def torch_python(given: Path | None) -> Path | None:
    """The interpreter to run the torch side with: the one given, this one when it has torch and
    sentence-transformers, else the throwaway venv beside the checkout."""
    if given is not None:
        return given
    if all(importlib.util.find_spec(name) is not None for name in ("torch", "sentence_transformers")):
        return Path(sys.executable)
    return NEARBY_TORCH if NEARBY_TORCH.exists() else None


def measure(
    work: Path, stories: int, sentences: int, count: int, python: Path | None, probe: Probe, step: Callable[[str], None]
) -> Semantic:
    out = Semantic(stories=stories)
    started = _load_average()
    _measure(out, work, sentences, count, python, probe, step)
    ended = _load_average()
    out.load = (started, ended) if started is not None and ended is not None else None
    return out


def _load_average() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _measure(
    out: Semantic,
    work: Path,
    sentences: int,
    count: int,
    python: Path | None,
    probe: Probe,
    step: Callable[[str], None],
) -> None:
    from bot import heap
    from index.answer import answer
    from index.corpus import Corpus
    from index.embed import model_zip_path
    from index.service import load_question_embedder
    from index.store import load

    stories = out.stories
    folder = work / "semantic-stories"
    synth.write_stories(folder, stories, sentences)
    index = work / "semantic.json"
    step(f"semantic: storybot's build of {stories} stories, every sentence embedded (fresh process)")
    out.build = probe("build-embed", str(folder), str(index))

    corpus = Corpus.open(index)
    texts = [text for record in load(index).stories for text in record.texts]
    if corpus.embeddings is None or len(texts) != corpus.sentence_count:
        raise SystemExit("bench: the semantic build stored no sentence embeddings")
    out.sentences, out.passages = corpus.sentence_count, len(corpus.passages)
    asked = [q for q in questions.synthetic(corpus, count, seed=11) if any(t in corpus.ranker for t in _terms(q))]
    out.asked = len(asked)

    step(f"semantic: {len(asked)} questions through index.answer.answer, each question embedded (one thread)")
    embedder = load_question_embedder()
    heap.settle()  # as `storybot serve`, the chat and `ask --jsonl` do once the index is loaded
    tops: list[str] = []

    def ask(question: str) -> None:
        hits = answer(corpus, question, embed=embedder.model.embed_one).hits
        tops.append(hits[0].sentence.text if hits else "")

    out.storybot = Latency.of(time_each(asked, ask))
    tops = tops[-len(asked) :]  # the timed pass, after the warm-up
    every = corpus.embeddings.matrix()  # float32, as a full scan reads them
    out.same_nearest = sum(
        _nearest_as_full_scan(corpus, every, embedder.model.embed_one(question)) for question in asked
    )

    step("semantic: the serving process's peak memory (index and model loaded, questions answered)")
    asked_file = work / "semantic-questions.json"
    asked_file.write_text(json.dumps(asked), encoding="utf-8")
    out.serve = probe("serve", str(index), str(folder), str(asked_file))

    if python is None:
        out.torch = "not measured: no interpreter with torch and sentence-transformers (pip install -e '.[bench]')"
        return
    step(f"semantic: the hybrid (bm25s + sentence-transformers on torch) and encoding every sentence, by {python}")
    hybrid = work / "hybrid"
    hybrid.mkdir()
    np.save(hybrid / "embeddings.npy", every)
    given = {
        "texts": texts,
        "passage_first_sentence": corpus.passage_first_sentence.tolist(),
        "questions": asked,
        "model_zip": str(model_zip_path()),
    }
    (hybrid / "input.json").write_text(json.dumps(given), encoding="utf-8")
    own = ("OPENBLAS_NUM_THREADS",) if OWN_BLAS_THREADS else ()  # storybot's setting, not the hybrid's
    run = subprocess.run(
        [str(python), "-m", "bench.torch_side", str(hybrid), *site.getsitepackages()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={name: value for name, value in os.environ.items() if name not in own},
    )
    if run.returncode:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        out.torch = f"not measured: the torch side failed ({last})"
        return
    result = json.loads(run.stdout)
    out.torch = f"torch {result['torch']}, sentence-transformers {result['sentence_transformers']}"
    out.torch_threads = int(result["threads"])
    out.hybrid = Latency.of(result["latencies"])
    out.same_top = sum(top >= 0 and texts[top] == mine for top, mine in zip(result["top"], tops, strict=True))
    out.torch_encode = {
        "seconds": result["encode_seconds"],
        "cpu_seconds": result["encode_cpu_seconds"],
        "sentences": result["sentences"],
    }


def _nearest_as_full_scan(corpus: Corpus, every: np.ndarray, vector: np.ndarray) -> bool:
    """Are the question's nearest sentences by the served search those of one product over every vector?"""
    from index.features import NEAREST_SENTENCES

    assert corpus.embeddings is not None
    served = corpus.embeddings.nearest(vector, 0, len(every), NEAREST_SENTENCES)
    full = np.argpartition(-(every @ vector), NEAREST_SENTENCES - 1)[:NEAREST_SENTENCES]
    return set(served.tolist()) == set(full.tolist())


def _terms(question: str) -> list[str]:
    from index.analyze import tokenize

    return tokenize(question)
