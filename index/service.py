"""The answer service the CLI and the bot share: open (building if missing), ask, reload.

With `semantic` on, the sentence-embedding model (index/embed.py) is loaded on first need: index builds
embed every sentence, and each question is embedded once. Off, it is never loaded and answers go by
words alone. An index built without embeddings is answered by words until it is rebuilt.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index import dialogue, meta
from index.analyze import tokenize
from index.answer import answer
from index.corpus import Corpus, StoryInfo
from index.question import cue, parse
from index.store import IndexFileError
from index.text import sentence_key
from index.types import Answer, Hit, Sentence

# "Is it done yet?" is answered by where a thing stands: "still have to", "not yet", "already", "so far"
_ASPECT = re.compile(r"\b(?:yet|still|already|so\s+far|pending|any\s+longer|anymore)\b", re.I)
MORE_DEPTH = 10  # hits a "More" page looks through: past the tenth, a passage rarely bears on the question
QUESTION_CACHE = 1024  # question vectors kept (1.5 kB each)

if TYPE_CHECKING:  # building (cleaning, splitting) is imported only when an index is built: a faster `ask`
    from index.build import BuildReport
    from index.coalesce import CoalescingEmbedder
    from index.embed import Embedder


@dataclass(frozen=True, eq=False)
class NamedEmbedder:
    """The embedding model with the name an index records beside the vectors it made."""

    model: Embedder
    version: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed(texts)


def load_embedder(batch: bool = False, cache: Path | None = None) -> NamedEmbedder:
    """The sentence-embedding model, for the stories' sentences: one thread, or every core this process may
    use for batch work such as an index build (which gains where cores are idle). `cache`: the folder of its
    ready-to-load copy (index.embed.cache_beside the index), written by the first load that does not find it."""
    from index.embed import Embedder

    model = Embedder.load(_cores() if batch else 1, cache=cache)
    return NamedEmbedder(model, model.version)


def load_question_embedder(batch: bool = False, cache: Path | None = None) -> NamedEmbedder:
    """The model's question side: the same model with the parameters `make fit` tuned for finding the sentence
    that answers (index.embed.QUESTION_TUNING). Questions only; the stories' sentences keep `load_embedder`'s."""
    from index.embed import QUESTION_TUNING, Embedder

    model = Embedder.load(_cores() if batch else 1, cache=cache, tuning=QUESTION_TUNING)
    return NamedEmbedder(model, model.version)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def shown_marks(hit: Hit) -> tuple[str, str]:
    """What `AnswerService.more` skips once a hit has been shown: its passage and its sentence."""
    return hit.passage.id, sentence_key(hit.sentence.text)


class UnknownStoryError(KeyError):
    """A question scoped to a story the index does not hold."""

    def __str__(self) -> str:
        return f"no story {self.args[0]!r} in the index: `storybot index` lists the stories it holds"


@dataclasses.dataclass(frozen=True, slots=True)
class Exchange:
    """A question answered in its conversation: the answer, the question as understood, and the turn to keep."""

    answer: Answer
    understood: str
    turn: dialogue.Turn


class AnswerService:
    """One loaded index behind a small API. A reload swaps in a new index whole or not at all.

    `min_confidence` (None: the answer model's default) and `semantic` come from the shell's settings;
    `semantic` is off unless asked for, so that a bare service never loads the embedding model."""

    def __init__(
        self, index_path: Path, stories_dir: Path, *, min_confidence: float | None = None, semantic: bool = False
    ) -> None:
        self.index_path = index_path
        self.stories_dir = stories_dir
        self.min_confidence = min_confidence  # None: the answer model's default
        self.semantic = semantic
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()
        self._authors: tuple[Corpus | None, frozenset[str]] = (None, frozenset())  # per loaded index
        self._embedder: NamedEmbedder | None = None  # the sentences' model: loaded only to build an index
        self._question_model: NamedEmbedder | None = None
        self._embedder_lock = threading.Lock()
        self._questions: CoalescingEmbedder | None = None  # questions arriving together share a call (index.coalesce)
        self._prefetched: dict[str, np.ndarray] = {}  # rows `prefetch` made, until the cache below takes them
        # in front of the model: a repeated question never reaches it
        self._question_vector = lru_cache(maxsize=QUESTION_CACHE)(self._embed_question)

    def embedder(self) -> NamedEmbedder | None:
        """The sentences' embedding model when semantic answers are on, loaded when an index is built (and freed
        after it, from its ready-to-load copy beside the index the next load takes a fraction of a second)."""
        if not self.semantic:
            return None
        with self._embedder_lock:
            if self._embedder is None:
                from index.embed import cache_beside

                self._embedder = load_embedder(cache=cache_beside(self.index_path))
            return self._embedder

    def question_embedder(self) -> NamedEmbedder | None:
        """The questions' side of the model when semantic answers are on, loaded once, on first need."""
        if not self.semantic:
            return None
        with self._embedder_lock:
            if self._question_model is None:
                from index.coalesce import CoalescingEmbedder
                from index.embed import cache_beside

                self._question_model = load_question_embedder(cache=cache_beside(self.index_path))
                self._questions = CoalescingEmbedder(self._question_model.model.embed, calls=_cores())
            return self._question_model

    def _embed_question(self, question: str) -> np.ndarray:
        prefetched = self._prefetched.pop(question, None)
        if prefetched is not None:
            return prefetched
        self.question_embedder()
        if self._questions is None:  # pragma: no cover - only called with semantic answers on
            raise RuntimeError("semantic answers are off")
        return self._questions.embed_one(question)

    def prefetch(self, questions: Iterable[str]) -> None:
        """Embed the distinct questions in one batched call and put their rows in the questions' cache, so that
        asking them later reaches no model (`storybot ask --jsonl --prefetch` does this for the lines it has read).
        At most the cache's size is kept, so that none is evicted before it is asked. Nothing without semantic
        answers. A row from a batch equals a lone call's up to the last bits of its float32s, not exactly."""
        distinct = list(dict.fromkeys(questions))[:QUESTION_CACHE]
        if not distinct or not self.semantic or self.corpus.embeddings is None:
            return
        try:
            embedder = self.question_embedder()
            if embedder is None:  # pragma: no cover - semantic is on
                return
            # A lone question is embedded beside an empty text: ONNX Runtime rounds a batch of one differently in
            # the last bits, and every prefetched row should come the same way, whatever a read-ahead happened to find.
            rows = embedder.model.embed(distinct if len(distinct) > 1 else [*distinct, ""])
        except Exception:  # noqa: S110 - asked one by one, each question meets the same error where it did before
            return
        # the cache is filled through its own miss path, which takes each row from here
        self._prefetched = {question: row.copy() for question, row in zip(distinct, rows, strict=False)}
        try:
            for question in distinct:
                self._question_vector(question)
        finally:
            self._prefetched = {}

    def _open_corpus(self) -> Corpus:
        corpus = Corpus.open(self.index_path, embeddings=self.semantic)
        if corpus.embedder:
            from index.embed import MODEL_VERSION

            if corpus.embedder != MODEL_VERSION:
                raise IndexFileError(
                    f"the index at {self.index_path} holds sentence embeddings of {corpus.embedder!r}, this storybot "
                    f"uses {MODEL_VERSION!r}: rebuild it with `storybot index`"
                )
        return corpus

    def open(self, build_if_missing: bool = True) -> BuildReport | None:
        """Load the index, building it from the stories folder first when there is none."""
        report = None
        if build_if_missing and not self.index_path.exists():
            from index.build import build_and_save

            report = build_and_save(self.stories_dir, self.index_path, embedder=self.embedder())
            self._embedder = None  # answering needs only the question side: the sentences' model is freed
        self._corpus = self._open_corpus()
        return report

    @property
    def loaded(self) -> bool:
        """Whether the index is in memory, so that asking reads no file."""
        return self._corpus is not None

    @property
    def corpus(self) -> Corpus:
        corpus = self._corpus
        if corpus is None:
            self.open()
            corpus = self._corpus
        if corpus is None:  # pragma: no cover - open() either sets it or raises
            raise RuntimeError("index not loaded")
        return corpus

    def ask(self, question: str, story: str | None = None, k: int = 3) -> Answer:
        try:
            corpus = self.corpus
            embed = self._question_vector if self.semantic and corpus.embeddings is not None else None
            return answer(corpus, question, story, k, min_confidence=self.min_confidence, embed=embed)
        except KeyError:
            raise UnknownStoryError(story) from None

    def converse(
        self, question: str, story: str | None = None, turns: Sequence[dialogue.Turn] = (), k: int = 3
    ) -> Exchange:
        """Answer a question in its conversation (`turns`, oldest first). A question about the story
        itself is answered from its metadata; a follow-up as understood from the turns, preferring the
        story near the previous answer; any other question exactly as `ask` answers it."""
        what = meta.kind(question)
        understood = question
        if what:
            answer = self._about_story(question, what, story, turns)
        else:
            resolution = dialogue.resolve(question, turns)
            understood = resolution.understood
            info = self._story_of(understood, story, turns) if self._may_name_an_author(understood) else None
            if info is not None and meta.about_author(understood, info) and not self._names_in_story(info):
                answer = meta.answer(question, info, meta.BIO)
            elif resolution.follows:
                answer = dataclasses.replace(self._follow(resolution, story, k), question=question)
            else:
                answer = self.ask(question, story, k)
        # what the reader was shown, even under "the story may not say": what a follow-up's "so" refers to
        best = answer.best if answer.answered or answer.maybe else None
        turn = dialogue.Turn(
            question,
            understood,
            best.sentence.text if best else "",
            best.passage.id if best else "",
            best.passage.story_id if best else "",
            answer.answered,
        )
        return Exchange(answer, understood, turn)

    def _about_story(self, question: str, what: str, story: str | None, turns: Sequence[dialogue.Turn]) -> Answer:
        info = self._story_of(question, story, turns)
        if info is None:
            return Answer(question, False, ())
        lead = self._sentences(info.id)[:1]
        return meta.answer(question, info, what, lead[0][1].text if lead else "")

    def _story_of(self, question: str, story: str | None, turns: Sequence[dialogue.Turn]) -> StoryInfo | None:
        """The story "this" means: the chat's, the conversation's, the only one, or the one whose title the
        question names."""
        stories = self.corpus.stories
        if story:
            return self.story(story)
        for turn in reversed(turns):
            if turn.story in stories:
                return stories[turn.story]
        if len(stories) == 1:
            return next(iter(stories.values()))
        asked = set(tokenize(question))
        named = [s for s in stories.values() if asked & self.corpus.title_terms[s.id]]
        return named[0] if len(named) == 1 else None

    def _may_name_an_author(self, question: str) -> bool:
        """A quick test before looking for the story: does the question say "the author" or a name that
        some story's byline or bio opens with? Most questions do not, and pay nothing more."""
        corpus = self.corpus
        if self._authors[0] is not corpus:
            names = {w for s in corpus.stories.values() for w in meta.author_names(s)}
            self._authors = (corpus, frozenset(names))
        return bool(meta.asks_about_the_author(question) or self._authors[1] & set(meta.capitalised(question)))

    def _names_in_story(self, info: StoryInfo) -> bool:
        """Does the story's text name its author (then a question naming them is about the story)?"""
        names = [t for t in tokenize(info.byline) if len(t) > 2]
        return bool(names) and all(self.corpus.stories_hold([info.id], t)[0] for t in names)

    def _follow(self, r: dialogue.Resolution, story: str | None, k: int) -> Answer:
        """A follow-up: the speaker or the sentence after the previous answer, or the answer to the question
        as understood; when that is unsure, a sentence at or just after the previous answer that holds what
        the question itself adds (its own words, or the kind of thing it asks for)."""
        previous = r.previous
        where = self._locate(previous) if previous and previous.passage_id else None
        if r.kind == dialogue.SPEAKER:
            found = self._speaker_near(where) if where else None
            return self._by_rule(r.question, (found,) if found else ())
        if r.kind == dialogue.NEXT:
            after = self._sentence_hit(where[0], where[1] + 1) if where else None
            return self._by_rule(r.question, (after,) if after else ())
        first = self.ask(r.understood, story, k)
        if first.answered or where is None or previous is None:
            return first
        near = self._near(where)
        other = re.search(r"\b(?:else|other|another)\b", r.question, re.I)  # "what else?" asks past what was given
        given = {sentence_key(previous.sentence)} if other else set()
        own = set(tokenize(r.question)) - set(tokenize(" ".join(r.resolved)))
        q = parse(r.understood)
        ranked = list(self.ask(r.understood, story or previous.story, MORE_DEPTH).hits)
        sentences, i = where
        # then the sentences from the previous answer on, in story order: the answerer ranks only passages
        # that share a word with the question, and the reader's next sentence may share none
        ranked += [h for j in range(i, len(sentences)) if (h := self._sentence_hit(sentences, j)) is not None]
        for hit in ranked:
            if hit.passage.id not in near or sentence_key(hit.sentence.text) in given:
                continue
            holds = (
                own & set(tokenize(hit.sentence.text))
                or (q.qtype and cue(q.qtype, hit.sentence.text))
                or (_ASPECT.search(r.question) and _ASPECT.search(hit.sentence.text))
            )
            if holds:
                rest = tuple(h for h in first.hits if h.sentence.text != hit.sentence.text)
                return self._by_rule(r.question, (hit, *rest)[:k])
        return first

    def _by_rule(self, question: str, hits: tuple[Hit, ...]) -> Answer:
        """A follow-up answered by a rule of the conversation (the speaker of the previous answer, the
        sentence after it): it carries the confidence the answer model requires to answer, no more,
        since it passes by the rule and not by the model."""
        if not hits:
            return Answer(question, False, (), 0.0)
        return Answer(question, True, hits, self.threshold())

    def threshold(self) -> float:
        """The confidence an answer needs: the setting, or the answer model's default."""
        from index.model import load

        if self.min_confidence is not None:
            return self.min_confidence
        return load().ranker(self.semantic and self.corpus.embeddings is not None).min_confidence

    def _sentences(self, story: str) -> list[tuple[int, Sentence]]:
        """The story's sentences in order, each with its passage number."""
        corpus = self.corpus
        return [(int(p), s) for p in corpus.story_passages.get(story, ()) for s in corpus.passages[int(p)].sentences]

    def _locate(self, turn: dialogue.Turn) -> tuple[list[tuple[int, Sentence]], int] | None:
        """The previous answer's place: its story's sentences, and which one it is."""
        if turn.story not in self.corpus.stories:
            return None
        sentences = self._sentences(turn.story)
        for i, (p, s) in enumerate(sentences):
            if s.text == turn.sentence and self.corpus.passages[p].id == turn.passage_id:
                return sentences, i
        return None

    def _near(self, where: tuple[list[tuple[int, Sentence]], int]) -> set[str]:
        """The previous answer's passage and the one after it: where the reader is in the story."""
        sentences, i = where
        here = sentences[i][0]
        after = next((p for p, _ in sentences[i:] if p != here), here)
        return {self.corpus.passages[here].id, self.corpus.passages[after].id}

    def _sentence_hit(self, sentences: list[tuple[int, Sentence]], i: int) -> Hit | None:
        if not 0 <= i < len(sentences):
            return None
        p, sentence = sentences[i]
        passage = self.corpus.passages[p]
        return Hit(passage, sentence, 1.0, self.corpus.citation(passage))

    def _speaker_near(self, where: tuple[list[tuple[int, Sentence]], int]) -> Hit | None:
        """The sentence naming who said the previous answer: that sentence, or the one introducing the
        quote before it, or the one attributing it just after."""
        sentences, i = where
        for j in (i, i - 1, i + 1, i - 2, i + 2):
            if 0 <= j < len(sentences) and dialogue.speaker(sentences[j][1].text):
                return self._sentence_hit(sentences, j)
        return None

    def more(self, question: str, story: str | None, shown: Collection[str]) -> Hit | None:
        """The "More" page after those shown: the best hit in a passage not shown yet, whose sentence
        was not shown either (`shown` holds passage ids and sentence keys). The terminal chat and
        Telegram both page this way."""
        for hit in self.ask(question, story, k=MORE_DEPTH).hits:
            if hit.passage.id not in shown and sentence_key(hit.sentence.text) not in shown:
                return hit
        return None

    def stories(self) -> list[StoryInfo]:
        return list(self.corpus.stories.values())

    def story(self, story_id: str) -> StoryInfo:
        try:
            return self.corpus.stories[story_id]
        except KeyError:
            raise UnknownStoryError(story_id) from None

    def reload(self, rebuild: bool = True) -> BuildReport | None:
        """Rebuild from the stories folder and swap the new index in; on any error the old one stays."""
        from index.build import build_and_save

        with self._lock:
            embedder = self.embedder() if rebuild else None
            report = build_and_save(self.stories_dir, self.index_path, embedder=embedder) if rebuild else None
            self._embedder = None  # answering needs only the question side: the sentences' model is freed
            self._corpus = self._open_corpus()
            return report
