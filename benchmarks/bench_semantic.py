"""Latency, restart time and memory of the fused engine beside the lexical stage alone.

    python benchmarks/bench_semantic.py [--entries N] [--questions N]

`--entries N` (N above the shipped size) copies the shipped entries under new ids until the
base has N entries (their phrasings get a numbered suffix, so every text is new to the cache).
Prints decide p50/p99 with the question's encoding, the first encode and training time, the
restart time with cached vectors and classifier, and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from bot.core.decide import Engine, Mode
from bot.core.models import KnowledgeBase
from bot.semantic import SemanticRuntime
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parent.parent


def grown(knowledge: KnowledgeBase, size: int) -> KnowledgeBase:
    entries = dict(knowledge.entries)
    originals = list(knowledge.entries.items())
    copy = 0
    while len(entries) < size:
        entry_id, entry = originals[copy % len(originals)]
        n = copy // len(originals) + 1
        entries[f"{entry_id}-{n}"] = entry.replace(
            question=f"{entry.question} ({n})", asks=tuple(f"{a} ({n})" for a in entry.asks)
        )
        copy += 1
    return KnowledgeBase(entries=entries, sources=knowledge.sources)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=0)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument(
        "--data", type=Path, help="keep the caches here; a second run measures a restart alone"
    )
    args = parser.parse_args()
    knowledge = load_knowledge(ROOT / "knowledge")
    if args.entries > len(knowledge.entries):
        knowledge = grown(knowledge, args.entries)
    items = yaml.safe_load((ROOT / "evaluation" / "questions.yaml").read_text("utf-8"))["items"]
    questions = [item["q"] for item in items][: args.questions]
    print(f"knowledge: {len(knowledge.entries)} entries, {knowledge.phrasing_count} phrasings")
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or Path(scratch)
        warm = any(data.glob("*.npz"))
        start = time.perf_counter()
        lexical = Engine(knowledge)
        fused = SemanticRuntime(data).upgrade(lexical)
        took = time.perf_counter() - start
        print(
            f"{'restart (cached vectors and classifier)' if warm else 'first start'}: {took:.2f} s"
        )
        if not warm and args.data is None:
            start = time.perf_counter()
            SemanticRuntime(data).upgrade(Engine(knowledge))
            print(
                f"restart with cached vectors and classifier: {time.perf_counter() - start:.2f} s"
            )
    for name, engine in (("lexical", lexical), ("fused", fused)):
        timings, cpu = [], []
        for question in questions:
            start, start_cpu = time.perf_counter(), time.thread_time()
            engine.decide(question, Mode.ASK)
            timings.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.thread_time() - start_cpu))
        p50, p99 = np.percentile(timings, [50, 99])
        c50, c99 = np.percentile(cpu, [50, 99])
        print(
            f"decide {name:8} p50 {p50:.1f} ms  p99 {p99:.1f} ms  "
            f"(CPU time p50 {c50:.1f} ms  p99 {c99:.1f} ms; {len(timings)} questions)"
        )
    with tempfile.TemporaryDirectory() as data:
        stall, idle = asyncio.run(_loop_stall(Engine(knowledge), questions, Path(data)))
    print(
        f"event loop: longest stall {stall:.1f} ms while building the stage and deciding "
        f"(the same loop idle, as long: {idle:.1f} ms, the machine's own scheduling noise)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    return 0


async def _ticker(done: asyncio.Event) -> float:
    """Longest lateness of a 1 ms sleep until `done` (ms)."""
    worst = 0.0
    loop = asyncio.get_running_loop()
    while not done.is_set():
        before = loop.time()
        await asyncio.sleep(0.001)
        worst = max(worst, 1000 * (loop.time() - before - 0.001))
    return worst


async def _loop_stall(engine: Engine, questions: list[str], data: Path) -> tuple[float, float]:
    """The loop's longest stall while the runtime builds and decides, and idle as long."""
    runtime = SemanticRuntime(data)
    done = asyncio.Event()
    tick = asyncio.create_task(_ticker(done))
    start = time.perf_counter()
    upgraded = await runtime.enable(engine)
    for question in questions:
        await runtime.decide(upgraded, question, Mode.ASK)
    took = time.perf_counter() - start
    done.set()
    busy = await tick
    runtime.close()
    done = asyncio.Event()
    tick = asyncio.create_task(_ticker(done))
    await asyncio.sleep(took)
    done.set()
    return busy, await tick


if __name__ == "__main__":
    sys.exit(main())
