"""Benchmark the answering engine: load time, query latency and peak memory, per size.

One run measures the shipped knowledge base and synthetic ones of 1,000, 10,000 and 100,000
entries (built from the shipped entries and written as real YAML files, so the measured load is
the real path: YAML parse, validation, index build), each beside a naive rapidfuzz baseline, and
checks the figures against the project's targets.

Every size runs in its own fresh child process, one after another (the machine is small and
shared), so a peak RSS is that size's alone and no size warms caches for the next.

    .venv/bin/python benchmarks/bench_engine.py                 # everything (a few minutes)
    .venv/bin/python benchmarks/bench_engine.py --quick         # CI smoke run (seconds)
    .venv/bin/python benchmarks/bench_engine.py --sizes shipped,10000 --json results.json
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import yaml
from rapidfuzz import fuzz, process, utils
from typos import misspell

from bot.core import decide as decide_module
from bot.core import validation as validation_module
from bot.core.decide import Engine, Mode
from bot.core.loader import SOURCES_FILE, KnowledgeError
from bot.core.matching import index as index_module
from bot.core.matching import postings as postings_module
from bot.core.matching import search as search_module
from bot.core.matching import weights as weights_module
from bot.core.models import ANSWER_MAX_CHARS, MIN_ASKS, Entry, KnowledgeBase
from bot.core.normalize import STOPWORDS, normalize
from bot.paths import DEFAULT_KNOWLEDGE_DIR
from bot.storage import folder as folder_module
from bot.storage.folder import load_knowledge

SEED = 20120928
FULL_SIZES = ("shipped", "1000", "10000")  # 100000 still runs (--sizes); no target there
QUICK_SIZES = ("shipped", "1000")
MIN_QUERIES = 300
PSEUDO_WORDS = 3000
LONG_MESSAGE = 80  # the matcher also searches each sentence of longer messages
MS = 1e3


@dataclass(frozen=True)
class Target:
    """A performance target of the project, checked against one size's figure."""

    size: str
    metric: str
    limit: float
    unit: str
    label: str


# The lexical stage's own targets were retired with the semantic stage: the engine's targets
# (decide with the question's encoding, restart, memory) are bench_semantic.py's.
TARGETS = (Target("1000", "p99_ms", 1.0, "ms", "lexical p99 at 1,000 entries (information)"),)


# --------------------------------------------------------------------------------------------
# Queries: the development questions plus misspelt and rambling variants.
# --------------------------------------------------------------------------------------------

_OPENERS = (
    "hey everyone, sorry if this was asked before.",
    "hi all! long time lurker, first post here.",
    "ok so I have been reading about this all week and I am still confused.",
    "good evening. my friend sent me the news and I have a question.",
    "quick question for the mods, hope this is the right channel.",
)
_CLOSERS = (
    "thanks so much in advance!!",
    "any help appreciated, this is all very stressful",
    "sorry for the long post and thank you",
    "I could not find it in the pinned messages.",
    "cheers",
)
_FILLERS = ("so like", "um", "basically", "honestly", "I mean")


def build_queries(questions: Sequence[str], seed: int, minimum: int) -> list[str]:
    """Return a fixed query list: each question and five variants, repeated up to `minimum`.

    The variants are what chat looks like: typos, no capitals or punctuation, filler words, and
    rambling messages over 80 characters (which the matcher also searches sentence by sentence).
    """
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < minimum:
        for question in questions:
            bare = re.sub(r"[^\w\s']", "", question).lower()
            queries += [
                question,
                misspell(question, rng, 1),
                misspell(bare, rng, 2),
                f"{rng.choice(_FILLERS)} {bare} ??",
                f"{rng.choice(_OPENERS)} {question} {rng.choice(_CLOSERS)}",
                f"{rng.choice(_OPENERS)} {misspell(question, rng, 2)} {rng.choice(_CLOSERS)}",
            ]
    return queries


def load_questions(path: Path | None, shipped: KnowledgeBase) -> tuple[list[str], str]:
    """The `q` values of a question set; the shipped questions if none is given."""
    if path is not None:
        items = yaml.safe_load(path.read_text("utf-8"))["items"]
        return [str(item["q"]) for item in items], str(path)
    questions = [entry.question for entry in shipped.entries.values()]
    return questions, "the shipped entries' questions (no --questions given)"


# --------------------------------------------------------------------------------------------
# Synthetic knowledge bases, written as real YAML files.
# --------------------------------------------------------------------------------------------


def pseudo_vocabulary(count: int, rng: random.Random, avoid: set[str]) -> list[str]:
    """Made-up, pronounceable words ("korbothze") that no shipped phrasing uses."""
    onsets = (*"bcdfghjklmnprstvwz", "br", "dr", "fl", "gr", "kl", "pr", "st", "tr", "sk")
    vowels = (*"aeiou", "ai", "ou")
    codas = ("", "", *"nrlksmx", "th")
    excluded = avoid | STOPWORDS
    words: set[str] = set()
    while len(words) < count:
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
            for _ in range(rng.choice((2, 2, 3)))
        )
        if 5 <= len(word) <= 11 and word not in excluded and normalize(word) == word:
            words.add(word)
    return sorted(words)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Dumps like the hand-written files: `|` blocks for answers, `[a, b]` for tag lists."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    slugs = all(isinstance(item, str) and re.fullmatch(r"[a-z0-9-]+", item) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=slugs)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.'()?/-]*")


def _scalar(text: str) -> str:
    """One line of text as a YAML scalar: plain when unambiguous, otherwise double-quoted."""
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _answer(text: str) -> str:
    """The answer field as a `|-` block like the hand-written files, or quoted if it must be."""
    lines = text.split("\n")
    if text[:1].isspace() or not all(
        line.isprintable() and line == line.rstrip() for line in lines
    ):
        return f"    answer: {json.dumps(text, ensure_ascii=False)}\n"
    return "    answer: |-\n" + "".join(f"      {line}\n" if line else "\n" for line in lines)


def _fixed_fields(entry: Entry) -> str:
    """The YAML of the fields every copy of an entry shares, indented for an entries list."""
    data = {
        "sources": [
            {key: value for key, value in asdict(ref).items() if value is not None}
            for ref in entry.sources
        ],
        "as_of": entry.as_of,
        "reviewed": entry.reviewed,
        "tags": list(entry.tags),
    }
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"    {line}\n" for line in text.splitlines())


def _with_words(phrasing: str, words: str, rng: random.Random) -> str:
    """Put the entry's distinguishing words before, after or inside a shipped phrasing."""
    limit = 300 - len(words) - 3
    if len(phrasing) > limit:
        phrasing = phrasing[:limit].rsplit(" ", 1)[0]
    head, _, tail = phrasing.partition(" ")
    return rng.choice(
        (
            f"{words} {phrasing}",
            f"{phrasing} {words}",
            f"{phrasing} ({words})",
            f"{head} {words} {tail}".strip(),
        )
    )


def _synthetic_id(base: Entry, number: int) -> str:
    return f"{base.id[:50].rstrip('-')}-{number}"


def write_synthetic(
    shipped: KnowledgeBase, shipped_dir: Path, size: int, out: Path, seed: int
) -> int:
    """Write a knowledge base of `size` entries derived from the shipped one; return its bytes.

    Entry i is shipped entry i mod n under a unique id, with a pair of made-up words that no
    other entry has in every phrasing (so normalised phrasings stay unique: the loader rejects
    repeats) and in its answer (so no answer is a copy another entry's work can be cached
    from), a shuffled sample of the shipped asks, and the shipped sources, dates and tags;
    see_also points to the copies made in the same round. Entries go to files named like the
    shipped ones, next to a copy of sources.yaml.
    """
    rng = random.Random(seed + size)
    bases = list(shipped.entries.values())
    avoid = {word for e in bases for p in e.phrasings for word in normalize(p).split()}
    vocabulary = pseudo_vocabulary(PSEUDO_WORDS, rng, avoid)
    fixed = {entry.id: _fixed_fields(entry) for entry in bases}
    position = {entry.id: index for index, entry in enumerate(bases)}
    pairs: set[tuple[str, str]] = set()
    out.mkdir(parents=True, exist_ok=True)
    (out / SOURCES_FILE).write_text((shipped_dir / SOURCES_FILE).read_text("utf-8"), "utf-8")
    handles: dict[str, TextIO] = {}
    try:
        for number in range(size):
            base = bases[number % len(bases)]
            while True:
                first, second = sorted(rng.sample(vocabulary, 2))
                if (first, second) not in pairs:
                    pairs.add((first, second))
                    break
            words = f"{first} {second}" if rng.random() < 0.5 else f"{second} {first}"
            asks = rng.sample(base.asks, rng.randint(MIN_ASKS, len(base.asks)))
            round_start = number - number % len(bases)
            see_also = [
                _synthetic_id(bases[position[other]], round_start + position[other])
                for other in base.see_also
                if other in position and round_start + position[other] < size
            ]
            lines = [
                f"  - id: {_synthetic_id(base, number)}",
                f"    question: {_scalar(_with_words(base.question, words, rng))}",
                "    asks:",
                *(f"      - {_scalar(_with_words(ask, words, rng))}" for ask in asks),
            ]
            answer = f"({words}) {base.answer}"
            if len(answer) > ANSWER_MAX_CHARS:
                answer = answer[:ANSWER_MAX_CHARS].rsplit(" ", 1)[0].rstrip()
            text = "\n".join(lines) + "\n" + _answer(answer) + fixed[base.id]
            if see_also:
                text += f"    see_also: [{', '.join(see_also)}]\n"
            name = shipped.files.get(base.id, "entries.yaml")
            if name not in handles:
                path = out / name
                path.parent.mkdir(parents=True, exist_ok=True)
                handles[name] = path.open("w", encoding="utf-8")
                handles[name].write(f"# Synthetic benchmark entries derived from {name}.\n")
                handles[name].write("entries:\n")
            handles[name].write(text + "\n")
    finally:
        for handle in handles.values():
            handle.close()
    return sum(path.stat().st_size for path in out.rglob("*.yaml"))


# --------------------------------------------------------------------------------------------
# Measurement, run inside a fresh child process per size.
# --------------------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (0 if unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peak_rss_mb() -> float:
    """Peak RSS of this process in MB.

    VmHWM is the counter ru_maxrss reads, without the parent's high-water mark that
    ru_maxrss keeps across fork and exec (a 13 MB child of an 800 MB parent reports 800 MB);
    ru_maxrss is only the fallback off Linux.
    """
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Restart VmHWM from the current RSS (Linux), so each phase gets its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Stopwatch:
    """Sums the time spent in chosen functions, by wrapping them in place while active.

    Wrapping the real functions inside the real run gives a breakdown of the same work that
    was timed; each wrapped call costs well under a microsecond. Functions that no longer
    exist (the core is being edited) are skipped, and their stage shows as "-".
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def wrapping(self, *targets: tuple[object, str, str]) -> Iterator[None]:
        """Time every call of `owner.name` under `label` while the block runs."""
        undo: list[tuple[object, str, Any, bool]] = []
        for owner, name, label in targets:
            original = getattr(owner, name, None)
            if original is None:
                continue
            undo.append((owner, name, original, name in vars(owner)))
            setattr(owner, name, self._timed(original, label))
        try:
            yield
        finally:
            for owner, name, original, own in reversed(undo):
                if own:
                    setattr(owner, name, original)
                else:
                    delattr(owner, name)

    def _timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        """Time each call; a generator's work is done as it is iterated: time each step too."""
        seconds = self.seconds

        def steps(generator: Generator[Any, None, None]) -> Iterator[Any]:
            while True:
                start = time.perf_counter()
                try:
                    item = next(generator)
                except StopIteration:
                    return
                finally:
                    seconds[label] += time.perf_counter() - start
                yield item

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - start
            return steps(result) if inspect.isgenerator(result) else result

        return timed


def _timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def _latencies(run: Callable[[str], Any], queries: Sequence[str]) -> list[float]:
    times: list[float] = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        times.append(time.perf_counter() - start)
    return times


def _summary(times: Sequence[float]) -> dict[str, float]:
    values = np.asarray(times) * MS
    return {
        "n": len(values),
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "max_ms": float(values.max()),
        "mean_ms": float(values.mean()),
        "qps": float(len(values) / values.sum() * MS),
    }


def _load_targets() -> tuple[tuple[object, str, str], ...]:
    checker = getattr(validation_module, "Checker", None)
    return (
        (folder_module, "read_knowledge_files", "read"),
        (validation_module, "construct_fast", "yaml"),
        (checker, "parse_yaml", "yaml"),
        (checker, "_validate", "pydantic"),
        (checker, "cross_check", "checks"),
        (validation_module, "normalize", "checks_normalize"),  # as each entry is validated
    )


def _index_targets() -> tuple[tuple[object, str, str], ...]:
    return (
        (getattr(index_module, "Normalizer", None), "words", "index_normalize"),
        (weights_module, "zipf_frequency", "index_wordfreq"),  # first call loads its data
        (getattr(postings_module, "Postings", None), "__init__", "index_postings"),
    )


def _query_targets(engine: Engine) -> tuple[tuple[object, str, str], ...]:
    matcher = engine.matcher
    return (
        (decide_module, "triage", "triage"),
        (matcher, "search", "search"),
        (matcher, "_query", "words"),  # typo-correct and weigh, per searched part
        (search_module, "first_stage", "postings"),  # stage 1 (entry postings), all parts at once
        (process, "cdist", "rerank"),  # the module object the matcher calls it on
    )


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Measure one knowledge base in this fresh process; return JSON-able figures."""
    directory = Path(spec["kb"])
    queries: list[str] = spec["queries"]
    breakdown = spec["breakdown"]
    watch = Stopwatch()
    result: dict[str, Any] = {"rss_start_mb": _status_mb("VmRSS")}
    phase_peaks = _reset_peak()

    # Engine: load and index (each timed whole; stages summed by the stopwatch meanwhile).
    gc.collect()
    with watch.wrapping(*(_load_targets() if breakdown else ())):
        knowledge, load_s = _timed(lambda: load_knowledge(directory))
    result["rss_after_load_mb"] = _status_mb("VmRSS")
    result["peak_load_mb"] = _peak_rss_mb()
    _reset_peak()
    with watch.wrapping(*(_index_targets() if breakdown else ())):
        engine, index_s = _timed(lambda: Engine(knowledge))
    result.update(
        entries=len(knowledge.entries),
        phrasings=knowledge.phrasing_count,
        load_s=load_s,
        index_s=index_s,
        load_total_s=load_s + index_s,
        rss_after_index_mb=_status_mb("VmRSS"),
        peak_index_mb=_peak_rss_mb(),
    )
    _reset_peak()

    # Latency: warm-up on other queries, one first-seen pass, then repeat passes.
    def ask(text: str) -> Any:
        return engine.decide(text, Mode.ASK)

    for text in spec["warmup"]:
        ask(text)
    kinds: Counter[str] = Counter()

    def ask_and_count(text: str) -> None:
        kinds[ask(text).kind.value] += 1

    first = _latencies(ask_and_count, queries)
    repeats: list[float] = []
    started = time.perf_counter()
    for _ in range(spec["passes"]):
        repeats += _latencies(ask, queries)
        if time.perf_counter() - started > spec["pass_budget_s"]:
            break
    result.update(_summary(repeats))
    result["passes_run"] = len(repeats) // len(queries)
    cold = _summary(first)
    result.update(cold_p50_ms=cold["p50_ms"], cold_p99_ms=cold["p99_ms"])
    long = np.asarray([len(q) > LONG_MESSAGE for q in queries] * result["passes_run"])
    values = np.asarray(repeats) * MS
    result["p99_short_ms"] = float(np.percentile(values[~long], 99))
    result["p99_long_ms"] = float(np.percentile(values[long], 99))
    result["kinds"] = dict(sorted(kinds.items()))
    result["peak_queries_mb"] = _peak_rss_mb()
    result["peak_rss_mb"] = max(result["peak_load_mb"], result["peak_index_mb"], _peak_rss_mb())
    result["phase_peaks"] = phase_peaks  # False: each phase peak includes the earlier ones
    result["rss_end_mb"] = _status_mb("VmRSS")

    # Per-query stages: a separate pass over every third query, with the stopwatch on.
    if breakdown:
        subset = queries[::3]
        with watch.wrapping(*_query_targets(engine)):
            decide_s = sum(_latencies(ask, subset))
        stages = {"decide": decide_s, **{k: watch.seconds[k] for k in _QUERY_STAGES}}
        result["query_stages_ms"] = {k: v / len(subset) * MS for k, v in stages.items()}
    result["load_stages_s"] = {k: v for k, v in watch.seconds.items() if k not in _QUERY_STAGES}

    # Naive baseline: extractOne over every phrasing; its "load" is building that list.
    phrasings, list_s = _timed(
        lambda: [p for entry in knowledge.entries.values() for p in entry.phrasings]
    )

    def naive(text: str) -> Any:
        return process.extractOne(
            text, phrasings, scorer=fuzz.WRatio, processor=utils.default_process
        )

    naive(spec["warmup"][0])
    # Spread over the whole list, until the time budget is spent: at 100,000 entries one
    # rambling message takes seconds, so the baseline gets fewer queries (its n is shown).
    order = random.Random(SEED).sample(queries, len(queries))
    times: list[float] = []
    deadline = time.perf_counter() + spec["baseline_budget_s"]
    for text in order:
        if len(times) >= spec["baseline_min"] and time.perf_counter() > deadline:
            break
        times += _latencies(naive, [text])
    result["baseline"] = {"list_s": list_s, **_summary(times)}

    if spec["tracemalloc"]:  # measured alone, without this engine
        del engine, knowledge, phrasings
        gc.collect()

    # Second memory figure: Python allocations of a whole load + index, under tracemalloc.
    if spec["tracemalloc"]:
        tracemalloc.start()
        kept = Engine(load_knowledge(directory))
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        del kept
    return result


_QUERY_STAGES = ("triage", "search", "words", "postings", "rerank")
_KINDS = ("answer", "suggest", "legal", "none")


# --------------------------------------------------------------------------------------------
# Driver: machine, sizes in sequence, tables, targets.
# --------------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    """What the figures were measured on, and which code."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {
        name: metadata.version(name) for name in ("rapidfuzz", "numpy", "pydantic", "PyYAML")
    }
    dirty = _git("status", "--porcelain", "--", "bot", "knowledge")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "commit": (_git("rev-parse", "--short", "HEAD") or "?") + (" (modified)" if dirty else ""),
        **versions,
    }


def _child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Measure in a fresh interpreter: its memory and caches belong to one size only.

    A size that fails or outlasts `timeout` is reported as such, and the run goes on.
    """
    try:
        done = subprocess.run(  # noqa: S603 - this script, this interpreter
            [sys.executable, __file__, "--child"],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after the {timeout:g} s timeout (--timeout)"}
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed (exit code {done.returncode}): {last}"}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_report(info: dict[str, Any], everything: dict[str, dict[str, Any]]) -> None:
    """Print the human-readable tables and the targets."""
    results = {name: r for name, r in everything.items() if "error" not in r}
    print(
        f"\nMachine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"Python {info['python']}, rapidfuzz {info['rapidfuzz']}, numpy {info['numpy']}, "
        f"pydantic {info['pydantic']}, PyYAML {info['PyYAML']} (libyaml {info['libyaml']}); "
        f"code at {info['commit']}"
    )
    print(
        f"Queries: {info['queries']} ({info['questions']} questions from {info['source']} "
        f"and misspelt/rambling variants; {info['long']} are over {LONG_MESSAGE} characters), "
        f"Mode.ASK. Warm-up: {info['warmup']} other queries, then a first-seen pass "
        f"('p99 1st'), then up to {info['passes']} timed passes (p50, p99, q/s)."
    )
    for name, r in everything.items():
        if "error" in r:
            print(f"Size {name}: {r['error']}")
    print()
    header = (
        f"{'KB':>8} {'entries':>8} {'phrasings':>9} | {'load s':>7} {'index s':>7} "
        f"{'total s':>7} | {'p50 ms':>7} {'p99 ms':>7} {'p99 1st':>7} {'q/s':>7} | "
        f"{'peak MB':>7} {'end MB':>7} {'tracemal':>8}"
    )
    print(
        "Engine. load = load_knowledge (read + YAML + validation); index = "
        "Engine(...). peak = VmHWM (RSS high-water) of the size's own process; end = RSS after "
        "queries."
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:>8} {r['entries']:>8,} {r['phrasings']:>9,} | {r['load_s']:>7.3f} "
            f"{r['index_s']:>7.3f} {r['load_total_s']:>7.3f} | {r['p50_ms']:>7.3f} "
            f"{r['p99_ms']:>7.3f} {r['cold_p99_ms']:>7.3f} {r['qps']:>7,.0f} | "
            f"{r['peak_rss_mb']:>7.1f} {r['rss_end_mb']:>7.1f} "
            f"{_fmt(r.get('tracemalloc_peak_mb'), 1):>8}"
        )
    print()
    print(
        "Naive baseline: process.extractOne(q, all phrasings, scorer=fuzz.WRatio, "
        "processor=utils.default_process); load = building the phrasing list."
    )
    header = (
        f"{'KB':>8} {'list s':>7} | {'queries':>7} {'p50 ms':>9} {'p99 ms':>9} {'q/s':>8} | "
        f"{'p99 / engine p99':>16}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        b = r["baseline"]
        print(
            f"{name:>8} {b['list_s']:>7.3f} | {b['n']:>7} {b['p50_ms']:>9.3f} "
            f"{b['p99_ms']:>9.3f} {b['qps']:>8,.1f} | {b['p99_ms'] / r['p99_ms']:>15.1f}x"
        )
    if any("query_stages_ms" in r for r in results.values()):
        _print_breakdown(results)
    print("\nTargets")
    for target in TARGETS:
        found = results.get(target.size)
        label = f"  {target.label:<36} <= {target.limit:g} {target.unit:<3}"
        if found is None:
            print(f"{label}  {'MISSED (no result)' if target.size in everything else 'not run'}")
            continue
        value = found[target.metric]
        verdict = "met" if value <= target.limit else "MISSED"
        print(f"{label}  measured {value:>9,.3f} {target.unit:<3} {verdict}")


def _print_breakdown(results: dict[str, dict[str, Any]]) -> None:
    print(
        "\nLoad breakdown, s (same timed run): read whole files, YAML parse (streamed from "
        "the files: their reading included), pydantic validation, cross-checks, "
        "normalize of the phrasings, rest; index: normalize, wordfreq "
        "look-ups, postings, rest; peak RSS MB of each phase"
    )
    header = (
        f"{'KB':>8} {'read':>7} {'YAML':>7} {'pydantic':>8} {'checks':>7} {'norm':>7} "
        f"{'rest':>6} {'peak':>7} | {'normalize':>9} {'wordfreq':>8} {'postings':>8} {'rest':>7} "
        f"{'peak':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        s = r["load_stages_s"]
        known = sum(
            s.get(k, 0.0) for k in ("read", "yaml", "pydantic", "checks", "checks_normalize")
        )
        indexed = sum(s.get(f"index_{k}", 0.0) for k in ("normalize", "wordfreq", "postings"))
        print(
            f"{name:>8} {_fmt(s.get('read')):>7} {_fmt(s.get('yaml')):>7} "
            f"{_fmt(s.get('pydantic')):>8} {_fmt(s.get('checks')):>7} "
            f"{_fmt(s.get('checks_normalize')):>7} {r['load_s'] - known:>6.3f} "
            f"{r['peak_load_mb']:>7.1f} | "
            f"{_fmt(s.get('index_normalize')):>9} {_fmt(s.get('index_wordfreq')):>8} "
            f"{_fmt(s.get('index_postings')):>8} "
            f"{r['index_s'] - indexed:>7.3f} {r['peak_index_mb']:>7.1f}"
        )
    print(
        "\nQuery breakdown, mean ms per query (every third query, warm): triage, "
        "matcher.search = words (normalise + typo-correct) + postings + scoring + re-rank"
    )
    header = (
        f"{'KB':>8} {'decide':>7} {'triage':>7} {'search':>7} {'words':>7} {'postings':>8} "
        f"{'scoring':>7} {'rerank':>7} | {'p99 <=80ch':>10} {'p99 >80ch':>9} | "
        f"{'answer/suggest/legal/none':>25}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        q = r.get("query_stages_ms", {})
        scoring = q.get("search", 0.0) - sum(q.get(k, 0.0) for k in ("words", "postings", "rerank"))
        print(
            f"{name:>8} {_fmt(q.get('decide')):>7} {_fmt(q.get('triage')):>7} "
            f"{_fmt(q.get('search')):>7} {_fmt(q.get('words')):>7} "
            f"{_fmt(q.get('postings')):>8} {scoring:>7.3f} {_fmt(q.get('rerank')):>7} | "
            f"{r['p99_short_ms']:>10.3f} {r['p99_long_ms']:>9.3f} | "
            f"{'/'.join(str(r['kinds'].get(k, 0)) for k in _KINDS):>25}"
        )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default=",".join(FULL_SIZES),
        help="comma-separated: 'shipped' and/or numbers of synthetic entries",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"CI smoke run: sizes {','.join(QUICK_SIZES)} (unless --sizes), one pass",
    )
    parser.add_argument("--kb", type=Path, default=DEFAULT_KNOWLEDGE_DIR, help="shipped KB")
    parser.add_argument(
        "--questions",
        type=Path,
        default=None,
        help="question set (YAML `items` with `q`); default: the shipped entries' questions",
    )
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--pass-budget", type=float, default=20.0, help="stop adding passes after this many s"
    )
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=20.0,
        help="seconds of baseline queries per size (at least 5 queries run)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up on a size after this many s"
    )
    parser.add_argument("--no-breakdown", action="store_true", help="no stage breakdown")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="add a tracemalloc peak (an extra, slow load)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--json", type=Path, default=None, help="also write all figures here")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of queries and KBs")
    args = parser.parse_args(argv)
    if args.quick:
        if args.sizes == ",".join(FULL_SIZES):
            args.sizes = ",".join(QUICK_SIZES)
        args.passes, args.baseline_budget = 1, 3.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every size in turn, print the report; the exit code says if it ran (and met)."""
    args = _arguments(argv)
    sizes = [size.strip() for size in args.sizes.split(",") if size.strip()]
    try:
        shipped = load_knowledge(args.kb)
    except KnowledgeError as error:
        print(error.report(), file=sys.stderr)
        print(f"The knowledge base in {args.kb} does not validate yet.", file=sys.stderr)
        return 2
    questions, source = load_questions(args.questions, shipped)
    queries = build_queries(questions, args.seed, MIN_QUERIES)
    warmup = build_queries(questions, args.seed + 1, 1)[1::6][:40]
    info = machine() | {
        "queries": len(queries),
        "long": sum(len(q) > LONG_MESSAGE for q in queries),
        "questions": len(questions),
        "source": source,
        "warmup": len(warmup),
        "passes": args.passes,
    }
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="familyties-bench-") as scratch:
        for size in sizes:
            started = time.perf_counter()
            directory, written = args.kb, None
            if size != "shipped":
                directory = Path(scratch) / f"kb-{size}"
                written = write_synthetic(shipped, args.kb, int(size), directory, args.seed)
            generated = time.perf_counter() - started
            load_before = os.getloadavg()[0]
            spec = {
                "kb": str(directory),
                "queries": queries,
                "warmup": warmup,
                "passes": args.passes,
                "pass_budget_s": args.pass_budget,
                "baseline_budget_s": args.baseline_budget,
                "baseline_min": 5,
                "breakdown": not args.no_breakdown,
                "tracemalloc": args.tracemalloc,
            }
            results[size] = _child(spec, args.timeout) | {
                "yaml_bytes": written,
                "generate_s": generated,
                "loadavg_before": load_before,
                "loadavg_after": os.getloadavg()[0],
            }
            if written:  # free the disk before the next, larger base is written
                shutil.rmtree(directory, ignore_errors=True)
            results[size]["wall_s"] = time.perf_counter() - started
            print(
                f"[{size}: generated in {generated:.1f} s, measured in "
                f"{results[size]['wall_s'] - generated:.1f} s; 1-min load average "
                f"{load_before:.1f} before, {results[size]['loadavg_after']:.1f} after]",
                flush=True,
            )
    print_report(info, results)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=2) + "\n")
    missed = [
        target
        for target in TARGETS
        if target.size in results
        and results[target.size].get(target.metric, float("inf")) > target.limit
    ]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        sys.stdout.write(json.dumps(measure(json.loads(sys.stdin.read()))))
        sys.exit(0)
    sys.exit(main())
