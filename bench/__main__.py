"""`python -m bench`: time storybot on the bundled story, on a synthetic 100k-sentence newsroom beside
rank-bm25 and bm25s, with sentence embeddings beside a bm25s + sentence-transformers hybrid, and from a cold
start; print the table and write it to bench/RESULTS.md.

Figures are from one run on this machine and are reported as ratios where there is something to
compare against. Nothing here is a test: no figure ever fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench import coalescing, coldstart, peers, questions, semantic, synth, throughput
from bench.report import Report, readme_table, with_section
from bench.stats import Latency, machine, time_each

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000, help="synthetic stories (default 2000)")
    parser.add_argument("--sentences", type=int, default=50, help="sentences per synthetic story (default 50)")
    parser.add_argument("--questions", type=int, default=300, help="questions on the synthetic corpus (default 300)")
    parser.add_argument("--rounds", type=int, default=15, help="cold-start runs of each command (default 15)")
    parser.add_argument("--bot-questions", type=int, default=2000, help="questions in each bot burst (default 2000)")
    parser.add_argument("--bot-chats", type=int, default=200, help="chats they come from (default 200)")
    parser.add_argument(
        "--bot-rounds", type=int, default=5, help="bursts for each bot (default 5: a burst varies by 5-10%% here)"
    )
    parser.add_argument(
        "--semantic-stories",
        type=int,
        default=100,
        help="synthetic stories for the section with embeddings (default 100: embedding every sentence of the full "
        "newsroom takes many minutes on 2 cores)",
    )
    parser.add_argument(
        "--semantic-questions", type=int, default=200, help="questions in the section with embeddings (default 200)"
    )
    parser.add_argument(
        "--torch-python",
        type=Path,
        default=None,
        help="an interpreter with torch and sentence-transformers for the hybrid (default: this one if it has them, "
        f"else {semantic.NEARBY_TORCH} if it exists)",
    )
    parser.add_argument(
        "--sections",
        type=_sections,
        default=SECTIONS,
        help="which numbered sections to measure, e.g. 3,4 (default all): the others are kept as they are in the "
        "table written before, with a line saying which sections came from this run",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write the table (default {RESULTS})")
    parser.add_argument("--readme", action="store_true", help="also put the table in README.md's Performance section")
    parser.add_argument(
        "--only",
        choices=["throughput", "coalescing"],
        help="measure only that section (5, bot throughput; 6, questions embedded together) and put it in place of "
        "the same section of --out (and of README.md's table with --readme); the other sections stay as they were",
    )
    args = parser.parse_args(argv)
    if args.only == "coalescing":
        return coalescing_alone(args)
    if args.only:
        return throughput_alone(args)

    names = ("numpy", "rank-bm25", "bm25s", "pydantic", "onnxruntime", "tokenizers")
    libs = ", ".join(f"{name} {version(name)}" for name in names)
    report = Report(machine(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), libs)
    chosen = args.sections
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
        work = Path(tmp)
        bundled_index = bundled(report, work, timed=1 in chosen)
        if 2 in chosen:
            synthetic(report, work, args.stories, args.sentences, args.questions)
        if 3 in chosen:
            report.semantic = semantic.measure(
                work,
                args.semantic_stories,
                args.sentences,
                args.semantic_questions,
                semantic.torch_python(args.torch_python),
                probe,
                step,
            )
        if 4 in chosen:
            step("the bundled story again, every sentence embedded, for the cold start with the model")
            semantic_index = bundled_with_embeddings(work)
            step(f"cold start, {args.rounds} runs of each command, taking turns")
            question = questions.BUNDLED[0]
            report.cold = coldstart.measure(
                bundled_index, ROOT / "stories", work / "cwd", question, args.rounds, semantic_index
            )
        if 5 in chosen:
            step(
                f"bot throughput: {args.bot_questions} questions from {args.bot_chats} chats, "
                f"{args.bot_rounds} bursts each for storybot serve and two echo bots"
            )
            report.throughput = throughput.measure(
                bundled_index, work / "bots", args.bot_questions, args.bot_chats, args.bot_rounds
            )
        if 6 in chosen:
            step("questions embedded together: threads through the coalescer against one call each")
            report.coalescing = coalescing.measure(bundled_with_embeddings(work))
    if hasattr(os, "getloadavg"):  # the load comes and goes on a shared machine: say where it ended too
        report.machine += f", {os.getloadavg()[0]:.1f} at the end"
    text = report.markdown()
    print("\n" + text)
    if chosen != SECTIONS:  # the other sections stay as the last run left them
        text = report.spliced(args.out.read_text(encoding="utf-8"), chosen)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}", file=sys.stderr)
    if args.readme:
        report.into_readme(ROOT / "README.md", text)
    return 0


def throughput_alone(args: argparse.Namespace) -> int:
    """Section 5 by itself, in place of the one in the written table."""
    from index.build import build_and_save

    report = Report(machine(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "", alone="throughput")
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
        work = Path(tmp)
        index = work / "bundled.json"
        build_and_save(ROOT / "stories", index)
        step(
            f"bot throughput: {args.bot_questions} questions from {args.bot_chats} chats, "
            f"{args.bot_rounds} bursts each for storybot serve and two echo bots"
        )
        report.throughput = throughput.measure(
            index, work / "bots", args.bot_questions, args.bot_chats, args.bot_rounds
        )
    return _write_alone(args, report, 5)


def coalescing_alone(args: argparse.Namespace) -> int:
    """Section 6 by itself, in place of the one in the written table (added at its end when there is none)."""
    report = Report(machine(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "", alone="coalescing")
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
        step("the bundled story, every sentence embedded, for `ask --jsonl`")
        index = bundled_with_embeddings(Path(tmp))
        step("questions embedded together: threads through the coalescer against one call each")
        report.coalescing = coalescing.measure(index)
    return _write_alone(args, report, 6)


def _write_alone(args: argparse.Namespace, report: Report, number: int) -> int:
    """A section measured by itself, put in place of the same section of --out (and of README.md's table)."""
    if hasattr(os, "getloadavg"):
        report.machine += f", {os.getloadavg()[0]:.1f} at the end"
    section = report.section(number)
    print("\n" + section)
    args.out.write_text(_with_or_added(args.out.read_text(encoding="utf-8"), number, section), encoding="utf-8")
    print(f"section {number} written to {args.out}", file=sys.stderr)
    if args.readme:
        readme = ROOT / "README.md"
        report.into_readme(readme, _with_or_added(readme_table(readme), number, section))
    return 0


def _with_or_added(table: str, number: int, section: str) -> str:
    if re.search(rf"^\*\*{number}\. ", table, re.MULTILINE):
        return with_section(table, number, section)
    return table.rstrip() + "\n\n" + section


SECTIONS = frozenset(range(1, 7))


def _sections(given: str) -> frozenset[int]:
    try:
        chosen = frozenset(int(part) for part in given.split(",") if part.strip())
    except ValueError:
        chosen = frozenset()
    if not chosen or not chosen <= SECTIONS:
        raise argparse.ArgumentTypeError(f"expected section numbers 1 to 6 separated by commas, not {given!r}")
    return chosen


def step(what: str) -> None:
    print(f"bench: {what} ...", file=sys.stderr, flush=True)


def bundled(report: Report, work: Path, timed: bool = True) -> Path:
    """The shipped story, answered in process: what a chat user waits for. Its index serves sections 4 and 5."""
    from index.answer import answer
    from index.build import build_and_save
    from index.corpus import Corpus

    step("bundled story")
    index = work / "bundled.json"
    build_and_save(ROOT / "stories", index)
    if not timed:
        return index
    corpus = Corpus.open(index)
    asked = questions.BUNDLED * 25
    report.bundled = Latency.of(time_each(asked, lambda q: answer(corpus, q)))
    report.bundled_questions = len(questions.BUNDLED)
    return index


def bundled_with_embeddings(work: Path) -> Path:
    """Built as `storybot index` builds it: the model's ready-to-load copy is written beside it."""
    from index.build import build_and_save
    from index.embed import cache_beside
    from index.service import load_embedder

    index = work / "bundled-semantic.json"
    build_and_save(ROOT / "stories", index, embedder=load_embedder(batch=True, cache=cache_beside(index)))
    return index


def synthetic(report: Report, work: Path, stories: int, sentences: int, count: int) -> None:
    """A newsroom of generated stories, built and loaded as `storybot index` and `ask` do, beside the peers."""
    from index.analyze import tokenize
    from index.answer import answer
    from index.corpus import Corpus

    folder = work / "stories"
    step(f"writing {stories} synthetic stories of {sentences} sentences")
    synth.write_stories(folder, stories, sentences)
    index = work / "synthetic.json"
    step(
        "a full build (index.build) and bm25s tokenizing, stemming and indexing the same passage texts, "
        "taking turns three times (fresh processes)"
    )
    builds, pipelines = [], []
    for _ in range(3):  # in turns, so that the machine's load, which comes and goes, hits both alike
        index.unlink(missing_ok=True)  # a full build each time
        builds.append(probe("build", str(folder), str(index)))
        pipelines.append(probe("bm25s", str(index)))
    report.build, report.bm25s_pipeline = median(builds), median(pipelines)
    report.index_mb = index.stat().st_size / 1e6
    step("rebuilding after one story changed, three times (a different story each time, fresh processes)")
    report.rebuild_one = median_run(lambda run: rebuild_one_changed(folder, index, run))
    step("loading it three times (Corpus.open, fresh process)")
    loads = sorted((probe("load", str(index)) for _ in range(3)), key=lambda r: r["seconds"])
    report.load = loads[1]
    report.load_rss_mb = max(r["rss_mb"] for r in loads)

    corpus = Corpus.open(index)
    asked = questions.synthetic(corpus, count)
    terms = {q: tokenize(q) for q in asked}
    asked = [q for q in asked if any(t in corpus.ranker for t in terms[q])]  # every ranker gets a real query
    report.asked = len(asked)
    step(f"{len(asked)} questions through index.answer.answer")
    report.answer = Latency.of(time_each(asked, lambda q: answer(corpus, q)))
    report.ranker = Latency.of(time_each(asked, lambda q: corpus.ranker.top(terms[q], 30)))

    passages = [[t for s in sents for t in s] for sents in corpus.sentence_terms]
    step("bm25s: indexing the same passages, then retrieve per question")
    best_bm25s, report.bm25s_build = peers.bm25s_retrieve(passages, 30)
    report.bm25s = Latency.of(time_each(asked, lambda q: best_bm25s(terms[q])))
    step("rank-bm25: indexing the same passages, then get_scores + argmax per question")
    best_scan, report.scan_build = peers.rank_bm25_full_scan(passages)
    report.scan = Latency.of(time_each(asked, lambda q: best_scan(terms[q]), warmup=2))
    report.same_top = sum(best_scan(terms[q]) == corpus.ranker.top(terms[q], 1)[0][0] for q in asked)
    report.stories, report.sentences, report.passages = stories, corpus.sentence_count, len(corpus.passages)


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median wall time: a shared machine's load comes and goes."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def median_run(run: Callable[[int], dict[str, float]], times: int = 3) -> dict[str, float]:
    return median([run(n) for n in range(times)])


def rebuild_one_changed(folder: Path, index: Path, run: int) -> dict[str, float]:
    """Append a sentence to one story (another one each run) and rebuild as `storybot index` does."""
    files = sorted(folder.iterdir())
    with files[(run * 7919) % len(files)].open("a", encoding="utf-8") as out:
        out.write(f"\nThe harbour board met again on day {run + 1} and said nothing new.\n")
    result = probe("build", str(folder), str(index))
    if result["reused"] != result["stories"] - 1:
        raise SystemExit(f"bench: a one-story rebuild analysed {result['stories'] - result['reused']:.0f} stories")
    return result


def probe(*args: str) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bench.probe", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        took = time.perf_counter() - started
        raise SystemExit(f"bench: `bench.probe {args[0]}` failed after {took:.1f} s:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout)
    return result


if __name__ == "__main__":
    sys.exit(main())
