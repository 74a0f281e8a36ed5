"""The Discord path at Discord's own pace: 50 questions a second, through discord.py and a fake.

Why this rate: Discord lets a bot make about 50 requests a second in all, so a bot that answers
each question with one REST reply never has to answer faster. The benchmark offers a steady
50 questions a second (overheard in help channels and threads, and asked in DMs) and reports:

- p50/p99/max time from the fake starting to dispatch a question (the gateway event) to the
  fake receiving the bot's REST reply to it (target: p99 <= 50 ms);
- the CPU the bot's process uses meanwhile, as a share of one core (target: <= 50%);
- for information, burst throughput: as many questions as the bot can take, 16 in flight.

The fake of Discord (tests/fakediscord, 127.0.0.1 only) and the driver run in a child process,
as Discord is not in the bot's process in production; the bot (FamilyTies with the lexical
engine, a real SQLite file, cooldowns off) runs in this one. Numbers are printed, never
asserted. Run from the repository root:

    .venv/bin/python -m benchmarks.bench_discord           # 60 s steady + burst (~2 minutes)
    .venv/bin/python -m benchmarks.bench_discord --quick   # CI smoke run (~30 s)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import re
import tempfile
import time
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# discord.py imports the stdlib `audioop`, deprecated on 3.11 (as in tests/e2e/conftest.py).
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="'audioop' is deprecated", category=DeprecationWarning
    )
    import discord  # noqa: F401 - imported here so the filter above applies

from benchmarks.typos import misspell
from bot.client import FamilyTies
from bot.core.decide import Engine, Kind, Mode
from bot.db import Database
from bot.settings import Settings
from bot.storage.folder import load_knowledge
from bot.storage.store import KnowledgeStore
from tests.e2e.clients import connect_client, shutdown_client
from tests.fakediscord import FakeChannel, FakeDiscord, FakeUser

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = ROOT / "knowledge"
SEED = 20120928
HELP_CHANNELS = ("help", "help-2", "help-3", "help-4")
MESSAGES_ROUTE = "/channels/{channel_id}/messages"
MEMBERS = 40
BURST_IN_FLIGHT = 16
REPLY_TIMEOUT = 5.0


def question_pool(seed: int) -> list[str]:
    """Questions (canonical and with typos) the engine answers both overheard and asked.

    Every question must produce an answer card in every place, or silence would be counted
    as a missing reply.
    """
    knowledge = load_knowledge(KNOWLEDGE_DIR)
    engine = Engine(knowledge)
    rng = random.Random(seed)
    pool: list[str] = []
    for entry in knowledge.entries.values():
        bare = re.sub(r"[^\w\s']", "", entry.question).lower() + "?"
        for text in (entry.question, misspell(entry.question, rng, 1), misspell(bare, rng, 1)):
            decisions = (engine.decide(text, Mode.LISTEN), engine.decide(text, Mode.ASK))
            if text not in pool and all(
                d.kind is Kind.ANSWER and d.entry_id == entry.id for d in decisions
            ):
                pool.append(text)
    return pool


# --------------------------------------------------------------------------------------------
# The child process: the fake of Discord and the driver.
# --------------------------------------------------------------------------------------------


class BenchFake(FakeDiscord):
    """The fake, noting when each question goes out, and never throttling the bot.

    Why no per-route limit: discord.py obeys the fake's 5 requests a second per channel; this
    benchmark measures the bot against Discord's global limit, not the per-channel ones (a
    busy server spreads its questions over more channels than these eight).
    """

    def __init__(self) -> None:
        self._by_channel: dict[str, list[dict[str, Any]]] = {}
        super().__init__()
        self.route_rate_limit = 1_000_000
        self.sent_at: dict[str, float] = {}
        self.waiting: dict[str, asyncio.Future[None]] = {}

    async def dispatch(
        self, event: str, data: dict[str, Any], *, session_id: str | None = None
    ) -> None:
        """Start a question's clock before its event is sent; wake its waiter on the reply."""
        if event == "MESSAGE_CREATE" and data["author"]["id"] != self.bot_user.id:
            self.sent_at[str(data["id"])] = time.monotonic()
        elif event == "MESSAGE_CREATE":
            question = (data.get("message_reference") or {}).get("message_id")
            waiter = self.waiting.pop(str(question), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        await super().dispatch(event, data, session_id=session_id)

    def _store_message(self, msg: dict[str, Any], *, ephemeral: bool = False) -> dict[str, Any]:
        stored = super()._store_message(msg, ephemeral=ephemeral)
        self._by_channel.setdefault(stored["channel_id"], []).append(stored)
        return stored

    def channel_messages(self, channel: Any, *, include_ephemeral: bool = False) -> list[Any]:
        """Index by channel: the fake's nonce check scans all messages, quadratic over a run."""
        return [
            m
            for m in self._by_channel.get(self.get_channel(channel).id, [])
            if m["id"] in self.messages
            and (include_ephemeral or m["id"] not in self.ephemeral_message_ids)
        ]

    def places(self) -> tuple[list[FakeChannel], list[FakeUser]]:
        """Help channels, a thread in each, and members with their DM channels."""
        channels = [self.get_channel(HELP_CHANNELS[0])]
        channels += [self.add_channel(name, topic="Ask here") for name in HELP_CHANNELS[1:]]
        threads = [self.get_channel("help-thread")]
        threads += [self.add_thread(f"{c.name}-thread", c) for c in channels[1:]]
        members = []
        for number in range(MEMBERS):
            user = self.add_user(f"member{number:03d}", global_name=f"Member {number}")
            self.add_member(user)
            members.append(user)
        return channels + threads, members

    def replies(self, since: int) -> dict[str, float]:
        """When each question's first REST reply arrived (request log from index `since`)."""
        arrived: dict[str, float] = {}
        for request in self.requests[since:]:
            if request.method != "POST" or request.route != MESSAGES_ROUTE:
                continue
            body = request.json or {}
            question = (body.get("message_reference") or {}).get("message_id")
            if question is not None and body.get("embeds") and request.status == 200:
                arrived.setdefault(str(question), request.time)
        return arrived


@dataclass
class Phase:
    """What one measured phase produced (the child's side; the parent adds its CPU)."""

    name: str
    questions: int
    latencies_ms: list[float]
    wall_s: float
    bot_cpu_s: float = 0.0

    @property
    def answered(self) -> int:
        """Questions that got their answer card."""
        return len(self.latencies_ms)

    def percentile(self, share: float) -> float:
        """Latency below which `share` of the answered questions fall, in ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def rate(self) -> float:
        """Answered questions a second."""
        return self.answered / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_share(self) -> float:
        """The bot process's CPU over the phase, as a share of one core."""
        return self.bot_cpu_s / self.wall_s if self.wall_s else 0.0


class Driver:
    """Sends questions from random members in random places, and tallies the replies."""

    def __init__(self, fake: BenchFake, pool: Sequence[str], seed: int) -> None:
        self.fake = fake
        self.pool = pool
        self.rng = random.Random(seed)
        self.places, self.members = fake.places()
        self.dms = [fake.dm_channel(member) for member in self.members]

    async def ask(self) -> str:
        """Post one question: half in help channels and threads, half in DMs."""
        author = self.rng.randrange(len(self.members))
        where = self.dms[author] if self.rng.random() < 0.5 else self.rng.choice(self.places)
        message = await self.fake.message_create(
            where, self.members[author], self.rng.choice(self.pool)
        )
        return str(message["id"])

    async def steady(self, name: str, rate: float, seconds: float) -> Phase:
        """Offer `rate` questions a second for `seconds`, on a fixed schedule."""
        since, sent = len(self.fake.requests), []
        start = time.monotonic()
        for number in range(round(rate * seconds)):
            await asyncio.sleep(max(0.0, start + number / rate - time.monotonic()))
            sent.append(await self.ask())
        return await self._tally(name, sent, since, start)

    async def burst(self, name: str, count: int, in_flight: int) -> Phase:
        """Send `count` questions as fast as the bot answers, `in_flight` at a time."""
        since, sent = len(self.fake.requests), []
        slots = asyncio.Semaphore(in_flight)
        start = time.monotonic()

        async def one() -> None:
            async with slots:
                question = await self.ask()
                sent.append(question)
                answered = self.fake.waiting[question] = asyncio.get_running_loop().create_future()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(answered, REPLY_TIMEOUT)

        await asyncio.gather(*(one() for _ in range(count)))
        return await self._tally(name, sent, since, start)

    async def _tally(self, name: str, sent: list[str], since: int, start: float) -> Phase:
        deadline = time.monotonic() + REPLY_TIMEOUT
        while len(self.fake.replies(since)) < len(sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        arrived = self.fake.replies(since)
        latencies = [(arrived[q] - self.fake.sent_at[q]) * 1e3 for q in sent if q in arrived]
        wall = max(arrived.values(), default=start) - start
        return Phase(name, len(sent), latencies, wall)


def _send(connection: Connection, message: dict[str, Any]) -> None:
    connection.send_bytes(json.dumps(message).encode())


async def _receive(connection: Connection, timeout: float) -> dict[str, Any]:
    """The next message from the pipe, without blocking the event loop (it serves Discord)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        while not connection.poll():
            readable: asyncio.Future[None] = loop.create_future()
            loop.add_reader(connection.fileno(), readable.set_result, None)
            try:
                await readable
            finally:
                loop.remove_reader(connection.fileno())
    message: dict[str, Any] = json.loads(connection.recv_bytes())
    return message


async def _drive(connection: Connection, plan: dict[str, Any]) -> None:
    """The child: serve the fake, wait for the bot, run each phase between the parent's marks."""
    async with BenchFake() as fake:
        driver = Driver(fake, plan["pool"], SEED)
        _send(connection, {"api_base": fake.api_base, "gateway_url": fake.gateway_url})
        await _receive(connection, 120)  # the bot is connected
        await driver.steady("warm-up", plan["rate"], plan["warmup_s"])
        for kind, name, amount in plan["phases"]:
            _send(connection, {"start": name})
            await _receive(connection, 30)  # the parent has started its CPU clock
            if kind == "steady":
                phase = await driver.steady(name, plan["rate"], amount)
            else:
                phase = await driver.burst(name, int(amount), BURST_IN_FLIGHT)
            _send(connection, {"end": asdict(phase)})
            await _receive(connection, 30)
        _send(connection, {"done": True})
        await _receive(connection, 60)  # the bot has disconnected


def _child(connection: Connection, plan: str) -> None:
    try:
        asyncio.run(_drive(connection, json.loads(plan)))
    except BaseException:
        _send(connection, {"error": traceback.format_exc()})
        raise


# --------------------------------------------------------------------------------------------
# This process: the bot.
# --------------------------------------------------------------------------------------------


async def _expect(connection: Connection, timeout: float) -> dict[str, Any]:
    message = await _receive(connection, timeout)
    if "error" in message:
        raise RuntimeError(f"the fake's process failed:\n{message['error']}")
    return message


async def run(plan: dict[str, Any], scratch: Path) -> list[Phase]:
    """Start the child, connect the bot to its fake, and meter the bot's CPU in each phase."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_child, args=(theirs, json.dumps(plan)), daemon=True)
    child.start()
    theirs.close()
    urls = await _expect(ours, 60)
    settings = Settings.model_validate(
        {
            "help_channels": list(HELP_CHANNELS),
            "data_dir": scratch,
            "knowledge_dir": KNOWLEDGE_DIR,
            "discord_api_base": urls["api_base"],
            "discord_gateway_url": urls["gateway_url"],
            "cooldowns": {"per_user_seconds": 0, "per_channel_entry_seconds": 0},
            "watch_knowledge": False,
            "semantic": False,  # the target is set for the lexical stage
        }
    )
    database = await Database.open(scratch)
    bot = FamilyTies(settings, KnowledgeStore(KNOWLEDGE_DIR), database)
    task = await connect_client(bot, None, timeout=30, patch_urls=False)
    phases: list[Phase] = []
    try:
        _send(ours, {"go": True})
        while "done" not in await _expect(ours, 300):
            gc.collect()  # each phase starts without the previous one's garbage
            cpu = time.process_time()
            _send(ours, {"ok": True})
            ended = (await _expect(ours, 300))["end"]
            phases.append(Phase(**{**ended, "bot_cpu_s": time.process_time() - cpu}))
            _send(ours, {"ok": True})
    finally:
        await shutdown_client(bot, task, timeout=10)
        await database.close()
        _send(ours, {"stop": True})
        child.join(15)
        if child.is_alive():
            child.terminate()
    return phases


def report(phases: Sequence[Phase], plan: dict[str, Any]) -> None:
    """Print the figures against the targets."""
    print(
        f"discord.py {metadata.version('discord.py')}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}; {len(plan['pool'])} questions in the pool; "
        f"steady rate {plan['rate']:.0f}/s, burst {BURST_IN_FLIGHT} in flight"
    )
    print(
        f"{'phase':<8} {'asked':>6} {'answered':>8} {'rate/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'bot CPU':>8}"
    )
    for p in phases:
        print(
            f"{p.name:<8} {p.questions:>6} {p.answered:>8} {p.rate:>7.1f} "
            f"{p.percentile(0.5):>7.1f} {p.percentile(0.99):>7.1f} {p.percentile(1.0):>7.1f} "
            f"{p.cpu_share:>7.0%}"
        )
    steady = next(p for p in phases if p.name == "steady")
    p99 = steady.percentile(0.99)
    verdict = "meets" if p99 <= 50 and steady.cpu_share <= 0.5 else "MISSES"
    print(
        f"steady: p99 {p99:.1f} ms (target <= 50), bot CPU {steady.cpu_share:.0%} "
        f"of one core (target <= 50%): {verdict} the targets; "
        f"{steady.questions - steady.answered} unanswered"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit 1 only if the run itself failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run for CI (~30 s)")
    parser.add_argument("--rate", type=float, default=50.0, help="steady questions per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the steady phase")
    parser.add_argument("--burst", type=int, default=2000, help="questions in the burst phase")
    args = parser.parse_args(argv)
    seconds, burst = (10.0, 300) if args.quick else (args.seconds, args.burst)
    plan = {
        "pool": question_pool(SEED),
        "rate": args.rate,
        "warmup_s": 2.0,
        "phases": [("steady", "steady", seconds), ("burst", "burst", burst)],
    }
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as scratch:
        phases = asyncio.run(run(plan, Path(scratch)))
    report(phases, plan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
