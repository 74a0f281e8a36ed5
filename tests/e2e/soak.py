"""A soak on the loopback Discord: a steady stream of questions while faults are injected.

Used by tests/e2e/test_soak.py (short) and benchmarks/soak.py (60 s). Faults, in turn: gateway
closes 1006 (no close frame) and 4000, op 7 RECONNECT, op 9 INVALID_SESSION (not resumable),
REST 429s (JSON `retry_after` and a `Via` header, as Discord sends them) and 500/502 on message
creates. Replies are counted by the id of the question they reference.

A question posted while the bot has no live gateway session (after op 9, before the new
IDENTIFY) is never delivered by Discord, to this bot or any other; the bot reads those from
history when it reconnects. They are counted apart: `caught_up` if answered so,
`undeliverable` if never answered; `lost` counts delivered questions without a reply.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.client import make_bot
from bot.db import Database
from bot.settings import Settings
from bot.storage.store import KnowledgeStore
from tests.e2e.clients import connect_client, shutdown_client
from tests.fakediscord import FakeDiscord

__all__ = ["SoakResult", "soak"]

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = "/channels/{channel_id}/messages"
QUESTIONS = ("what is DOMA?", "what is UAFA?")


@dataclass(frozen=True)
class SoakResult:
    sent: int
    caught_up: int
    undeliverable: int
    answered_once: int
    lost: int
    duplicated: int
    faults: dict[str, int]

    def line(self) -> str:
        faults = ", ".join(f"{name} {count}" for name, count in sorted(self.faults.items()))
        return (
            f"questions sent {self.sent}, answered once {self.answered_once}, lost {self.lost}, "
            f"duplicated {self.duplicated}; posted with no gateway session: answered on "
            f"reconnection {self.caught_up}, undeliverable {self.undeliverable}; faults: {faults}"
        )


async def _inject(fake: FakeDiscord, stop: asyncio.Event, period: float) -> Counter[str]:
    injected: Counter[str] = Counter()
    faults = ("1006", "429", "4000", "500", "op7", "502", "op9", "429")
    turn = 0
    while not stop.is_set():
        with_timeout = asyncio.wait_for(stop.wait(), period)
        try:
            await with_timeout
            break
        except TimeoutError:
            pass
        fault = faults[turn % len(faults)]
        turn += 1
        if fault in ("1006", "4000"):
            await fake.drop_gateway(int(fault))
        elif fault == "op7":
            await fake.request_reconnect()
        elif fault == "op9":
            await fake.invalidate_session(resumable=False)
        elif fault == "429":
            fake.rate_limit_next("POST", MESSAGES, retry_after=0.3, count=3)
        else:
            fake.fail_next("POST", MESSAGES, status=int(fault), count=2)
        injected[fault] += 1
    return injected


async def soak(seconds: float, rate: float = 50.0, fault_period: float = 1.0) -> SoakResult:
    """Ask `rate` questions a second for `seconds` while faults are injected; count replies."""
    with tempfile.TemporaryDirectory(prefix="soak-") as work:
        knowledge = Path(work) / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        async with FakeDiscord() as fake:
            settings = Settings.model_validate(
                {
                    "help_channels": ["help"],
                    "data_dir": Path(work) / "data",
                    "knowledge_dir": knowledge,
                    "discord_api_base": fake.api_base,
                    "discord_gateway_url": fake.gateway_url,
                    "watch_knowledge": False,
                    "semantic": False,
                    "cooldowns": {"per_user_seconds": 0, "per_channel_entry_seconds": 0},
                }
            )
            database = await Database.open(settings.data_dir)
            bot = make_bot(settings, KnowledgeStore(knowledge), database)
            task = await connect_client(bot, fake, patch_urls=False)
            try:
                return await _run(fake, seconds, rate, fault_period)
            finally:
                await shutdown_client(bot, task)
                await database.close()


async def _run(fake: FakeDiscord, seconds: float, rate: float, fault_period: float) -> SoakResult:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    injector = asyncio.create_task(_inject(fake, stop, fault_period))
    sent: list[str] = []
    gap: set[str] = set()  # posted while no gateway session was alive
    start = loop.time()
    count = int(seconds * rate)
    for index in range(count):
        await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
        live = any(session.alive for session in fake.sessions.values())
        message = await fake.message_create("help", "alice", QUESTIONS[index % len(QUESTIONS)])
        sent.append(str(message["id"]))
        if not live:
            gap.add(str(message["id"]))
    stop.set()
    injected = await injector
    expected = set(sent) - gap

    def replies() -> Counter[str]:
        counts: Counter[str] = Counter()
        for request in fake.requests_matching("POST", MESSAGES, status=200):
            body: Any = request.json or {}
            reference = str((body.get("message_reference") or {}).get("message_id"))
            if reference in expected or reference in gap:
                counts[reference] += 1
        return counts

    # Let retries after 429s and 5xx finish, and the catch-up after the last reconnection:
    # wait until every question has a reply (or 30 s).
    deadline = loop.time() + 30
    while loop.time() < deadline and not set(sent) <= set(replies()):
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # late duplicates would arrive now
    counts = replies()
    return SoakResult(
        sent=len(sent),
        caught_up=sum(1 for m in gap if counts[m] > 0),
        undeliverable=sum(1 for m in gap if counts[m] == 0),
        answered_once=sum(1 for m in sent if counts[m] == 1),
        lost=sum(1 for m in expected if counts[m] == 0),
        duplicated=sum(1 for m in sent if counts[m] > 1),
        faults=dict(injected),
    )
