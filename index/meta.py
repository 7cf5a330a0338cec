"""Questions about the story itself (who wrote it, when, where it was published, what it is about),
answered from what the page says about the story (index.types.StoryMeta), quoting that line.

A question is about the story only when it says so: "who wrote this?", "when was the article
published?", "which paper is this from?", "what is this story about?". "Who wrote the letter to Trump?"
asks about the story's content, not about its author. A question about the author by name, or
about "the author", is answered from the author's bio ("where did Tom Reyes work before?").

A metadata answer is an ordinary Answer whose one hit is made of the quoted line: its passage id is
"<story>:meta" and its paragraph is 0 (the page around the story, not a paragraph of it), its
sentence is the line as the page wrote it, and its passage the same line (for "what is it about",
the headline and the story's first sentence). Its score is 1.0. A story with no such line gives no
hit and is not answered, like any question the story does not answer.
"""

from __future__ import annotations

import re

from index.analyze import tokenize
from index.corpus import StoryInfo
from index.types import Answer, Citation, Hit, Passage, Sentence

AUTHOR = "author"
PUBLISHED = "published"
UPDATED = "updated"
PUBLISHER = "publisher"
ABOUT = "about"
ADDRESS = "address"
BIO = "bio"

_STORY = r"(?:this|it|that|(?:this|the|that|your)\s+(?:news\s+)?(?:story|article|piece|item|post|text|report|page))"
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        AUTHOR,
        re.compile(
            rf"\bwho\s+(?:wrote|has\s+written|authored|penned|is\s+behind)\s+{_STORY}\W*$"
            r"|\bwho(?:'s|\s+is|\s+was)\s+(?:the\s+)?(?:author|writer|reporter|journalist|byline)"
            rf"(?:\s+(?:of|for|on)\s+{_STORY})?\W*$"
            rf"|\b(?:author|writer|reporter|byline)\s+(?:of|for|on)\s+{_STORY}"
            rf"|\bwho\s+(?:was\s+)?{_STORY}\s+(?:written|reported)\s+by\b"
            r"|^\W*(?:the\s+)?(?:author|byline|writer)\W*$",
            re.I,
        ),
    ),
    (UPDATED, re.compile(rf"\bwhen\s+(?:was|is|did)\s+{_STORY}\s+(?:last\s+)?(?:updated|changed|edited)\b", re.I)),
    (
        PUBLISHED,
        re.compile(
            rf"\bwhen\s+(?:was|is|did)\s+{_STORY}\s+(?:first\s+)?(?:published|posted|written|released|put\s+out|"
            r"come\s+out|out)\b"
            rf"|\b(?:publication|published)\s+date\b|\bdate\s+(?:of|on)\s+{_STORY}|\bhow\s+old\s+is\s+{_STORY}\W*$"
            rf"|\bwhat\s+(?:day|date|time)\s+(?:was|is)\s+{_STORY}\s+(?:from|published|posted)\b",
            re.I,
        ),
    ),
    (
        PUBLISHER,
        re.compile(
            r"\b(?:which|what)\s+(?:news\s+)?(?:paper|newspaper|outlet|publication|site|website|magazine|"
            r"publisher|news\s+organi[sz]ation)\b.*\b(?:publish\w*|ran|run|"
            rf"(?:is|was)\s+{_STORY}\s+(?:from|in|on))\b"
            rf"|\bwho\s+(?:published|publishes|ran|runs|put\s+out)\s+{_STORY}\W*$"
            rf"|\bwhere\s+(?:is|was|does|did)\s+{_STORY}\s+(?:from|published|come\s+from|appear)\b"
            rf"|\b(?:publisher|source|outlet)\s+(?:of|for)\s+{_STORY}"
            r"|\bwho(?:'s|\s+is)\s+the\s+publisher\b",
            re.I,
        ),
    ),
    (
        ADDRESS,
        re.compile(rf"\b(?:url|link|web\s+address|address)\b.*\b{_STORY}|\bwhere\s+can\s+i\s+read\s+{_STORY}", re.I),
    ),
    (
        ABOUT,
        re.compile(
            rf"\bwhat(?:'s|\s+is|\s+was|\s+does)\s+{_STORY}\s+(?:all\s+)?(?:about|say|cover)\b"
            rf"|^\W*(?:what(?:'s|\s+is|\s+was)\s+)?the\s+(?:headline|title|gist)(?:\s+(?:of|for)\s+{_STORY})?\W*$"
            rf"|\bsummari[sz]e\s+{_STORY}|\bwhat\s+happened\s+in\s+{_STORY}\W*$",
            re.I,
        ),
    ),
)
_THE_AUTHOR = re.compile(r"\bthe\s+(?:author|writer|reporter|journalist)\b", re.I)
# What a question about the author's bio looks for, and the bio's words for it.
_BIO_TOPICS = (
    (
        re.compile(r"\b(?:before|previously|formerly|earlier|used\s+to|past|career|start|began|background)\b", re.I),
        re.compile(r"\b(?:previously|formerly|before|began|career|earlier|used\s+to)\b", re.I),
    ),
    (
        re.compile(r"\b(?:cover|covers|beat|write\s+about|writes\s+about|report\s+on|speciali[sz]e)\b", re.I),
        re.compile(r"\b(?:covers|writes\s+about|reports\s+on|specialises|specializes|covered)\b", re.I),
    ),
    (
        re.compile(r"\b(?:where|which|what)\b.*\b(?:work|works|job|employ\w*)\b", re.I),
        re.compile(r"\b(?:at|for)\s+(?:the\s+)?[A-Z]", re.I),
    ),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


# Every pattern above needs one of these words: most questions are ruled out by one set lookup.
_ANY = frozenset(
    "wrote written authored penned behind author writer reporter journalist byline updated changed edited "
    "published posted released out publication date old publish publishes ran run runs from publisher "
    "outlet source url link address read about say cover headline title gist summarise summarize happened".split()
)
_WORD = re.compile(r"[a-z]+")


def kind(question: str) -> str:
    """What a question asks about the story itself, or "" when it asks about its content."""
    if _ANY.isdisjoint(_WORD.findall(question.lower())):
        return ""
    text = " ".join(question.split())
    for name, pattern in _KINDS:
        if pattern.search(text):
            return name
    return ""


def about_author(question: str, story: StoryInfo) -> bool:
    """Does the question ask about the story's author, by name or as "the author"? (The caller checks
    that the story itself does not name them, so a quoted person who shares a name is not the author.)"""
    if not story.meta.bio:
        return False
    return asks_about_the_author(question) or bool(author_names(story) & set(capitalised(question)))


def asks_about_the_author(question: str) -> bool:
    return bool(_THE_AUTHOR.search(question))


def author_names(story: StoryInfo) -> frozenset[str]:
    """The author's names: the byline's, or with no byline the name the bio opens with ("Peter has ...")."""
    if not story.meta.bio:
        return frozenset()
    names = {w for w in capitalised(story.byline) if len(w) > 2}
    if not names:
        first = re.match(r"[A-Z][\w'’-]+", story.meta.bio[0])
        names = {first.group(0)} if first else set()
    return frozenset(names)


def capitalised(text: str) -> list[str]:
    return re.findall(r"[A-Z][\w'’-]+", text)


def answer(question: str, story: StoryInfo, what: str, lead: str = "") -> Answer:
    """The answer from the story's metadata line for `what`, or unanswered when the page has none.
    `lead` is the story's first sentence, shown beside the headline for "what is it about"."""
    meta = story.meta
    line, passage = "", ""
    if what == AUTHOR:
        line = meta.byline or (_sentences(meta.bio)[0] if meta.bio else "")
    elif what == PUBLISHED:
        line = meta.published or meta.updated
    elif what == UPDATED:
        line = meta.updated or meta.published
    elif what == PUBLISHER:
        line = _naming(meta.publisher, story.source) if meta.publisher else ""
    elif what == ADDRESS:
        line = meta.url
    elif what == ABOUT:
        line, passage = story.title, " ".join(p for p in (story.title, lead) if p)
    elif what == BIO:
        line = _bio_sentence(question, meta.bio)
    if not line:
        return Answer(question, False, (), 0.0)
    # the story's own line saying what was asked: no model weighs it, so nothing to doubt
    return Answer(question, True, (_hit(story, line, passage or line),), 1.0)


def _hit(story: StoryInfo, line: str, text: str) -> Hit:
    start = max(0, text.find(line))
    sentence = Sentence(line, start, start + len(line))
    passage = Passage(
        f"{story.id}:meta", story.id, 0, (sentence,) if text == line else _around(sentence, text), 0, len(text)
    )
    return Hit(passage, sentence, 1.0, Citation(story.id, story.title, 0, story.credit, story.path))


def _around(sentence: Sentence, text: str) -> tuple[Sentence, ...]:
    """The passage's sentences when it is more than the quoted line: the line, then the rest."""
    rest = text[sentence.end :].strip()
    if not rest:
        return (sentence,)
    start = text.find(rest, sentence.end)
    return (sentence, Sentence(rest, start, start + len(rest)))


def _sentences(lines: tuple[str, ...]) -> list[str]:
    return [s.strip() for line in lines for s in _SENTENCE_END.split(line) if s.strip()]


def _naming(line: str, name: str) -> str:
    """The sentence of a line that names the publisher (a bio names other papers too)."""
    sentences = _sentences((line,))
    return next((s for s in sentences if name and name in s), line)


def _bio_sentence(question: str, bio: tuple[str, ...]) -> str:
    """The bio's sentence that answers a question about the author: by what it asks for, then by shared words."""
    sentences = _sentences(bio)
    if not sentences:
        return ""
    for asked, says in _BIO_TOPICS:
        if asked.search(question):
            found = [s for s in sentences if says.search(s)]
            if found:
                return found[0]
    terms = set(tokenize(question))
    best = max(sentences, key=lambda s: len(terms & set(tokenize(s))))
    return best
