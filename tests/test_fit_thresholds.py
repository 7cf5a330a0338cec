"""How `make fit` chooses the minimum confidence (tools/fit_answer.py): on the news set, the kind of story
the bot serves, not on the data sets written half unanswerable."""

from __future__ import annotations

from tests.fit_tool import fit_answer

F = fit_answer()


def _set(dataset: str, right: list[float], wrong: list[float], unanswerable: list[float]) -> list[object]:
    """Outcomes: answerable questions whose top sentence is right or wrong, and unanswerable ones, at
    the given confidences."""
    return (
        [F.Outcome(dataset, True, c, True, 1.0) for c in right]
        + [F.Outcome(dataset, True, c, False, 0.5) for c in wrong]
        + [F.Outcome(dataset, False, c, False, 0.0) for c in unanswerable]
    )


# A news set whose answerable questions sit at 0.3 and up, its unanswerable ones under 0.2; a SQuAD-like
# set with many unanswerable ones at 0.55 and its right answers at 0.65 and up.
NEWS = _set("news", right=[0.30 + 0.01 * i for i in range(30)], wrong=[0.25] * 5, unanswerable=[0.1] * 10)
SQUAD = _set("squad", right=[0.65 + 0.01 * i for i in range(20)], wrong=[0.3] * 10, unanswerable=[0.55] * 60)


def test_the_minimum_is_chosen_on_the_news_set_when_it_is_there() -> None:
    best, low = F.choose_thresholds(NEWS + SQUAD)
    assert 0.2 <= best <= 0.3  # everything the news set answers, nothing it must refuse
    assert low <= best


def test_without_the_news_set_the_data_sets_mean_accuracy_chooses() -> None:
    best, _ = F.choose_thresholds(SQUAD)
    assert 0.55 < best <= 0.65


def test_one_lucky_threshold_of_a_small_set_does_not_pick_the_minimum() -> None:
    # at exactly 0.31 six right answers are kept and five unanswerable questions refused: the best
    # accuracy of any single threshold, and of no neighbour; 0.51-0.60 is nearly as good and ten steps wide
    spike = _set(
        "news",
        right=[0.31] * 6 + [0.6 + 0.01 * i for i in range(20)],
        wrong=[],
        unanswerable=[0.30] * 5 + [0.5] * 4,
    )
    best, _ = F.choose_thresholds(spike)
    assert 0.5 < best <= 0.6


def test_where_the_news_set_is_level_the_other_sets_choose_within_that_level() -> None:
    # one news question of 300 (right, at 0.35) is all that separates 0.15 from 0.55 for the news set: too
    # little to choose by, so SQuAD's unanswerable questions at 0.4 choose a minimum above them
    news = _set("news", right=[0.35] + [0.6 + 0.001 * i for i in range(200)], wrong=[], unanswerable=[0.1] * 99)
    squad = _set("squad", right=[0.7] * 20, wrong=[], unanswerable=[0.4] * 40)
    best, _ = F.choose_thresholds(news + squad)
    assert 0.4 < best < 0.6
    # a clear difference on the news set still decides alone: with 20 of its questions at 0.35, it is 0.35
    news = _set("news", right=[0.35] * 20 + [0.6 + 0.001 * i for i in range(180)], wrong=[], unanswerable=[0.1] * 99)
    best, _ = F.choose_thresholds(news + squad)
    assert 0.1 < best <= 0.35
