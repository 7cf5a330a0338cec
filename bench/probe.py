"""Run in a fresh process so its time and peak memory are storybot's alone, then print them as JSON.

python -m bench.probe build STORIES INDEX
python -m bench.probe load INDEX
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"] and len(argv) == 3:
        from index.build import build_and_save

        start = time.perf_counter()
        report = build_and_save(Path(argv[1]), Path(argv[2]))
        seconds = time.perf_counter() - start
        passages = sum(s.passages for s in report.stories)
        out = {"seconds": seconds, "rss_mb": peak_rss_mb(), "stories": len(report.stories), "passages": passages}
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
