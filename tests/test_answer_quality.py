"""The behaviours answer quality rests on, each on a small made-up story (never a dev question).

These were written for hand-set weights. With the fitted model (index/answer_model.json) what they pin
is the ranking (the right sentence on top) and the abstentions; a right answer needs only to be
offered: answered, or in the middle band, shown as what the story may say. How sure the model is of a
made-up story's answer is for the fitted calibration to say, not for a test. These use the lexical
weights (no embedding model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.answer import answer
from index.build import build
from index.corpus import Corpus

HARBOR = """Harbor ferry fleet to be replaced by electric boats

The Westport Harbor Authority voted to replace its twelve diesel ferries with electric boats, chair Lena Ortiz said.
The first electric ferry will enter service in March 2027 at the Pier Nine terminal in Oldtown.
The authority said the new fleet would cost 84 million dollars, paid for by a federal grant.
Critics on the council argued that the batteries had not been tested in winter storms.

Ortiz said the diesel boats were retired because their engines failed inspections twice last year.
She did not say who would build the new boats.
The National Maritime Safety Board will review the battery design before the first crossing.
"""

BAKERY = """Old bakery reopens on Main Street

A bakery that closed during the pandemic reopened on Saturday with a new owner, Sam Patel.
Patel bought the building from the city and kept the original brick oven.
"""


def _corpus(tmp_path: Path, **stories: str) -> Corpus:
    folder = tmp_path / "stories"
    folder.mkdir()
    for name, text in stories.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    index, _ = build(folder)
    return Corpus(index)


@pytest.fixture(scope="module")
def harbor(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return _corpus(tmp_path_factory.mktemp("harbor"), harbor=HARBOR, bakery=BAKERY)


def _top(corpus: Corpus, question: str, story: str | None = "harbor") -> tuple[bool, str]:
    """Whether the answer is offered (answered, or in the middle band), and the top sentence."""
    result = answer(corpus, question, story, 3)
    assert result.best is not None
    return result.answered or result.maybe, result.best.sentence.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "when": the sentence with a date, not the one that only shares the question's words
        ("When will the first electric ferry enter service?", "March 2027"),
        # "where": a place the question did not name
        ("Where will the first electric ferry enter service?", "Pier Nine"),
        # "how much": the frame word "much" need not appear; the amount is the cue
        ("How much will the new fleet cost?", "84 million"),
        # "who": a person's name
        ("Who chairs the harbor authority?", "Lena Ortiz"),
        # "why": a reason
        ("Why were the diesel boats retired?", "because their engines failed"),
    ],
)
def test_question_type_cues_pick_the_sentence_holding_what_is_asked(
    harbor: Corpus, question: str, expected: str
) -> None:
    answered, sentence = _top(harbor, question)
    assert answered
    assert expected in sentence


def test_how_many_answers_with_a_number_without_needing_the_word_many(harbor: Corpus) -> None:
    answered, sentence = _top(harbor, "How many diesel ferries does the harbor run?")
    assert answered
    assert "twelve diesel ferries" in sentence


def test_abstains_when_the_questions_rare_words_are_nowhere_in_the_story(harbor: Corpus) -> None:
    for question in (
        "What did the mayor say about the cruise terminal lawsuit?",
        "When will the harbor ferry lawsuit go to trial?",
        "How many lifeguards were hired for the beaches?",
        "Who won the regatta?",
    ):
        assert not answer(harbor, question, "harbor", 3).answered, question


def test_abstains_on_a_question_sharing_only_the_storys_common_words(harbor: Corpus) -> None:
    answered, _ = _top(harbor, "What is the price of a monthly parking permit at the harbor?")
    assert not answered


def test_answers_when_only_common_words_of_the_question_are_phrased_otherwise(harbor: Corpus) -> None:
    # "think" is not in the story; the rare words (batteries, winter, storms) are
    answered, sentence = _top(harbor, "What do critics think about the batteries in winter storms?")
    assert answered
    assert "winter storms" in sentence


def test_an_acronym_in_the_question_matches_its_spelled_out_form(harbor: Corpus) -> None:
    answered, sentence = _top(harbor, "What will the NMSB review?")
    assert answered
    assert "National Maritime Safety Board" in sentence


def test_a_sentence_opening_with_a_pronoun_counts_the_previous_sentences_subject(harbor: Corpus) -> None:
    # "She" is Ortiz: the answer sentence never names her
    answered, sentence = _top(harbor, "Did Ortiz say who would build the new boats?")
    assert answered
    assert "did not say who would build" in sentence


def test_an_embedded_question_is_answered_by_the_sentence_reporting_on_it(harbor: Corpus) -> None:
    answered, sentence = _top(harbor, "Did the authority say who will build the boats?")
    assert answered
    assert sentence.startswith("She did not say who")


def test_the_lead_answers_a_question_about_the_headline(harbor: Corpus) -> None:
    _, sentence = _top(harbor, "Why is the ferry fleet being replaced?")
    assert "voted to replace" in sentence


def test_ordinals_match_whether_spelled_or_numbered(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path,
        race="""Marathon results

The 3rd stage of the race was cancelled because of flooding on the coastal road.
The fourth stage went ahead in the hills under clear skies.
""",
    )
    answered, sentence = _top(corpus, "Why was the third stage cancelled?", "race")
    assert answered
    assert "3rd stage" in sentence


def test_unscoped_questions_find_the_right_story(harbor: Corpus) -> None:
    answered, sentence = _top(harbor, "Who bought the bakery building?", None)
    assert answered
    assert "Patel bought the building" in sentence


def test_a_question_of_stopwords_only_abstains_without_hits(harbor: Corpus) -> None:
    result = answer(harbor, "What is it?", "harbor", 3)
    assert not result.answered
    assert result.hits == ()


def test_a_caption_fragment_does_not_outrank_a_full_sentence(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path,
        pump="""Diaphragm pump

Diaphragm pump schematic.
A diaphragm pump moves liquid by flexing a rubber membrane back and forth inside a sealed chamber.
""",
    )
    _, sentence = _top(corpus, "How does a diaphragm pump work?", "pump")
    assert sentence.startswith("A diaphragm pump moves liquid")


def test_abstains_when_the_story_names_the_subject_but_not_what_is_asked(harbor: Corpus) -> None:
    # Ortiz, the ferries and the terminal are in the story; buying, visiting, driving and selling are not
    # (and these verbs are too common in English for the rare-word rule to miss them)
    for question in (
        "Who will buy the old diesel ferries?",
        "When will Ortiz visit the terminal?",
        "Who will drive the electric ferries?",
        "Where will the diesel ferries be sold?",
    ):
        assert not answer(harbor, question, "harbor", 3).answered, question


def test_a_how_many_question_wants_a_number_counting_its_noun(harbor: Corpus) -> None:
    # the critics are named, but no number counts them; the ferries are counted
    assert not answer(harbor, "How many critics were on the council?", "harbor", 3).answered
    answered, sentence = _top(harbor, "How many ferries will be replaced?")
    assert answered
    assert "twelve diesel ferries" in sentence


def test_a_count_of_the_asked_noun_answers_though_the_verb_is_phrased_otherwise(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path,
        storm="""Storm closes schools

The storm closed schools across the county and kept about 12,000 pupils at home on Tuesday.
Forecasters expect the wind to ease by the weekend.
""",
    )
    # "affected" is not in the story, but "12,000 pupils" counts the pupils asked about
    _, sentence = _top(corpus, "How many pupils did the storm affect?", "storm")
    assert "12,000 pupils" in sentence


def test_unscoped_questions_prefer_the_story_holding_the_questions_other_terms(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path,
        **{
            "a-bus": "Transit update\n\nThe new service will start in June.\n\nThe buses were built in Spain.\n",
            "b-ferry": "Harbour update\n\nThe new service will start in March.\n\nThe boats were built in Norway.\n",
        },
    )
    # both stories say when "the new service" starts; only the ferry story has anything from Norway
    result = answer(corpus, "When will the new service from Norway start?", None, 3)
    assert result.best is not None
    assert result.best.passage.story_id == "b-ferry"
    assert "March" in result.best.sentence.text
