"""The hybrid from standard parts, run by an interpreter that has torch and sentence-transformers (never storybot's
own runtime): bm25s's top 30 passages for a question, then all-MiniLM-L6-v2 on torch embeds the question and
the sentences of those passages are reranked by cosine. Also times sentence-transformers encoding every sentence
(batch 64), for the index build's comparison. Prints one JSON object.

    PYTHON -m bench.torch_side WORKDIR [EXTRA_SITE_PACKAGES ...]

WORKDIR holds input.json (texts, passage_first_sentence, questions, model_zip) and embeddings.npy: the
corpus's sentence vectors as storybot's own build computed them, reused here. EXTRA_SITE_PACKAGES are appended to
sys.path after this interpreter's own, so bm25s and PyStemmer may come from storybot's venv.

Torch and sentence-transformers are imported by name at run time: nothing under bench/ depends on them.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

TOP_PASSAGES = 30
BATCH = 64


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.extend(argv[1:])
    work = Path(argv[0])
    import bm25s
    import numpy as np

    torch: Any = importlib.import_module("torch")
    st: Any = importlib.import_module("sentence_transformers")
    given = json.loads((work / "input.json").read_text(encoding="utf-8"))
    texts: list[str] = given["texts"]
    first = np.asarray(given["passage_first_sentence"], dtype=np.int64)  # with the sentence count at the end
    questions: list[str] = given["questions"]
    vectors = np.load(work / "embeddings.npy")

    with tempfile.TemporaryDirectory(prefix="storybot-bench-st-") as folder:
        with zipfile.ZipFile(given["model_zip"]) as archive:
            archive.extractall(folder)
        started = time.perf_counter()
        model = st.SentenceTransformer(folder, device="cpu")
        model.eval()
        load_seconds = time.perf_counter() - started

    passage_texts = [" ".join(texts[first[p] : first[p + 1]]) for p in range(len(first) - 1)]
    stemmer = _stemmer()
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(
        bm25s.tokenize(passage_texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
    )

    vocab = retriever.vocab_dict

    def hybrid(question: str) -> int:
        words = bm25s.tokenize([question], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
        known = [w for w in words[0] if w in vocab]
        if not known:
            return -1  # nothing to retrieve by: the hybrid has no answer
        docs, _ = retriever.retrieve([known], k=min(TOP_PASSAGES, len(passage_texts)), show_progress=False)
        rows = np.concatenate([np.arange(first[p], first[p + 1]) for p in docs[0]])
        query = model.encode(question, convert_to_numpy=True, normalize_embeddings=True)
        return int(rows[int(np.argmax(vectors[rows] @ query))])

    for question in questions[:10]:  # warm: lazy imports, first-call allocations
        hybrid(question)
    latencies, top = [], []
    for question in questions:
        started = time.perf_counter()
        top.append(hybrid(question))
        latencies.append(time.perf_counter() - started)

    with torch.inference_mode():
        started, cpu = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=BATCH, convert_to_numpy=True, normalize_embeddings=True)
        encode_seconds, encode_cpu = time.perf_counter() - started, time.process_time() - cpu

    out = {
        "torch": torch.__version__,
        "sentence_transformers": st.__version__,
        "threads": torch.get_num_threads(),
        "load_seconds": load_seconds,
        "latencies": latencies,
        "top": top,
        "encode_seconds": encode_seconds,
        "encode_cpu_seconds": encode_cpu,
        "sentences": len(texts),
    }
    print(json.dumps(out))
    return 0


def _stemmer() -> Any:
    try:
        import Stemmer
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
