"""Tune the question side of all-MiniLM-L6-v2 for finding the sentence that answers: `make fit` calls this.

The published model embeds a question and a sentence alike, so it finds the sentence most *like* the question,
which is often the one naming the same things, not the one answering it. Here the question side alone learns to
point at the answer: the biases and LayerNorm parameters of its encoder (BitFit: Ben Zaken, Goldberg and
Ravfogel, ACL 2022; 30,720 numbers beside the model's 22.7 million) are fitted so that, among a question's
candidate sentences (those `index.features.featurize` gives), the right ones come first by cosine. The sentences
keep the published model: an index's vectors, and the test of them against sentence-transformers, are unchanged.

Fitting uses torch and sentence-transformers (the `fit` extra), never the answer path: the parameters are written
as JSON (index/question_tuning.json) and ONNX Runtime runs them (index.embed, `tuning=`).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EPOCHS = 2
LEARNING_RATE = 1e-3
BATCH = 32
SCALE = 20.0  # cosines times this are the softmax's logits: what sentence-transformers' ranking losses use
SEED = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One question with its candidate sentences' vectors (published model) and which of them answer it."""

    question: str
    sentences: np.ndarray  # (candidates, 384) float32, unit rows
    labels: np.ndarray  # (candidates,) bool


def _model(model_zip: Path) -> Any:
    import sentence_transformers

    with tempfile.TemporaryDirectory(prefix="storybot-tune-") as folder:
        with zipfile.ZipFile(model_zip) as archive:
            archive.extractall(folder)
        return sentence_transformers.SentenceTransformer(folder, device="cpu")


def _key(name: str) -> str:
    """A sentence-transformers parameter name to the safetensors key of the same tensor."""
    return name.split(".", 2)[2]  # "0.model.encoder...." or, in older releases, "0.auto_model.encoder...."


def _tuned(name: str) -> bool:
    return (name.endswith(".bias") or ".LayerNorm." in name) and ".pooler." not in name  # mean pooling: no pooler


def fit(
    model_zip: Path, items: Sequence[Item], epochs: int = EPOCHS, learning_rate: float = LEARNING_RATE
) -> dict[str, np.ndarray]:
    """The question side's tuned parameters by safetensors key: a listwise softmax over each question's
    candidates, maximising the share of the right ones, with the sentences' vectors held fixed."""
    import torch

    torch.manual_seed(SEED)
    model = _model(model_zip)
    model.train()
    params = []
    for name, param in model.named_parameters():
        param.requires_grad = _tuned(name)
        if param.requires_grad:
            params.append(param)
    optimiser = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.0)
    used = [item for item in items if item.labels.any() and not item.labels.all()]
    order = np.arange(len(used))
    rng = np.random.default_rng(SEED)
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), BATCH):
            batch = [used[i] for i in order[start : start + BATCH]]
            features = getattr(model, "preprocess", model.tokenize)([item.question for item in batch])
            vectors = model(features)["sentence_embedding"]
            loss = vectors.new_zeros(())
            for row, item in enumerate(batch):
                logits = torch.from_numpy(item.sentences) @ vectors[row] * SCALE
                right = torch.from_numpy(item.labels)
                loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(logits[right], 0)
            optimiser.zero_grad()
            (loss / len(batch)).backward()
            optimiser.step()
    return {_key(n): p.detach().numpy().astype(np.float32).copy() for n, p in model.named_parameters() if _tuned(n)}


def reference_vectors(model_zip: Path, parameters: dict[str, np.ndarray], questions: Sequence[str]) -> np.ndarray:
    """The questions embedded by sentence-transformers with the tuned parameters in place: what ONNX Runtime
    must reproduce (tests/test_question_tuning.py)."""
    import torch

    model = _model(model_zip)
    encoder = getattr(model[0], "auto_model", None) or model[0].model
    state = encoder.state_dict()
    for key, value in parameters.items():
        state[key] = torch.from_numpy(value)
    encoder.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        out: np.ndarray = model.encode(list(questions), convert_to_numpy=True, normalize_embeddings=True)
    return out.astype(np.float32)
