"""Near-miss and mixed-index checks on the project's own QA sets (tools/qa/*.jsonl).

    .venv/bin/python tools/qa_sets.py            # tune.jsonl and heldout.jsonl
    .venv/bin/python tools/qa_sets.py -v         # and every miss

Each line is {"story", "q", "gold": [...]} or {"story", "q", "abstain": true}. Scored three ways:
- alone: an index of that one story, the question unscoped (what `run-dev-evals` does);
- together: one index of every story of both sets, the question unscoped (the bot's default);
- crowded: that index plus the first 50 WikiQA dev documents as stories (read from ../shared at run
  time, never copied), still unscoped; an answer from another story is wrong.
Both are checks: the answer model is fitted on WikiQA train and SQuAD 2.0 (tools/fit_answer.py), never on these.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.answer import answer  # noqa: E402
from index.build import build  # noqa: E402
from index.corpus import Corpus  # noqa: E402
from index.evaluate import parse_wikiqa  # noqa: E402

SHARED = ROOT.parent / "shared"

QA = ROOT / "tools" / "qa"
STORY_DIRS = [QA / "stories", ROOT / "stories", ROOT / "tests" / "fixtures", ROOT / "tests" / "fixtures" / "scraped"]
WIKI_DOCS = 50


def corpus_of(files: dict[str, str]) -> Corpus:
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        index, _ = build(Path(tmp))
    return Corpus(index)


def _story_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in STORY_DIRS:
        for path in sorted(folder.iterdir()):
            if path.suffix in (".txt", ".md", ".html") and path.stem not in found:
                found[path.stem] = path
    return found


def _score(corpus: Corpus, items: list[dict[str, object]], verbose: bool, label: str) -> tuple[int, int, int, int]:
    ok = answerable = abstained = unanswerable = 0
    for item in items:
        result = answer(corpus, str(item["q"]), None, 3)
        best = result.best
        top = best.sentence.text if best else ""
        same_story = best is not None and best.passage.story_id == item["story"]
        if item.get("abstain"):
            unanswerable += 1
            good = not result.answered
            abstained += good
        else:
            answerable += 1
            gold = [str(g).lower() for g in item["gold"]]  # type: ignore[attr-defined]
            good = result.answered and same_story and any(g in " ".join(top.split()).lower() for g in gold)
            ok += good
        if verbose and not good and not label.startswith("heldout"):
            where = "" if same_story or best is None else f"[{best.passage.story_id}] "
            print(f"  {label} miss: {item['q']!r} -> {'' if result.answered else '[abstained] '}{where}{top[:90]!r}")
    return ok, answerable, abstained, unanswerable


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    files = _story_files()
    sets = {
        name: [json.loads(line) for line in (QA / f"{name}.jsonl").read_text().splitlines() if line.strip()]
        for name in ("tune", "heldout")
    }
    used = sorted({str(i["story"]) for items in sets.values() for i in items})
    texts = {f"{s}{files[s].suffix}": files[s].read_text(encoding="utf-8") for s in used}
    together = corpus_of(texts)
    docs, _ = parse_wikiqa((SHARED / "eval" / "wikiqa" / "WikiQA-dev.tsv").read_text(encoding="utf-8"))
    wiki = {f"{d.id}.txt": d.story_text() for d in list(docs.values())[:WIKI_DOCS]}
    crowded = corpus_of(texts | wiki)
    for name, items in sets.items():
        alone = [0, 0, 0, 0]
        for story in sorted({str(i["story"]) for i in items}):
            corpus = corpus_of({f"{story}{files[story].suffix}": texts[f"{story}{files[story].suffix}"]})
            part = _score(corpus, [i for i in items if i["story"] == story], verbose, f"{name}/alone")
            alone = [a + b for a, b in zip(alone, part, strict=True)]
        for label, result in (
            ("alone", alone),
            ("together", _score(together, items, verbose, f"{name}/together")),
            (f"crowded+{WIKI_DOCS}wiki", _score(crowded, items, verbose, f"{name}/crowded")),
        ):
            ok, n, ab, m = result
            print(f"{name:8} {label:16} answered right {ok}/{n}, abstained right {ab}/{m}, all {ok + ab}/{n + m}")
    dev_files = {"third-trump-kim-summit": "seed-dev.jsonl", "rail-strike-called-off": "dev-story-qa.jsonl"}
    dev = [
        dict(json.loads(line), story=story)
        for story, name in dev_files.items()
        for line in (SHARED / "eval" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    ok, n, ab, m = _score(crowded, dev, verbose, "dev/crowded")
    label = f"crowded+{WIKI_DOCS}wiki"
    print(f"{'dev':8} {label:16} answered right {ok}/{n}, abstained right {ab}/{m}, all {ok + ab}/{n + m}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
