"""Answer-quality tuning loop: the development sets scored in-process, with constants overridden.

    .venv/bin/python tools/tune_answer.py                     # the current figures
    .venv/bin/python tools/tune_answer.py W_CUE=0.3 W_LEAD=0  # what-if, without editing index/answer.py

Each index is built once in memory from ../shared (WikiQA documents as stories, exactly as the
shared scorer writes them), then every question is answered by index.answer.answer: a run takes a
few seconds, so a sweep over a constant is a shell loop. Tune on development sets only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import answer as answer_module  # noqa: E402
from index.build import build  # noqa: E402
from index.corpus import Corpus  # noqa: E402
from index.evaluate import parse_qa, parse_wikiqa, score_qa, score_wikiqa  # noqa: E402

SHARED = ROOT.parent / "shared"
STORY_SETS = [("third-trump-kim-summit.txt", "seed-dev.jsonl"), ("rail-strike-called-off.txt", "dev-story-qa.jsonl")]


def corpus_of(files: dict[str, str]) -> Corpus:
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        index, _ = build(Path(tmp))
    return Corpus(index)


def main(argv: list[str]) -> int:
    for arg in argv:
        name, _, value = arg.partition("=")
        if not hasattr(answer_module, name):
            print(f"index.answer has no constant {name}")
            return 2
        setattr(answer_module, name, float(value))
    for story, qa in STORY_SETS:
        corpus = corpus_of({story: (SHARED / "stories" / story).read_text(encoding="utf-8")})
        report = score_qa(
            parse_qa((SHARED / "eval" / qa).read_text(encoding="utf-8")),
            lambda q, c=corpus: answer_module.answer(c, q, None, 3),
        )
        for miss in report.misses:
            print(f"  miss: {miss.question!r} -> {'' if miss.answered else '[abstained] '}{miss.sentence[:80]!r}")
        print(f"{qa}: {report}")
    docs, questions = parse_wikiqa((SHARED / "eval" / "wikiqa" / "WikiQA-dev.tsv").read_text(encoding="utf-8"))
    corpus = corpus_of({f"{d.id}.txt": d.story_text() for d in docs.values()})
    start = time.perf_counter()
    wiki = score_wikiqa(docs, questions, lambda q, s: answer_module.answer(corpus, q, s, 40))
    per_question = (time.perf_counter() - start) * 1000 / len(questions)
    print(f"WikiQA dev: {wiki} ({per_question:.2f} ms a question)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
