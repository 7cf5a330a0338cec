"""The tokenizer: the same terms for a question and the passage that answers it."""

from __future__ import annotations

import pytest

from index.analyze import tokenize, words_and_terms


@pytest.mark.parametrize(
    ("question", "passage"),
    [
        ("What did she say?", "she said"),  # irregular verbs
        ("Who leads the union?", "union leader"),
        ("the third summit", "the 3rd summit"),  # ordinals, spelled or numbered
        ("two lanes", "2 lanes"),  # small cardinals
        ("running trains", "the train runs"),  # stemming
        ("the U.S. position", "the US position"),  # dotted and plain acronyms
        ("6 percent", "6%"),
        ("face-to-face talks", "face to face talks"),  # hyphens split
        ("the union's offer", "the union offer"),  # possessives
        ("Where did Yesun Temur die?", "Yesün Temür died"),  # accents on Latin letters
        ("a cafe in Zurich", "a CAFÉ in Zürich"),
    ],
)
def test_question_and_passage_meet_on_the_same_terms(question: str, passage: str) -> None:
    assert tokenize(question)
    assert set(tokenize(question)) == set(tokenize(passage))


def test_an_all_caps_acronym_is_not_taken_for_a_stopword() -> None:
    assert "us" in tokenize("Sanctions by the US")
    assert "us" not in tokenize("They told us")


def test_numbers_keep_their_digits_and_lose_their_commas() -> None:
    assert tokenize("roughly 210,000 daily riders") == ["rough", "210000", "daili", "rider"]
    assert "4.5" in tokenize("a 4.5 percent raise")


def test_stopwords_go_but_negations_and_before_after_stay() -> None:
    terms = tokenize("It was not the one before the other")
    assert "not" in terms
    assert "befor" in terms
    assert "the" not in terms


def test_words_and_terms_pairs_each_term_with_its_unstemmed_word() -> None:
    assert words_and_terms("The DMZ talks were held") == [("dmz", "dmz"), ("talks", "talk"), ("held", "hold")]
    assert [t for _, t in words_and_terms("Summits held in Japan")] == tokenize("Summits held in Japan")


def test_marks_that_are_part_of_a_non_latin_letter_stay() -> None:
    # the Devanagari virama is a combining mark, as an accent is, but dropping it would change the word
    assert tokenize("हिन्दी") != tokenize("हिनदी")
