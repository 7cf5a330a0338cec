"""Follow-up questions understood from the conversation, and questions about the story answered from its metadata.

The questions here are made up for these tests on the bundled summit story and the rail story: the
development conversations (../shared/eval/dev-dialogues.jsonl) are a check, scored by run-dev-evals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import meta
from index.dialogue import FOLLOW, NEXT, SPEAKER, Turn, recent_turns, remember, resolve, speaker, topic
from index.service import AnswerService
from tests.conftest import RAIL, SEED
from tests.storybot_run import run

SUMMIT_SENTENCE = "in an unspecified time and place"


def _turn(question: str, sentence: str = "", story: str = "", passage_id: str = "") -> Turn:
    return Turn(question, question, sentence, passage_id, story, bool(sentence))


def _talk(service: AnswerService, *questions: str, story: str | None = None) -> list[tuple[str, bool, str]]:
    """Each question asked in one conversation: (understood, answered, best sentence)."""
    turns: list[Turn] = []
    out = []
    for q in questions:
        ex = service.converse(q, story, turns, 3)
        turns.append(ex.turn)
        best = ex.answer.best
        out.append((ex.understood, ex.answer.answered, best.sentence.text if best else ""))
    return out


# ---- resolution, on text alone ----


@pytest.mark.parametrize(
    "question",
    ["Who wrote the letter to Trump?", "Where is the third summit?", "How many riders use the trains?", "Why?"],
)
def test_a_question_with_no_conversation_is_left_as_it_is(question: str) -> None:
    r = resolve(question, [])
    assert r.understood == question
    assert not r.follows


def test_a_question_that_stands_on_its_own_is_unchanged_after_other_turns() -> None:
    turns = [_turn("Who is Carl Beaumont?", "Regional transit chief Carl Beaumont said the contract would cost more.")]
    for q in ("How many lifeguards are the parks hiring?", "Where is the third summit?", "What did Moon Jae-in say?"):
        r = resolve(q, turns)
        assert r.understood == q
        assert not r.follows
        assert r.previous is None


@pytest.mark.parametrize(
    "question",
    [
        "Did Moon say he would meet Trump?",  # the name before "he" is its antecedent
        "Was the strike called off before it began?",  # so is the strike before "it"
        "Is it true that fares will rise?",  # "it" stands for nothing
        "What other countries sent envoys to the summit?",  # "other", but it says what it is about
    ],
)
def test_a_question_with_its_own_antecedent_is_not_a_follow_up(question: str) -> None:
    turns = [_turn("Was the vote held?", "The vote was held on Monday, Mayor Ana Lopez said.")]
    r = resolve(question, turns)
    assert r.understood == question
    assert not r.follows


def test_he_and_she_are_the_person_last_named() -> None:
    turns = [_turn("Who is Carl Beaumont?", "Regional transit chief Carl Beaumont said it would cost $41 million.")]
    r = resolve("What did he say about fares?", turns)
    assert r.kind == FOLLOW
    assert r.understood == "What did Carl Beaumont say about fares?"
    r = resolve(
        "Did she give a reason?", [_turn("Who spoke first?", "The first to speak was Ana Lopez, the mayor said.")]
    )
    assert "Ana Lopez" in r.understood


def test_it_is_the_thing_the_last_question_was_about() -> None:
    turns = [_turn("How long is the new lease?", "The club signed a ten-year lease on the ground.")]
    r = resolve("What does it cost?", turns)
    assert r.understood == "What does the new lease cost?"
    assert topic("Was the old bridge closed for repairs?") == "the old bridge"


def test_that_is_what_the_previous_answer_gave() -> None:
    turns = [_turn("What does the plan add?", "The plan adds three night buses, officials said.")]
    r = resolve("Why did riders ask for that?", turns)
    assert r.understood == "Why did riders ask for three night buses?"


def test_who_said_so_asks_for_the_speaker_of_the_previous_answer() -> None:
    turns = [_turn("Was the ferry service cancelled?", "The ferry service was cancelled for the week.")]
    r = resolve("who said so?", turns)
    assert r.kind == SPEAKER
    assert r.understood == "who said the ferry service was cancelled"


def test_ellipsis_takes_the_rest_of_the_previous_question() -> None:
    turns = [_turn("where is the third summit?", "Talks are under way to arrange a third summit.")]
    assert resolve("and the second one?", turns).understood == "where is the second summit?"
    assert resolve("When?", turns).understood == "when is the third summit"
    assert resolve("why?", turns).kind == FOLLOW


def test_a_question_leaving_out_what_it_compares_with_leans_on_the_previous_turn() -> None:
    turns = [_turn("Who is Ana Lopez?", "Mayor Ana Lopez said the new buses cost $2 million.")]
    r = resolve("Will taxes go up more?", turns)
    assert r.kind == FOLLOW
    assert "Ana Lopez" in r.understood


def test_what_happens_after_that_is_the_story_after_the_previous_answer() -> None:
    r = resolve("What happens after that?", [_turn("Was the vote held?", "The vote was held on Monday.")])
    assert r.kind == NEXT


def test_speakers_are_found_in_attributions() -> None:
    assert (
        speaker("The deal was agreed, union leader Priya Nandakumar said at a news conference.") == "Priya Nandakumar"
    )
    assert speaker('"It is over," said Mayor Ana Lopez.') == "Ana Lopez"
    assert speaker('Complete peace is a task that cannot be achieved overnight," Moon wrote.') == "Moon"
    assert speaker('"We avoided a shutdown," he said.') == ""


# ---- the conversation as plain data ----


def test_the_conversation_is_plain_json_and_expires_when_idle() -> None:
    conv = remember(None, _turn("Who is Carl Beaumont?", "Carl Beaumont said so."), 1000.0, None)
    assert json.loads(json.dumps(conv)) == conv
    assert [t.question for t in recent_turns(conv, 1000.0 + 60, 30 * 60)] == ["Who is Carl Beaumont?"]
    assert recent_turns(conv, 1000.0 + 31 * 60, 30 * 60) == []  # idle too long
    assert recent_turns(conv, 1000.0 + 1, 0) == []  # follow-ups off
    switched = remember(conv, _turn("Where is the summit?"), 1010.0, SEED)  # the chat switched story
    assert [t["q"] for t in switched["turns"]] == ["Where is the summit?"]  # type: ignore[index]
    assert recent_turns({"turns": "damaged"}, 0, 60) == []


# ---- answered in conversation, through the service ----


def test_who_said_so_finds_the_named_speaker(service: AnswerService) -> None:
    (_, _, first), (understood, answered, said) = _talk(service, "where is the third summit?", "who said so?")
    assert SUMMIT_SENTENCE in first
    assert answered
    assert "Moon Jae-in said" in said
    assert understood.startswith("who said")


def test_who_said_it_looks_at_the_sentence_introducing_a_quote(service: AnswerService) -> None:
    turns = [Turn("q", "q", '"We avoided a shutdown that would have hurt the people who can least afford it," he said.',
                  f"{RAIL}:4.1", RAIL, True)]  # fmt: skip
    ex = service.converse("Who said that?", RAIL, turns)
    assert ex.answer.answered
    assert "Carl Beaumont said" in ex.answer.hits[0].sentence.text


def test_he_follows_the_person_asked_about(service: AnswerService) -> None:
    talk = _talk(service, "Who is Carl Beaumont?", "What did he say the deal would cost?", story=RAIL)
    assert talk[1][0] == "What did Carl Beaumont say the deal would cost?"
    assert talk[1][1]
    assert "$41 million" in talk[1][2]


def test_a_follow_up_prefers_the_story_where_the_reader_is(service: AnswerService) -> None:
    talk = _talk(service, "When was the strike set to begin?", "How many riders would it have stopped?")
    assert "the strike" in talk[1][0]
    assert talk[1][1]
    assert "210,000" in talk[1][2]


def test_a_new_topic_drags_nothing_along(service: AnswerService) -> None:
    alone = service.ask("where is the third summit?", None, 3)
    talk = _talk(service, "Who is Carl Beaumont?", "where is the third summit?")
    assert talk[1][0] == "where is the third summit?"
    assert talk[1][2] == alone.hits[0].sentence.text


def test_standalone_questions_get_exactly_the_answer_they_get_alone(service: AnswerService) -> None:
    turns = [Turn("Who is Carl Beaumont?", "Who is Carl Beaumont?", "Regional transit chief Carl Beaumont said",
                  f"{RAIL}:4.1", RAIL, True)]  # fmt: skip
    for q in (
        "where is the third summit?",
        "When was the strike set to begin?",
        "what did the union say about pensions?",
    ):
        assert service.converse(q, None, turns, 3).answer == service.ask(q, None, 3)


# ---- the story itself ----


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who wrote this?", meta.AUTHOR),
        ("who is the author of this article?", meta.AUTHOR),
        ("When was the story published?", meta.PUBLISHED),
        ("when was it last updated?", meta.UPDATED),
        ("Which paper published this?", meta.PUBLISHER),
        ("What is this story about?", meta.ABOUT),
        ("Who wrote the letter to Trump?", ""),
        ("When was the contract signed?", ""),
        ("Which paper did the union buy?", ""),
        ("What did the report say about fares?", ""),
    ],
)
def test_questions_about_the_story_itself_are_told_from_questions_about_its_content(question: str, kind: str) -> None:
    assert meta.kind(question) == kind


def test_the_story_itself_is_answered_from_its_own_lines(service: AnswerService) -> None:
    def best(q: str, story: str | None = RAIL) -> tuple[bool, str, str]:
        a = service.converse(q, story).answer
        hit = a.best
        return a.answered, hit.sentence.text if hit else "", hit.passage.id if hit else ""

    assert best("Who wrote this article?") == (True, "By Tom Reyes", f"{RAIL}:meta")
    assert best("When was it published?")[1] == "Published Sunday, 11:48 PM"
    assert "Eastbrook Daily" in best("Which newspaper published this story?")[1]
    assert best("What is this story about?")[1].startswith("Regional rail strike called off")
    assert best("What does Tom Reyes cover?")[1].startswith("Tom Reyes covers transportation and labor")
    assert best("When was it published?", SEED)[0] is False  # the summit page prints no date
    assert (
        "Moon" in best("Who wrote the letter to Trump?", SEED)[1] or not best("Who wrote the letter to Trump?", SEED)[0]
    )


def test_follow_ups_on_the_author_are_answered_from_the_bio(service: AnswerService) -> None:
    talk = _talk(service, "Who wrote this?", "Where did he work before?", story=RAIL)
    assert talk[0][2] == "By Tom Reyes"
    assert talk[1][0] == "Where did Tom Reyes work before?"
    assert talk[1][2] == "He previously reported for the Coastline Gazette."


# ---- the jsonl contract, through the command ----


def test_jsonl_chat_ids_hold_conversations_in_input_order(index_path: Path) -> None:
    lines = [
        {"question": "Who is Carl Beaumont?", "chat": "a"},
        {"question": "where is the third summit?", "chat": "b"},
        {"question": "What did he say the deal would cost?", "chat": "a"},
        {"question": "who said so?", "chat": "b"},
        {"question": "What did he say the deal would cost?"},  # no chat: alone
    ]
    result = run("ask", "--index", str(index_path), "--jsonl", stdin="".join(json.dumps(x) + "\n" for x in lines))
    assert result.returncode == 0, result.stderr
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["question"] for o in out] == [x["question"] for x in lines]
    assert all(set(o) == {"question", "answered", "confidence", "answers", "understood"} for o in out)
    assert out[0]["understood"] == "Who is Carl Beaumont?"
    assert out[2]["understood"] == "What did Carl Beaumont say the deal would cost?"
    assert "$41 million" in out[2]["answers"][0]["sentence"]
    assert "Moon Jae-in said" in out[3]["answers"][0]["sentence"]
    assert out[4]["understood"] == out[4]["question"]
