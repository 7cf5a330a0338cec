"""The index records which tokenizer made its terms; this pins that tokenizer's behaviour to its name."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from index.analyze import ANALYZER, tokenize
from index.store import IndexFileError, load

SAMPLE = [
    "The U.S. and North Korea's 3rd summit: Moon said talks were face-to-face.",
    "Union accepts 6% raise; 210,000 riders at 4 a.m. Monday, $41 million, 4.5 days.",
    "He didn’t say who participated — leaders, children and women went; DMZ, G20, e-mail/post.",
    "Zürich ﬁnance Ⅻ naïve CAFÉ first twentieth 21st one twelve",
]
# ANALYZER -> digest of tokenize(SAMPLE). Changing the tokenizer means a new ANALYZER and a line here.
KNOWN = {"2026.11-1": "d6798d0dac64f8dd", "2026.12-1": "e88ae0e5f5611366"}


def test_tokenizer_output_matches_its_name() -> None:
    digest = hashlib.sha256(json.dumps([tokenize(s) for s in SAMPLE]).encode()).hexdigest()[:16]
    assert KNOWN.get(ANALYZER) == digest, (
        f"tokenize() output changed ({digest}): bump ANALYZER in index/analyze.py and add it to KNOWN, "
        "so indexes built by the old tokenizer are rebuilt rather than silently mismatched"
    )


def test_an_index_from_another_tokenizer_names_the_fix(index_path: Path) -> None:
    raw = json.loads(index_path.read_bytes())
    raw["analyzer"] = "1999.01-1"
    index_path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexFileError, match=r"tokenizer '1999.01-1'.*rebuild it with `storybot index`"):
        load(index_path)


def test_the_index_file_is_readable_by_other_users(index_path: Path) -> None:
    assert index_path.stat().st_mode & 0o044 == 0o044
