"""The plain-paragraph sentence splitter gives syntok's answers: on generated paragraphs built to hit
every rule syntok applies at a full stop, and on the stories shipped with the tests."""

from __future__ import annotations

import random

import pytest
from syntok import segmenter

from index.clean import clean
from index.read import read_story, story_files
from index.segment import plain_starts, sentence_starts
from tests.conftest import BUNDLED, FIXTURES

# words that syntok's rules single out (abbreviations, months, sentence starters, single letters,
# roman numerals, "No", numbers), next to ordinary ones, in every case
SPECIAL = (
    "Mr Dr etc approx Jan Sept Dec Mon Fr St Co Inc vs no No NO The However It And A I X IV XXI V b c e o "
    "a U K 3 5 12 2019 100 07 Do Du En De de Ms Gen fig Fig"
).split()
PLAIN = "summit talks said leaders border Korea Moon went north South city Union riders strike".split()
JOINED = "didn't Korea's don't n't can't rock'n'roll face-to-face Anglo-American O'Neil x-ray T-B it’s won’t".split()
MARKS = ["", "", "", "", ".", ".", ".", ",", "?", "!", ";", ":"]


def _word(rng: random.Random) -> str:
    pool = rng.choice((SPECIAL, SPECIAL, PLAIN, JOINED))
    word = rng.choice(pool)
    case = rng.random()
    if case < 0.15:
        word = word.upper()
    elif case < 0.3:
        word = word.capitalize()
    elif case < 0.4:
        word = word.lower()
    return word + rng.choice(MARKS)


def _paragraph(rng: random.Random) -> str:
    space = "  " if rng.random() < 0.1 else " "
    return space.join(_word(rng) for _ in range(rng.randint(1, 30)))


def _syntok(text: str) -> list[int]:
    starts = [sent[0].offset for para in segmenter.analyze(text) for sent in para if sent]
    return [0, *starts[1:]] if starts else starts


def test_generated_paragraphs_split_as_syntok_splits_them() -> None:
    rng = random.Random(13)
    checked = 0
    for _ in range(3000):
        text = _paragraph(rng)
        got = plain_starts(text)
        if got is None:  # "iPhone"-like case turns go to syntok itself
            continue
        checked += 1
        assert got == _syntok(text), text
    assert checked > 2500


def test_the_shipped_stories_split_as_syntok_splits_them() -> None:
    paragraphs = [
        p.text
        for folder in (BUNDLED, FIXTURES, FIXTURES / "scraped")
        for path in story_files(folder)
        for p in clean(read_story(path)).paragraphs
    ]
    assert len(paragraphs) > 20
    for text in paragraphs:
        assert sentence_starts(text) == _syntok(text), text


@pytest.mark.parametrize(
    "text",
    [
        'He said "no." Then left.',  # quotes
        "It rose 4.9% (a record).",  # brackets, decimals, percent
        "Zürich won. Then Bern.",  # letters outside ASCII
        "He met an iPhone user.",  # a case turn inside a word
        "Tabs\there. Too.",
        "",
    ],
)
def test_anything_else_is_left_to_syntok(text: str) -> None:
    assert plain_starts(text) is None
    assert sentence_starts(text) == _syntok(text)
