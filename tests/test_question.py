"""Question analysis: its type, its frame words, acronyms and cues."""

from __future__ import annotations

import pytest

from index.question import cue, echoes, parse, spells_out


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("When did the strike start?", "when"),
        ("What year was it built?", "when"),
        ("Where is the summit?", "where"),
        ("Who leads the union?", "who"),
        ("How many riders use the line?", "number"),
        ("How much did it cost?", "number"),
        ("Why was it called off?", "why"),
        ("What did Moon say?", ""),
        ("Did police say why the road closed?", ""),  # asks whether the story tells
    ],
)
def test_question_type(question: str, qtype: str) -> None:
    assert parse(question).qtype == qtype


@pytest.mark.parametrize(
    ("question", "polar"),
    [
        ("Was the rail strike called off?", True),
        ("Will fares go up to pay for it?", True),
        ("And didn't the mayor object?", True),
        ("Is it final yet?", True),
        ("Did police say why the road closed?", False),  # asks for a reason the story may give
        ("Who leads the union?", False),
        ("What did Moon say?", False),
        ("The strike was called off?", False),
    ],
)
def test_a_yes_no_question_is_polar(question: str, polar: bool) -> None:
    assert parse(question).polar is polar


def test_the_frame_of_a_how_question_is_not_a_content_term() -> None:
    assert parse("How big is the raise?").terms == ("rais",)
    assert parse("How many riders use the line?").terms == ("rider", "use", "line")


def test_each_term_keeps_the_word_it_came_from() -> None:
    q = parse("Where were the talks held?")
    assert q.terms == ("talk", "hold")
    assert q.words == ("talks", "held")


def test_acronyms_are_found_and_spelled_out() -> None:
    assert parse("Will Trump visit the DMZ?").acronyms == (("dmz", "dmz"),)
    assert spells_out("dmz", "a visit to the demilitarized zone that divides")
    assert spells_out("fbi", "the Federal Bureau of Investigation said")
    assert spells_out("nato", "the North Atlantic Treaty Organization met")
    assert not spells_out("dmz", "a visit to the border zone")
    assert not spells_out("fbi", "federal agents")
    # a second letter from inside a word only where a prefix ends: "de|militarized", "inter|continental"
    assert spells_out("icbm", "an intercontinental ballistic missile")
    assert not spells_out("fbi", "Washington forced the British into retreat")


def test_a_cue_must_bring_something_the_question_did_not_name() -> None:
    known = frozenset(parse("Who won the 1998 World Cup?").terms)
    assert not cue("who", "The 1998 FIFA World Cup was held in France.", known | {"fifa"})
    assert cue("who", "The tournament was won by France, led by Didier Deschamps.", known)
    assert cue("when", "The trial starts on March 3.", frozenset())
    assert not cue("when", "It opened in 1998.", frozenset({"1998"}))
    assert cue("number", "It will cost $41 million.", frozenset())
    assert not cue("number", "It will be paid for without raising fares.", frozenset())


def test_an_embedded_question_is_echoed_by_a_sentence_reporting_on_it() -> None:
    q = parse("Did officials say when the bridge will reopen?")
    assert q.embedded == "when"
    assert echoes(q, "Officials did not say when the bridge would reopen.")
    assert echoes(q, "It is unclear whether the bridge will reopen this year.")
    assert not echoes(q, "The bridge will reopen in May, officials said.")
    assert not echoes(parse("When will the bridge reopen?"), "Officials did not say when.")
