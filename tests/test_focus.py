"""A question's predicate and counted noun, found without a tagger (made-up questions, never dev ones)."""

from __future__ import annotations

import pytest

from index.analyze import tokenize, words_and_terms
from index.focus import counts, focus


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("Who will succeed the mayor?", "succeed"),  # modal, then the verb
        ("How much did the city pay for the land?", "pay"),  # do-support: the verb after the subject
        ("How many workers were hired?", "hired"),  # be + participle
        ("When was the bridge built?", "built"),  # an irregular participle
        ("Who chairs the board?", "chairs"),  # a subject question: the verb right after "who"
        ("Which company built the bridge?", "built"),  # after the wh-phrase's noun
        ("What time does the last ferry leave on Sunday?", "leave"),
        ("When did Ortiz last meet Patel?", "meet"),  # a name after the verb is its object
        ("How long does the council have to decide?", "decide"),  # "have to" passes on to the verb
        ("When was the vote supposed to start?", "start"),
        ("Will the pipes be replaced?", "replaced"),  # a yes/no question
        ("Who is the mayor?", ""),  # no verb but the copula
        ("What happened to the ferry?", ""),  # a light verb says nothing the story must hold
        ("What did the mayor say?", ""),
    ],
)
def test_the_questions_verb(question: str, verb: str) -> None:
    assert focus(question).predicate_word == verb


def test_the_predicate_is_an_index_term() -> None:
    assert focus("Who will succeed the mayor?").predicate == tokenize("succeed")[0]


def test_how_many_counts_the_noun_phrase_up_to_its_plural() -> None:
    assert focus("How many diesel ferries does the harbor run?").counted == tuple(tokenize("diesel ferries"))
    assert focus("How many people were evacuated?").counted == tuple(tokenize("people"))
    assert focus("How much did it cost?").counted == ()


def test_a_number_must_stand_just_before_the_counted_noun() -> None:
    ferries = tuple(tokenize("ferries"))
    assert counts(ferries, _pairs("The authority runs twelve diesel ferries.")) is True
    assert counts(ferries, _pairs("About 2,000 daily riders use the ferries.")) is False  # the number counts riders
    assert counts(ferries, _pairs("The ferries were late in 2024.")) is False
    assert counts(ferries, _pairs("The budget is 5 million dollars.")) is None  # no ferries: any number may answer


def _pairs(sentence: str) -> tuple[tuple[str, str], ...]:
    return tuple(words_and_terms(sentence))
