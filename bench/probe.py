"""Run in a fresh process so its time and peak memory are storybot's alone, then print them as JSON.

python -m bench.probe build STORIES INDEX   (incremental when INDEX exists, as `storybot index` is)
python -m bench.probe load INDEX
python -m bench.probe bm25s INDEX           (bm25s tokenizing, stemming and indexing INDEX's passage texts)
python -m bench.probe build-embed STORIES INDEX   (a full build as `storybot index` makes it: every sentence embedded)
python -m bench.probe serve INDEX STORIES QUESTIONS_JSON   (the serving path: index and model loaded, questions
                                                            answered with embeddings on; peak RSS)
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM). Not getrusage's ru_maxrss: on Linux that keeps the peak of
    the process that started this one (the bench, holding indexes and the model) across fork and exec."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux; bytes on macOS
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"] and len(argv) == 3:
        from index.build import build_and_save

        start, cpu = time.perf_counter(), time.process_time()
        report = build_and_save(Path(argv[1]), Path(argv[2]))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        passages = sum(s.passages for s in report.stories)
        out = {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "rss_mb": peak_rss_mb(),
            "stories": len(report.stories),
            "reused": report.reused,
            "passages": passages,
        }
    elif argv[:1] == ["build-embed"] and len(argv) == 3:
        out = _build_embedded(Path(argv[1]), Path(argv[2]))
    elif argv[:1] == ["serve"] and len(argv) == 4:
        out = _serve(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    elif argv[:1] == ["bm25s"] and len(argv) == 2:
        out = _bm25s(Path(argv[1]))
    elif argv[:1] == ["load"] and len(argv) == 2:
        start = time.perf_counter()
        from index.corpus import Corpus

        imported = time.perf_counter()
        corpus = Corpus.open(Path(argv[1]))
        done = time.perf_counter()
        out = {
            "seconds": done - imported,
            "import_seconds": imported - start,
            "rss_mb": peak_rss_mb(),
            "sentences": corpus.sentence_count,
            "passages": len(corpus.passages),
        }
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


def _build_embedded(stories: Path, index_path: Path) -> dict[str, float]:
    """The model loaded with every core, as `storybot index` does, inside the timed span: from the package, leaving
    its ready-to-load copy beside the index (as a first `storybot index` does), which the serving probe then opens."""
    from index.build import build_and_save
    from index.embed import cache_beside
    from index.service import load_embedder, load_question_embedder

    start, cpu = time.perf_counter(), time.process_time()
    load_question_embedder(cache=cache_beside(index_path))  # its ready-to-load copy too, as `storybot index` leaves
    embedder = load_embedder(batch=True, cache=cache_beside(index_path))
    loaded = time.perf_counter()
    report = build_and_save(stories, index_path, reuse=False, embedder=embedder)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = peak_rss_mb()
    from index.store import load

    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "model_seconds": loaded - start,
        "rss_mb": rss,
        "stories": len(report.stories),
        "sentences": sum(len(record.texts) for record in load(index_path).stories),
    }


def _serve(index_path: Path, stories: Path, questions_file: Path) -> dict[str, float]:
    """What `storybot serve` holds: the answer service with semantic answers on, asked every question."""
    from index.service import AnswerService

    asked = json.loads(questions_file.read_text(encoding="utf-8"))
    service = AnswerService(index_path, stories, semantic=True)
    service.open(build_if_missing=False)
    index_mb = peak_rss_mb()  # peaks so far, so that the table can say which step raised it
    service.question_embedder()
    model_mb = peak_rss_mb()
    answered = sum(service.ask(question).answered for question in asked)
    return {
        "rss_mb": peak_rss_mb(),
        "index_rss_mb": index_mb,
        "model_rss_mb": model_mb,
        "questions": len(asked),
        "answered": answered,
    }


def _bm25s(index_path: Path) -> dict[str, float]:
    """bm25s's own pipeline (its tokenizer with English stopwords, PyStemmer's English stemmer, then
    `index`) over the passage texts storybot's build made, timed from the texts in memory."""
    import bm25s
    import Stemmer

    from index.store import load

    texts = []
    for story in load(index_path).stories:
        first = 0
        for size in story.passage_sentences:
            texts.append(" ".join(story.texts[first : first + size]))
            first += size
    start, cpu = time.perf_counter(), time.process_time()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(tokens, show_progress=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "rss_mb": peak_rss_mb(), "passages": len(texts)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
