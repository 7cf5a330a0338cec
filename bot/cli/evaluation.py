"""`storybot eval FILE`: answer quality on a QA file (shared JSONL format) or a WikiQA TSV.

The index is built in memory (or, for WikiQA, in a temporary folder), never over the user's own,
and every question is answered in-process, so a full WikiQA split takes seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.startup import settings_for
from bot.errors import UsageError
from index.text import plural

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from index.corpus import Corpus
    from index.evaluate import Calibration


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "eval",
        help="score answers on a QA file (.jsonl) or a WikiQA TSV (.tsv)",
        description='QA lines: {"q": ..., "gold": [substring of the right sentence, ...]} or {"q": ..., '
        '"abstain": true}, asked of the stories in --stories. A WikiQA TSV: each document becomes a story and '
        "each question is asked of its own; prints MRR and P@1 on answerable questions and answer-triggering "
        "precision, recall and F1 on all. Both print the expected calibration error of the answers' confidence "
        "and (unless --quiet) its 10-bin reliability table.",
        epilog="example: storybot eval ../shared/eval/dev-story-qa.jsonl --stories ../shared/stories",
    )
    p.add_argument("file", type=Path, help="a .jsonl QA file or a WikiQA .tsv")
    p.add_argument("--stories", type=Path, help="stories folder for a QA file (default: STORYBOT_STORIES_DIR)")
    p.add_argument("-k", type=int, default=40, help="answers ranked per WikiQA question, for MRR (default 40)")
    p.add_argument(
        "--quiet", action="store_true", help="print only the totals, not each miss or the reliability table"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from index.evaluate import EvalFileError

    if args.k < 1:
        raise UsageError("-k must be at least 1")
    try:
        text = args.file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.file}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{args.file} is not UTF-8 text") from None
    try:
        if args.file.suffix.lower() == ".tsv":
            return _wikiqa(text, args)
        return _qa(text, args)
    except EvalFileError as exc:
        raise UsageError(f"{args.file}: {exc}") from None


def _qa(text: str, args: argparse.Namespace) -> int:
    from index.answer import answer
    from index.evaluate import parse_qa, score_qa

    items = parse_qa(text)
    settings = settings_for(args)
    corpus, embed = _corpus(settings.stories_dir, settings.semantic)
    least = settings.min_confidence
    report = score_qa(items, lambda q: answer(corpus, q, None, 3, min_confidence=least, embed=embed))
    if not args.quiet:
        for miss in report.misses:
            shown = "" if miss.answered else "[abstained] "
            print(f"miss: {miss.question!r} -> {shown}{miss.sentence[:90]!r}")
    print(f"{args.file.name}: {report}")
    _print_calibration(report.calibration, args.quiet)
    return 0


def _wikiqa(text: str, args: argparse.Namespace) -> int:
    from index.answer import answer
    from index.evaluate import parse_wikiqa, score_wikiqa

    settings = settings_for(args)
    docs, questions = parse_wikiqa(text)
    # story ids are file names: make each document's id one, the same for its questions
    docs = {_safe(d.id): replace(d, id=_safe(d.id)) for d in docs.values()}
    questions = [replace(q, doc=_safe(q.doc)) for q in questions]
    with tempfile.TemporaryDirectory(prefix="storybot-eval-") as tmp:
        folder = Path(tmp)
        for doc in docs.values():
            (folder / f"{_safe(doc.id)}.txt").write_text(doc.story_text(), encoding="utf-8")
        corpus, embed = _corpus(folder, settings.semantic)
    least = settings.min_confidence
    report = score_wikiqa(
        docs, questions, lambda q, story: answer(corpus, q, story, args.k, min_confidence=least, embed=embed)
    )
    if report.wrong_story:
        print(f"{plural(report.wrong_story, 'answer')} from another story than the one asked about", file=sys.stderr)
    print(f"WikiQA {args.file.stem}: {report}")
    _print_calibration(report.calibration, args.quiet)
    return 0


def _print_calibration(calibration: Calibration, quiet: bool) -> None:
    """The confidence's expected calibration error; the reliability table too unless --quiet."""
    print(f"confidence: expected calibration error {calibration.ece:.3f} (10 bins)")
    if not quiet:
        print(calibration.table())


def _safe(doc_id: str) -> str:
    """A document id as a file name (and so a story id): WikiQA's are like D123, others may not be."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in doc_id) or "_"


def _corpus(folder: Path, semantic: bool) -> tuple[Corpus, Callable[[str], np.ndarray] | None]:
    """The stories in memory, with their sentence embeddings and a question embedder when semantic."""
    from index.build import build
    from index.corpus import Corpus
    from index.service import load_embedder, load_question_embedder

    embedder = load_embedder(batch=True) if semantic else None
    index, _ = build(folder, embedder=embedder)
    return Corpus(index), (load_question_embedder().model.embed_one if semantic else None)
