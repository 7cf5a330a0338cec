"""Figures for index/embed.py on this machine: load time, resident memory, ms per question, sentences/s.

    .venv/bin/python tools/measure_embed.py                 # one intra-op thread
    .venv/bin/python tools/measure_embed.py --threads 2
    .venv/bin/python tools/measure_embed.py --quantized     # the 8-bit graph

Questions and sentences are WikiQA dev's, from ../shared (read, never copied). Batches are timed twice: as
Embedder.embed makes them (sorted by token length) and unsorted (64 texts at a time in their own order, each
batch padded to its longest text), which is what sorting saves. Memory is this process's resident set
(VmRSS) and its peak (VmHWM), both including Python, numpy and ONNX Runtime themselves.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embed import Embedder  # noqa: E402

WIKIQA_DEV = ROOT.parent / "shared" / "eval" / "wikiqa" / "WikiQA-dev.tsv"


def memory() -> str:
    status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    fields = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
    return f"RSS {int(fields['VmRSS'].split()[0]) // 1024} MB, peak {int(fields['VmHWM'].split()[0]) // 1024} MB"


def wikiqa() -> tuple[list[str], list[str]]:
    questions: dict[str, None] = {}
    sentences: dict[str, None] = {}
    with WIKIQA_DEV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            questions[row["Question"]] = None
            sentences[row["Sentence"]] = None
    return list(questions), list(sentences)


def best_rates(run: object, count: int, repeats: int) -> str:
    """Wall-clock and CPU rates, best of `repeats`: on a shared machine, CPU time is the work itself."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()  # type: ignore[operator]
        wall.append(count / (time.perf_counter() - start))
        cpu.append(count / (time.process_time() - start_cpu))
    return f"{max(wall):.0f}/s ({max(cpu):.0f}/s of CPU time)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quantized", action="store_true")
    args = parser.parse_args()
    questions, sentences = wikiqa()
    sentences = sentences[: args.sentences]
    print(f"before loading: {memory()}")
    start = time.perf_counter()
    embedder = Embedder.load(threads=args.threads, quantized=args.quantized)
    print(f"{embedder.version} load: {time.perf_counter() - start:.2f} s; {memory()}")

    for question in questions[:20]:
        embedder.embed_one(question)
    timings, cpu = [], []
    for question in questions[:300]:
        start, start_cpu = time.perf_counter(), time.process_time()
        embedder.embed_one(question)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    timings.sort()
    print(
        f"one question ({len(timings)} WikiQA dev questions): median {statistics.median(timings) * 1000:.2f} ms,"
        f" fastest {timings[0] * 1000:.2f} ms, 90th percentile {timings[int(len(timings) * 0.9)] * 1000:.2f} ms;"
        f" median CPU time {statistics.median(cpu) * 1000:.2f} ms; {memory()}"
    )

    def unsorted() -> None:
        for start in range(0, len(sentences), 64):
            embedder.embed(sentences[start : start + 64], batch_size=64)

    sorted_rate = best_rates(lambda: embedder.embed(sentences, batch_size=64), len(sentences), args.repeats)
    unsorted_rate = best_rates(unsorted, len(sentences), args.repeats)
    tokens = [len(encoding.ids) for encoding in embedder.tokenizer.encode_batch(sentences)]
    print(
        f"{len(sentences)} WikiQA dev sentences (mean {statistics.mean(tokens):.0f} tokens, longest {max(tokens)}),"
        f" batch 64, best of {args.repeats}: sorted {sorted_rate}, unsorted {unsorted_rate}; {memory()}"
    )


if __name__ == "__main__":
    main()
