"""Telegram HTML for answers: escaping, emphasis, the length cap, and hostile text of every kind."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.pages import ChatPages
from bot.telegram.render import MAX_MESSAGE, answer_html, cap_lines, clean, hit_html, plain_title, text_html, utf16_len
from bot.telegram.replies import Replies
from index.service import AnswerService
from index.types import Answer, Citation, Hit, Passage, Sentence
from tests.telegram_html import check_telegram_html
from tests.telegram_html import utf16_len as reference_utf16_len


def make_hit(before: str, sentence: str, after: str, title: str = "A title", source: str = "Reuters") -> Hit:
    sentences = tuple(Sentence(t, 0, len(t)) for t in (before, sentence, after) if t)
    passage = Passage("s:1.1", "s", 3, sentences, 0, 10)
    return Hit(passage, Sentence(sentence, 0, len(sentence)), 1.0, Citation("s", title, 3, source, "s.txt"))


def test_key_sentence_is_bold_inside_its_passage_then_the_citation() -> None:
    out = hit_html(make_hit("It rained.", "The summit is in Hanoi.", "More later."))
    assert out.startswith("It rained. <b>The summit is in Hanoi.</b> More later.")
    assert out.endswith("— <i>A title, ¶3 (Reuters, s.txt)</i>")
    check_telegram_html(out)


def test_markup_in_the_story_is_escaped_not_interpreted() -> None:
    out = hit_html(make_hit("<b>x</b> & y", '<a href="evil">click</a>', "*bold* _it_", title="<i>T</i> & Co"))
    assert '&lt;a href="evil"&gt;click&lt;/a&gt;' in out
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in out
    assert "&lt;i&gt;T&lt;/i&gt; &amp; Co" in out
    assert "*bold* _it_" in out  # Markdown means nothing in HTML mode
    check_telegram_html(out)


def test_a_long_passage_is_cut_around_the_sentence_within_4096_utf16_units() -> None:
    long = "🙂 word & more " * 900  # astral emoji count twice, & grows to &amp;
    out = hit_html(make_hit(long, "The key sentence.", long))
    assert utf16_len(out) <= MAX_MESSAGE
    assert "<b>The key sentence.</b>" in out
    assert "…" in out
    assert out.endswith("— <i>A title, ¶3 (Reuters, s.txt)</i>")
    check_telegram_html(out)


def test_a_huge_sentence_and_title_still_fit() -> None:
    out = hit_html(make_hit("", "&" * 10_000, "", title="<" * 10_000))
    assert utf16_len(out) <= MAX_MESSAGE
    assert "&am…" not in out  # never cut inside an entity
    assert "&amp;" in out
    check_telegram_html(out)


def test_control_bidi_and_lone_surrogates_are_removed() -> None:
    assert clean("a\x00b\u202ec\ud800d\x1b\te\n") == "abc\ufffdd\te\n"
    assert clean("zero\u200bwidth") == "zero\u200bwidth"


def test_doesnt_say_is_short_and_offers_the_nearest_passage() -> None:
    hit = make_hit("", "Something else.", "")
    assert answer_html(Answer("q", False, (hit,))).startswith("The story doesn't say.")
    assert "button" in answer_html(Answer("q", False, (hit,)))
    assert "Nothing in it matches" in answer_html(Answer("q", False, ()))
    assert "<b>Something else.</b>" in answer_html(Answer("q", True, (hit,)))


def test_the_middle_band_says_the_story_may_not_say_then_shows_the_nearest_sentence() -> None:
    hit = make_hit("Before.", "Something close.", "")
    out = answer_html(Answer("q", False, (hit,), 0.4, maybe=True))
    assert out.startswith("The story may not say.")
    assert "<b>Something close.</b>" in out
    check_telegram_html(out)


def test_lines_are_capped_whole() -> None:
    out = cap_lines([f"line {n} " + "x" * 100 for n in range(100)], "Header")
    assert utf16_len(out) <= MAX_MESSAGE
    assert out.splitlines()[-1].startswith("… and ")


hostile = st.lists(
    st.one_of(
        st.characters(codec=None),  # everything, lone surrogates included
        st.sampled_from(list("<>&\"'*_`[]()~|\x00\u202e\u202d\u2066\u200b\u200d\ufeff\n\t") + ["🙂", "👨‍👩‍👧", "𝔘"]),
        st.sampled_from(["<b>", "</b>", "&amp;", "&lt;", "<a href='x'>", "**", "__"]),
    ),
    max_size=300,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(before=hostile, sentence=hostile, after=hostile, title=hostile, source=hostile, repeat=st.integers(1, 40))
def test_any_text_gives_valid_telegram_html_within_the_cap(
    before: str, sentence: str, after: str, title: str, source: str, repeat: int
) -> None:
    hit = make_hit(before * repeat, sentence * repeat, after * repeat, title * repeat, source)
    for out in (hit_html(hit), hit_html(hit, lead=sentence * repeat), answer_html(Answer("q", True, (hit,)))):
        check_telegram_html(out)
        assert utf16_len(out) == reference_utf16_len(out)
    assert len(plain_title(title * repeat)) <= 120


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=hostile, repeat=st.integers(1, 20))
def test_any_question_gets_a_valid_reply_from_the_real_index(
    service: AnswerService, question: str, repeat: int
) -> None:
    replies, pages = Replies(service), ChatPages({})
    reply = replies.question(question * repeat + " summit", None, pages)
    check_telegram_html(reply.html)
    if reply.button:
        assert len(reply.button[1].encode()) <= 64
        more = replies.more(reply.button[1], pages)
        check_telegram_html(more if isinstance(more, str) else more.html)
    for item in replies.inline(question * repeat):
        check_telegram_html(item.html)
        assert len(item.id.encode()) <= 64
    check_telegram_html(text_html(question * repeat * 20))
