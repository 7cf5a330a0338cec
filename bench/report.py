"""The benchmark's figures and the Markdown table they make."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bench.coalescing import Coalescing
from bench.coldstart import FLOOR, SEMANTIC_FLOOR, ColdStart
from bench.semantic import Semantic
from bench.stats import Latency
from bench.throughput import Throughput
from index.features import NEAREST_SENTENCES

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

# Issue 5's targets, for a 2-core machine
MAX_VS_BM25S = 2.0
MIN_VS_FULL_SCAN = 10.0
MAX_P99_MS = 33.0
MAX_LOAD_S = 3.0
MAX_LOAD_RSS_MB = 1024.0
MAX_COLD_RATIO = 1.25
MIN_THROUGHPUT_RATIO = 0.7
# Issue 13's build targets
MAX_BUILD_VS_BM25S = 4.0
MAX_REBUILD_ONE = 0.1
# Issue 11's targets with the sentence-embedding model on
MAX_VS_HYBRID = 1.0
MIN_BUILD_VS_TORCH = 1.0
MAX_SEMANTIC_COLD_RATIO = 1.5
MAX_SERVE_RSS_MB = 400.0  # the ONNX Runtime session alone took about this much before issue 11's work


_LATER = "Section"  # the line a partial run (`--sections`) adds under the header starts so
_SECTION = re.compile(r"^\*\*(\d)\. ", re.MULTILINE)
_WHEN_LINE = re.compile(r"^Sections? ([\d, and]+?) (from .*)$")  # "Sections 3 and 4 from a later run: ..."
_HISTORY = "**Earlier runs of section {}.**"  # a paragraph kept by hand under a section: what it measured before


def _sections_of(table: str) -> dict[int, str]:
    """The table cut at each section's bold number: 0 is the header before the first."""
    starts = [(int(m.group(1)), m.start()) for m in _SECTION.finditer(table)]
    cuts = [(0, 0), *starts]
    ends = [start for _, start in starts] + [len(table)]
    return {number: table[start:end] for (number, start), end in zip(cuts, ends, strict=True)}


def _when_line(sections: frozenset[int] | set[int], rest: str) -> str:
    names = " and ".join(str(n) for n in sorted(sections))
    return f"{_LATER}{'s' if len(sections) > 1 else ''} {names} {rest}"


def _without(line: str, chosen: frozenset[int]) -> str:
    """A header line saying when some sections were measured, less the sections measured again now ('' when
    none is left). A line not of that form is kept whole."""
    found = _WHEN_LINE.match(line)
    if found is None:
        return line
    left = {int(n) for n in re.findall(r"\d+", found.group(1))} - chosen
    return _when_line(left, found.group(2)) if left else ""


def _with_history(new: str, old: str, number: int) -> str:
    """The section as this run measured it, with the paragraph of its earlier runs carried over from before."""
    start = old.find(_HISTORY.format(number))
    if start < 0 or _HISTORY.format(number) in new:
        return new
    end = old.find("\n\n", start)
    paragraph = old[start:] if end < 0 else old[start:end]
    return new.rstrip("\n") + "\n\n" + paragraph.strip() + "\n\n"


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _cpu(run: dict[str, float]) -> str:
    return f"{run['cpu_seconds']:.1f} s" if "cpu_seconds" in run else "not measured"


def _load(load: tuple[float, float] | None) -> str:
    return f"; the machine's load average {load[0]:.1f} when it started, {load[1]:.1f} when it ended" if load else ""


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


@dataclass
class Report:
    machine: str
    when: str
    libraries: str
    bundled: Latency | None = None
    bundled_questions: int = 0
    stories: int = 0
    sentences: int = 0
    passages: int = 0
    build: dict[str, float] = field(default_factory=dict)
    index_mb: float = 0.0
    bm25s_pipeline: dict[str, float] = field(default_factory=dict)  # bm25s tokenize + stem + index
    rebuild_one: dict[str, float] = field(default_factory=dict)  # a rebuild after one story changed
    load: dict[str, float] = field(default_factory=dict)
    load_rss_mb: float = 0.0
    asked: int = 0
    answer: Latency | None = None
    ranker: Latency | None = None
    bm25s: Latency | None = None
    bm25s_build: float = 0.0
    scan: Latency | None = None
    scan_build: float = 0.0
    same_top: int = 0
    semantic: Semantic | None = None
    cold: ColdStart | None = None
    throughput: Throughput | None = None
    alone: str = ""  # the one section measured by itself (`--only NAME`), the rest kept from the table
    coalescing: Coalescing | None = None

    def markdown(self) -> str:
        lines = [
            f"Machine: {self.machine}.  ",
            f"Run {self.when}; {self.libraries}. Produced by `make bench` (`python -m bench`).",
            "",
        ]
        lines += self._bundled() + self._synthetic() + self._semantic() + self._cold() + self._throughput()
        lines += self._coalescing()
        return "\n".join(lines).rstrip() + "\n"

    def _bundled(self) -> list[str]:
        if not self.bundled:
            return []
        b = self.bundled
        return [
            f"**1. Bundled story, per question** (in process, {self.bundled_questions} questions asked "
            f"{b.n // max(1, self.bundled_questions)} times): p50 {ms(b.p50)}, p99 {ms(b.p99)}.",
            "",
        ]

    def _synthetic(self) -> list[str]:
        if not (self.answer and self.ranker and self.bm25s and self.scan):
            return []
        a, bm, scan = self.answer, self.bm25s, self.scan
        load_s = self.load["seconds"]
        lines = [
            f"**2. Synthetic newsroom**: {self.stories:,} stories, {self.sentences:,} sentences, "
            f"{self.passages:,} passages (words drawn by English frequency from `wordfreq`, seeded).",
            "",
            "| measure | figure | target | met |",
            "| --- | --- | --- | --- |",
            f"| index build (`index.build`, fresh process, median of 3) | {self.build['seconds']:.1f} s, "
            f"peak RSS {self.build['rss_mb']:.0f} MB, file {self.index_mb:.1f} MB | | |",
            *self._build_rows(),
            f"| index load (`Corpus.open`, fresh process, median of 3) | {load_s:.2f} s "
            f"(+ {self.load['import_seconds']:.2f} s imports) | < {MAX_LOAD_S:.0f} s | {met(load_s < MAX_LOAD_S)} |",
            f"| peak RSS of that process | {self.load_rss_mb:.0f} MB | < 1 GB | "
            f"{met(self.load_rss_mb < MAX_LOAD_RSS_MB)} |",
            "",
            f"Per question, {self.asked} questions, same passages for all, one question per call:",
            "",
            "| per question | p50 | p99 | build |",
            "| --- | --- | --- | --- |",
            f"| storybot: `index.answer.answer` (ranking + sentence choice) | {ms(a.p50)} | {ms(a.p99)} | |",
            f"| storybot: `PassageRanker.top` alone (30 passages) | {ms(self.ranker.p50)} | {ms(self.ranker.p99)} | |",
            f"| bm25s `retrieve` (k=30, numpy backend) | {ms(bm.p50)} | {ms(bm.p99)} | {self.bm25s_build:.1f} s |",
            f"| rank-bm25 full scan (`get_scores` + argmax) | {ms(scan.p50)} | {ms(scan.p99)} | "
            f"{self.scan_build:.1f} s |",
            "",
            "| target (per question, storybot's full answer) | figure | met |",
            "| --- | --- | --- |",
            f"| at most {MAX_VS_BM25S:.0f}x bm25s | p50 {a.p50 / bm.p50:.2f}x, p99 {a.p99 / bm.p99:.2f}x | "
            f"{met(a.p50 / bm.p50 <= MAX_VS_BM25S and a.p99 / bm.p99 <= MAX_VS_BM25S)} |",
            f"| at least {MIN_VS_FULL_SCAN:.0f}x faster than rank-bm25's full scan | p50 {scan.p50 / a.p50:.0f}x, "
            f"p99 {scan.p99 / a.p99:.0f}x | "
            f"{met(scan.p50 / a.p50 >= MIN_VS_FULL_SCAN and scan.p99 / a.p99 >= MIN_VS_FULL_SCAN)} |",
            f"| p99 at most {MAX_P99_MS:.0f} ms | {ms(a.p99)} | {met(a.p99 * 1000 <= MAX_P99_MS)} |",
            f"| best passage = rank-bm25's argmax | {self.same_top} of {self.asked} | "
            f"{met(self.same_top == self.asked)} |",
            "",
        ]
        return lines

    def _semantic(self) -> list[str]:
        sem = self.semantic
        if sem is None or sem.storybot is None:
            return []
        mine, hybrid = sem.storybot, sem.hybrid
        torch_side = f"{sem.torch}, {sem.torch_threads} threads" if hybrid else sem.torch
        lines = [
            f"**3. With sentence embeddings** (`STORYBOT_SEMANTIC` on, the default): {sem.stories:,} synthetic "
            f"stories, **{sem.sentences:,} sentences**, {sem.passages:,} passages, made as in section 2 (a smaller "
            f"newsroom: embedding 100k sentences takes many minutes on 2 cores; `--semantic-stories` sets it). "
            f"storybot runs all-MiniLM-L6-v2 on ONNX Runtime, one thread per question and every core for a build, "
            f"with its heap frozen once the index is loaded, as its serving processes do (`bot/heap.py`); "
            f"its vectors of the corpus, from its own build, serve both sides. The hybrid from standard parts: "
            f"bm25s (its tokenizer, English stopwords, PyStemmer) takes the top 30 passages, sentence-transformers "
            f"on torch (CPU) embeds the question, and those passages' sentences are reranked by cosine. "
            f"Torch side: {torch_side}. Measured one after the other in this run{_load(sem.load)}.",
            "",
            "| measure | storybot | hybrid / sentence-transformers | ratio | target | met |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        per = f"{sem.asked} questions, one per call: storybot's full answer (`index.answer.answer`, question embedded)"
        if hybrid:
            p50, p99 = mine.p50 / hybrid.p50, mine.p99 / hybrid.p99
            lines += [
                f"| per question p50 ({per}) | {ms(mine.p50)} | {ms(hybrid.p50)} | {p50:.2f}x | "
                f"<= {MAX_VS_HYBRID:.0f}x | {met(p50 <= MAX_VS_HYBRID)} |",
                f"| per question p99 | {ms(mine.p99)} | {ms(hybrid.p99)} | {p99:.2f}x | <= {MAX_VS_HYBRID:.0f}x and "
                f"<= {MAX_P99_MS:.0f} ms | {met(p99 <= MAX_VS_HYBRID and mine.p99 * 1000 <= MAX_P99_MS)} |",
            ]
        else:
            lines += [
                f"| per question p50 ({per}) | {ms(mine.p50)} | {sem.torch} | | | |",
                f"| per question p99 | {ms(mine.p99)} | {sem.torch} | | <= {MAX_P99_MS:.0f} ms | "
                f"{met(mine.p99 * 1000 <= MAX_P99_MS)} |",
            ]
        lines += [self._semantic_build_row(sem), self._serve_row(sem)]
        lines.append(
            f"| nearest sentences the same as a full scan's (the {NEAREST_SENTENCES} by cosine over every sentence "
            f"vector; storybot shortlists by principal components, `index/vectors.py`) | {sem.same_nearest} of "
            f"{sem.asked} | | | | |"
        )
        if hybrid:
            lines.append(f"| same top sentence as the hybrid | {sem.same_top} of {sem.asked} | | | | |")
        return [*lines, ""]

    @staticmethod
    def _semantic_build_row(sem: Semantic) -> str:
        build = sem.build
        rate = build["sentences"] / build["seconds"]
        what = (
            f"index build with embeddings, sentences/s (storybot: the whole build of {build['sentences']:,.0f} "
            f"sentences in a fresh process, model load included ({build['model_seconds']:.1f} s: from the package, "
            f"leaving its ready-to-load copy beside the index), "
            f"{build['seconds']:.1f} s, CPU {_cpu(build)}, peak RSS {build['rss_mb']:.0f} MB; "
            f"sentence-transformers: `encode` of the same texts, batch 64, model loaded beforehand)"
        )
        embedding = build["sentences"] / max(1e-9, build["seconds"] - build["model_seconds"])
        mine = f"{rate:.0f} ({embedding:.0f} without the model load)"
        if not sem.torch_encode:
            return f"| {what} | {mine} | {sem.torch} | | >= {MIN_BUILD_VS_TORCH:.0f}x | |"
        enc = sem.torch_encode
        theirs = enc["sentences"] / enc["seconds"]
        ratio = rate / theirs
        # the two builds run one after the other: a load that comes and goes moves the wall clock, less the CPU time
        per_cpu = (
            f"; per CPU second {build['sentences'] / build['cpu_seconds']:.0f} against "
            f"{enc['sentences'] / enc['cpu_seconds']:.0f}"
        )
        return (
            f"| {what} | {mine} | {theirs:.0f} ({enc['seconds']:.1f} s, CPU {_cpu(enc)}{per_cpu}) | {ratio:.2f}x | "
            f">= {MIN_BUILD_VS_TORCH:.0f}x | {met(ratio >= MIN_BUILD_VS_TORCH)} |"
        )

    @staticmethod
    def _serve_row(sem: Semantic) -> str:
        rss = sem.serve["rss_mb"]
        return (
            f"| peak RSS of the serving path (a fresh process: `AnswerService` with the index and the model loaded, "
            f"{sem.serve['questions']:.0f} questions answered) | {rss:.0f} MB{Report._serve_steps(sem.serve)} | | | "
            f"< {MAX_SERVE_RSS_MB:.0f} MB | "
            f"{met(rss < MAX_SERVE_RSS_MB)} |"
        )

    @staticmethod
    def _serve_steps(serve: dict[str, float]) -> str:
        """Where the peak was reached: the peak after opening the index, then after loading the model."""
        if "index_rss_mb" not in serve:
            return ""
        return (
            f" (peak after opening the index {serve['index_rss_mb']:.0f} MB, after loading the model "
            f"{serve['model_rss_mb']:.0f} MB)"
        )

    def _build_rows(self) -> list[str]:
        """The full build against bm25s's own pipeline on the same texts, and a one-story rebuild against
        the full build: ratios of wall times from the same run (CPU seconds beside them)."""
        rows = []
        build = self.build
        if self.bm25s_pipeline:
            bm = self.bm25s_pipeline
            ratio = build["seconds"] / bm["seconds"]
            rows.append(
                f"| index build against bm25s tokenizing (English stopwords), stemming (PyStemmer) and indexing "
                f"the same {bm['passages']:,.0f} passage texts (fresh processes taking turns, medians of 3) | "
                f"{ratio:.1f}x: {build['seconds']:.1f} s against {bm['seconds']:.1f} s "
                f"(CPU {_cpu(build)} against {_cpu(bm)}) | <= {MAX_BUILD_VS_BM25S:.0f}x | "
                f"{met(ratio <= MAX_BUILD_VS_BM25S)} |"
            )
        if self.rebuild_one:
            one = self.rebuild_one
            ratio = one["seconds"] / build["seconds"]
            rows.append(
                f"| rebuild after one story changed (`storybot index` again: {one['reused']:,.0f} stories reused, "
                f"median of 3) against the full build | {ratio:.2f}x: {one['seconds']:.2f} s "
                f"(CPU {_cpu(one)}) | <= {MAX_REBUILD_ONE}x | {met(ratio <= MAX_REBUILD_ONE)} |"
            )
        return rows

    def _cold(self) -> list[str]:
        if not self.cold:
            return []
        c = self.cold
        ratio = c.ask / c.floor
        return [
            f"**4. Cold start** (bundled story, index built, storybot byte-compiled as pip installs it; "
            f"medians of {c.rounds} alternating runs):",
            "",
            "| command | median | ratio | target | met |",
            "| --- | --- | --- | --- | --- |",
            f"| `storybot ask QUESTION` by words alone (`STORYBOT_SEMANTIC=false`) | {c.ask * 1000:.0f} ms | "
            f"{ratio:.2f}x | <= {MAX_COLD_RATIO}x | {met(ratio <= MAX_COLD_RATIO)} |",
            f'| `python -c "{FLOOR}"` (its floor) | {c.floor * 1000:.0f} ms | 1x | | |',
            *self._semantic_cold(c),
            "",
        ]

    @staticmethod
    def _semantic_cold(c: ColdStart) -> list[str]:
        if not (c.semantic_ask and c.semantic_floor):
            return []
        ratio = c.semantic_ask / c.semantic_floor
        return [
            f"| `storybot ask QUESTION` with the model (the default; the index built with embeddings: the model "
            f"loaded, the question embedded) | {c.semantic_ask * 1000:.0f} ms | {ratio:.2f}x | "
            f"<= {MAX_SEMANTIC_COLD_RATIO}x | {met(ratio <= MAX_SEMANTIC_COLD_RATIO)} |",
            f'| `python -c "{SEMANTIC_FLOOR}"` (its floor) | {c.semantic_floor * 1000:.0f} ms | 1x | | |',
        ]

    def _throughput(self) -> list[str]:
        t = self.throughput
        if t is None:
            return [
                "**5. Bot throughput**: not measured yet; it needs `storybot serve` and the loopback Bot API "
                "(hook: `bench/throughput.py`).",
                "",
            ]
        ratio = t.storybot_per_second / t.ceiling
        same = t.storybot_per_second / t.echo_concurrent_per_second if t.echo_concurrent_per_second else 0.0
        runs = ", ".join(f"{r:.0f}" for r in t.storybot_runs)
        return [
            f"**5. Bot throughput**: a burst of {t.questions:,} questions from {t.chats} private chats through a "
            f"real `storybot serve` process and the loopback Bot API, flood and per-user limits off, until every "
            f"question's sendMessage reached the server; medians of {t.rounds} rounds, the bots taking turns"
            f"{self._measured_alone('throughput')}:",
            "",
            "| bot | questions/s | ratio | CPU of one core | target | met |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| storybot ({t.storybot_calls_per_question:.2f} API calls a question, polls included: no typing action "
            f"for a quick answer; "
            f"{t.concurrency} updates at once; the state file on, written every second; runs {runs}) | "
            f"{t.storybot_per_second:.0f} | {ratio:.2f}x | "
            f"{t.storybot_cpu:.2f} | >= {MIN_THROUGHPUT_RATIO}x the ceiling | "
            f"{met(ratio >= MIN_THROUGHPUT_RATIO)} |",
            f"| echo bot, python-telegram-bot defaults (one update at a time) | {t.echo_per_second:.0f} | "
            f"{t.echo_per_second / t.ceiling:.2f}x | {t.echo_cpu:.2f} | | |",
            f"| echo bot, {t.concurrency} updates at once as storybot (storybot {same:.2f}x this) | "
            f"{t.echo_concurrent_per_second:.0f} | {t.echo_concurrent_per_second / t.ceiling:.2f}x | | | |",
            f"| fake Bot API server alone (sendMessage/s to a client process; its CPU in the bursts: at most "
            f"{t.server_cpu:.2f}) | {t.server_per_second:.0f} | | | | |",
            "",
        ]

    def _coalescing(self) -> list[str]:
        c = self.coalescing
        if c is None:
            return []
        before = c.ways[0]
        lines = [
            f"**6. Questions embedded together** (`index/coalesce.py`): {c.questions} distinct questions (our news "
            f"set's, `tools/news_qa`) dealt out to {c.threads} threads that all embed at once, all-MiniLM-L6-v2 on "
            f"ONNX Runtime with one intra-op thread as the service loads it for questions; medians of {c.rounds} "
            f"rounds, the ways taking turns{_load(c.load)}{self._measured_alone('coalescing')}:",
            "",
            "| way | questions/s | ratio | model calls | runs |",
            "| --- | --- | --- | --- | --- |",
        ]
        for way in c.ways:
            runs = ", ".join(f"{r:.0f}" for r in way.runs)
            lines.append(
                f"| {way.name} | {way.per_second:.0f} | {way.per_second / before.per_second:.2f}x | {way.calls} | "
                f"{runs} |"
            )
        if c.jsonl_seconds and c.prefetch_seconds:
            plain, ahead = min(c.jsonl_seconds), min(c.prefetch_seconds)
            lines += [
                "",
                f"`storybot ask --jsonl` on a file of the same {c.jsonl_lines} questions, a fresh process on the "
                f"bundled story's index with embeddings (model load included), best of {len(c.jsonl_seconds)} "
                f"runs taking turns: {plain:.2f} s one by one, {ahead:.2f} s with `--prefetch` "
                f"({plain / ahead:.2f}x; runs {', '.join(f'{x:.2f}' for x in c.jsonl_seconds)} against "
                f"{', '.join(f'{x:.2f}' for x in c.prefetch_seconds)}).",
            ]
        return [*lines, ""]

    def _measured_alone(self, name: str) -> str:
        """What a section measured by itself (`--only name`) says of its run; nothing for the others."""
        if self.alone != name:
            return ""
        return f" (measured by itself, `python -m bench --only {name}`: run {self.when}; {self.machine})"

    def section(self, number: int) -> str:
        """This report's section `number` alone, as it stands in the table."""
        text = self.markdown()
        start, end = section_span(text, number)
        return text[start:end]

    def spliced(self, before: str, chosen: frozenset[int]) -> str:
        """The table written before, with the chosen sections replaced by this run's and a line under its header
        saying when they were measured. A section starts at its bold number ("**3. ") and runs to the next."""
        ours = _sections_of(self.markdown())
        theirs = _sections_of(before)
        lines = [line for line in theirs.pop(0, "").splitlines() if line.strip()]
        head = [line for line in lines if not line.startswith(_LATER)]
        # older runs' lines keep the sections this run leaves as they were
        older = [kept for line in lines if line.startswith(_LATER) and (kept := _without(line, chosen))]
        head += ["", _when_line(chosen, f"from a later run: {self.when}; {self.machine}."), *older, ""]
        for number in chosen:
            theirs[number] = _with_history(ours.get(number, ""), theirs.get(number, ""), number)
        body = "".join(theirs[n] for n in sorted(theirs))
        return "\n".join(head) + "\n" + body.rstrip() + "\n"

    def into_readme(self, readme: Path, table: str) -> None:
        """Replace the README's table between the bench markers with this one."""
        text = readme.read_text(encoding="utf-8")
        block = f"{README_START}\n{table}{README_END}"
        pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"bench: no {README_START} ... {README_END} section in {readme}")
        readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")


def readme_table(readme: Path) -> str:
    """The table now between the README's bench markers."""
    text = readme.read_text(encoding="utf-8")
    found = re.search(re.escape(README_START) + "\n(.*?)" + re.escape(README_END), text, re.DOTALL)
    if found is None:
        raise SystemExit(f"bench: no {README_START} ... {README_END} section in {readme}")
    return found.group(1)


def section_span(table: str, number: int) -> tuple[int, int]:
    """Where section `number` of a table is: from its "**N. " line to the next section's, or the end."""
    start = re.search(rf"^\*\*{number}\. ", table, re.MULTILINE)
    if start is None:
        raise SystemExit(f"bench: no section {number} in the table")
    after = re.search(r"^\*\*\d+\. ", table[start.end() :], re.MULTILINE)
    return start.start(), start.end() + after.start() if after else len(table)


def with_section(table: str, number: int, section: str) -> str:
    """`table` with its section `number` replaced by `section`; the other sections as they were."""
    start, end = section_span(table, number)
    return table[:start] + section + table[end:]
