"""Every sentence's coarse score for a question as one int8 product in ONNX Runtime.

index/vectors.py shortlists a large search by each sentence's leading principal components. As float32 those
are 512 bytes a sentence, and a question's pass over them is bound by memory, not arithmetic: at 100k
sentences, 51 MB read for every question. Here each component is kept as int8 (scaled per component to its
largest value), a quarter of the bytes, and ONNX Runtime's MatMulInteger multiplies them with the question
quantized to uint8 (one scale: it only orders sentences). ONNX Runtime packs the int8 matrix once, when the
session is made, for its integer kernels. The scores only choose the shortlist; every cosine the answer sees is
still exact (index/vectors.py).

The graph is one node. Its int8 matrix has the index's own shape, so it is written here, per index, as the few
bytes of protobuf an ONNX model is (no `onnx` package at run time), and the matrix itself is handed to ONNX
Runtime as an external initializer, as index/embed.py hands it the model's weights.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

_ZERO = 128  # the uint8 question's zero point: its values are centred on it
_OPSET = 17
_IR_VERSION = 8
# ONNX's enums, as onnx.proto numbers them
_INT8, _UINT8, _INT32 = 3, 2, 6
_EXTERNAL = 1


def quantize(columns: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32 (components, sentences) to int8 on each component's scale (its largest magnitude / 127)."""
    out: np.ndarray = np.clip(np.rint(columns / scale[:, None]), -127, 127).astype(np.int8)
    return out


class CoarseScorer:
    """The int8 components of every sentence, scored against a question's in one product. The ONNX Runtime
    session is made on the first search (a process answering by words alone never imports it), and then holds
    the only copy of the matrix."""

    def __init__(self, quantized: np.ndarray, scale: np.ndarray) -> None:
        if quantized.dtype != np.int8 or quantized.ndim != 2 or scale.shape != (quantized.shape[0],):
            raise ValueError("the coarse matrix is int8, one row per component, with one scale per component")
        self._quantized: np.ndarray | None = quantized
        self._scale = scale.astype(np.float32)
        self.dimensions, self.count = quantized.shape
        self._session: Any = None
        self._lock = threading.Lock()

    def scores(self, projected: np.ndarray) -> np.ndarray:
        """Every sentence's score (int32, in index order) for a question's components (float32): in the order of
        the float32 product's, up to the rounding of both sides."""
        weighted = projected * self._scale
        largest = float(np.abs(weighted).max())
        step = largest / 127.0 if largest > 0 else 1.0
        query = (np.rint(weighted / step) + _ZERO).astype(np.uint8)[None, :]
        out: np.ndarray = self._ready().run(None, {"query": query, "query_zero": np.array(_ZERO, dtype=np.uint8)})[0][0]
        return out

    def _ready(self) -> Any:
        with self._lock:
            if self._session is None:
                assert self._quantized is not None  # noqa: S101 - kept until the session holds it
                self._session = _session(self._quantized)
                self._quantized = None
            return self._session


def _session(matrix: np.ndarray) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # memory-bound, as the float product was (bot/__init__.py)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    # copied into the session, so the caller's array can go
    options.add_external_initializers(["coarse"], [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(matrix))])
    graph = model_bytes(*matrix.shape)
    return ort.InferenceSession(graph, sess_options=options, providers=["CPUExecutionProvider"])


def model_bytes(dimensions: int, count: int) -> bytes:
    """An ONNX model: scores[1, count] = MatMulInteger(query[1, dimensions] uint8, coarse int8, query_zero),
    its one initializer `coarse` (dimensions x count) left external, to be given at load."""
    node = _message(1, b"query") + _message(1, b"coarse") + _message(1, b"query_zero")
    node += _message(2, b"scores") + _message(4, b"MatMulInteger")
    location = _message(1, b"location") + _message(2, b"supplied-at-load")
    initializer = _ints(1, [dimensions, count]) + _varint_field(2, _INT8) + _message(8, b"coarse")
    initializer += _message(13, location) + _varint_field(14, _EXTERNAL)
    graph = _message(1, node) + _message(2, b"coarse") + _message(5, initializer)
    graph += _message(11, _value_info(b"query", _UINT8, [1, dimensions]))
    graph += _message(11, _value_info(b"query_zero", _UINT8, []))
    graph += _message(12, _value_info(b"scores", _INT32, [1, count]))
    opset = _message(1, b"") + _varint_field(2, _OPSET)
    return _varint_field(1, _IR_VERSION) + _message(2, b"storybot") + _message(7, graph) + _message(8, opset)


def _value_info(name: bytes, element: int, shape: list[int]) -> bytes:
    dims = b"".join(_message(1, _varint_field(1, size)) for size in shape)
    tensor = _varint_field(1, element) + _message(2, dims)
    return _message(1, name) + _message(2, _message(1, tensor))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _message(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _ints(number: int, values: list[int]) -> bytes:
    return b"".join(_varint_field(number, v) for v in values)
