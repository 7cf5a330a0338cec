"""The core's data types: frozen, plain, and cheap to pass around."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Dropped:
    """A line the cleaner cut from a scraped story, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A body paragraph: its text and where it starts in the story's text."""

    number: int
    text: str
    start: int


@dataclass(frozen=True, slots=True)
class StoryMeta:
    """What the page says about the story itself, as it says it: each field is the original line (or
    lines, for the bio), so an answer about the story can quote it. Empty where the page says nothing.
    An HTML page's author and date come from its metadata, written as "By ..." and "Published ..."."""

    byline: str = ""  # "By Jane Doe, Science Correspondent"
    bio: tuple[str, ...] = ()  # "Tom Reyes covers transportation ...", one entry per bio line
    publisher: str = ""  # the line naming the publisher: a masthead, a copyright line, a subscribe line, the bio
    published: str = ""  # "Published Sunday, 11:48 PM"
    updated: str = ""  # "Updated 9:05 AM, June 2"
    url: str = ""  # where the story was published, when the file says


@dataclass(frozen=True, slots=True)
class Story:
    """One story as the cleaner found it inside its file."""

    id: str
    title: str
    byline: str
    source: str
    path: str
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[Dropped, ...] = ()
    meta: StoryMeta = StoryMeta()


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence, verbatim, with its offsets into the story's text."""

    text: str
    start: int
    end: int


def passage_id(story_id: str, paragraph: int, window: int) -> str:
    """A passage's id: its story, its paragraph, and which window of that paragraph it is (from 1)."""
    return f"{story_id}:{paragraph}.{window}"


@dataclass(frozen=True, slots=True)
class Passage:
    """A paragraph-bounded window of sentences: the unit BM25 ranks."""

    id: str
    story_id: str
    paragraph: int
    sentences: tuple[Sentence, ...]
    start: int
    end: int

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True, slots=True)
class Citation:
    """Where an answer comes from: story title, paragraph and source."""

    story_id: str
    title: str
    paragraph: int
    source: str
    path: str

    def __str__(self) -> str:
        source = f"{self.source}, {self.path}" if self.source else self.path
        return f"{self.title}, ¶{self.paragraph} ({source})"


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked answer candidate: a sentence inside its passage."""

    passage: Passage
    sentence: Sentence
    score: float
    citation: Citation


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to one question: answered or not, and the ranked hits either way.

    `confidence` is the chance that the best hit answers the question; `maybe` marks a confidence
    short of answering but high enough to offer the best hit as what the story may say."""

    question: str
    answered: bool
    hits: tuple[Hit, ...] = field(default=())
    confidence: float = 0.0
    maybe: bool = False

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    def to_json(self) -> dict[str, object]:
        """The `storybot ask --json` contract: keys and meanings are fixed."""
        return {
            "question": self.question,
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "answers": [
                {
                    "story": h.passage.story_id,
                    "title": h.citation.title,
                    "passage_id": h.passage.id,
                    "paragraph": h.passage.paragraph,
                    "sentence": h.sentence.text,
                    "passage": h.passage.text,
                    "score": round(h.score, 4),
                    "citation": str(h.citation),
                }
                for h in self.hits
            ],
        }
