"""Operations: health and metrics, knowledge watching, sharding, several processes, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml

from tests.e2e.conftest import MESSAGES, Env, MakeEnv, replying_to
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def eventually(check: Any, timeout: float = 10.0) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.1)


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if wanted else ''} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name} {labels} not in metrics"
    return float(match.group(1))


async def test_health_and_metrics(make_env: MakeEnv) -> None:
    env = await make_env(health_port=0, watch_knowledge=True)
    assert env.bot.health is not None
    base = f"http://127.0.0.1:{env.bot.health.port}"
    status, body = await get(f"{base}/healthz")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok" and health["gateway"] == "connected"
    assert health["knowledge_loaded"] is True and health["entries"] == 48

    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question)
    legal = await env.fake.message_create("help", "alice", "ICE picked up my girlfriend today")
    await env.reply_to(legal)
    _, text = await get(f"{base}/metrics")
    assert metric(text, "familyties_decisions_total", kind="answer", mode="listen") == 1
    assert metric(text, "familyties_decisions_total", kind="legal", mode="listen") == 1
    assert metric(text, "familyties_answer_latency_seconds_count") == 2
    assert metric(text, "familyties_knowledge_entries") == 48
    assert metric(text, "familyties_errors_total") == 0

    # A broken edit on disk: the watcher refuses it and keeps serving; /status says so, while
    # /healthz stays 200 (a restart cannot fix a file, so liveness must not ask for one).
    law = env.knowledge_dir / "law.yaml"
    law.write_text(law.read_text() + "\n  - id: [broken\n")

    async def degraded() -> dict[str, Any] | None:
        _, body = await get(f"{base}/status")
        report: dict[str, Any] = json.loads(body)
        return report if report["degraded"] else None

    report = await eventually(degraded)
    assert report["knowledge"]["serving"] == "previous version"
    assert report["knowledge"]["problems"] >= 1
    assert any(p.startswith("law.yaml") for p in report["knowledge"]["problem_list"])
    assert report["ready"] is True and report["gateway"] == "connected"
    status, _ = await get(f"{base}/healthz")
    assert status == 200
    _, text = await get(f"{base}/metrics")
    assert metric(text, "familyties_knowledge_reloads_total", result="failed") >= 1
    assert env.bot.store.engine.decide("what is doma").entry_id == "what-is-doma"


async def test_files_changed_on_disk_are_picked_up(make_env: MakeEnv) -> None:
    env = await make_env(watch_knowledge=True)
    law = env.knowledge_dir / "law.yaml"
    law.write_text(
        law.read_text().replace("      - doma?\n", "      - doma?\n      - the doma thingy\n")
    )

    async def served() -> bool:
        return "the doma thingy" in env.bot.store.knowledge.entries["what-is-doma"].asks

    await eventually(served)


def guild_shard(fake: FakeDiscord, count: int) -> int:
    return (int(fake.guild.id) >> 22) % count


async def test_sharded_process_identifies_its_shard_and_answers(
    fake_discord: FakeDiscord, make_env: MakeEnv
) -> None:
    shard = guild_shard(fake_discord, 2)
    env: Env = await make_env(shard_count=2, shard_ids=[shard])
    (identify,) = fake_discord.identifies
    assert identify.shard == [shard, 2]
    question = await env.fake.message_create("help", "alice", "what is UAFA?")
    body = await env.reply_to(question)
    assert body["embeds"][0]["title"].startswith("What is the Uniting American Families Act")


# ---------------------------------------------------------------- two real processes


class BotProcess:
    """`python -m bot run` in its own OS process, against the fake."""

    def __init__(self, process: asyncio.subprocess.Process, log: list[str]) -> None:
        self.process = process
        self.log = log
        self.health_port = 0

    async def wait_for_log(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        async def found() -> re.Match[str] | None:
            return next((m for line in self.log if (m := re.search(pattern, line))), None)

        result: re.Match[str] = await eventually(found, timeout)
        return result


async def start_bot_process(
    fake: FakeDiscord,
    tmp_path: Path,
    name: str,
    knowledge: Path,
    shard: int | None,
    **settings: Any,
) -> BotProcess:
    shards = {} if shard is None else {"shard_count": 2, "shard_ids": [shard]}
    config = tmp_path / f"{name}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                **shards,
                "knowledge_dir": str(knowledge),
                "data_dir": str(tmp_path / "data"),  # one database shared by both processes
                "help_channels": ["help"],
                "moderator_roles": ["Moderator"],
                "health_port": 0,
                "cooldowns": {"per_user_seconds": 0, "per_channel_entry_seconds": 0},
                "semantic": False,
                **settings,
            }
        )
    )
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "FAMILYTIES_CONFIG": str(config),
        "PYTHONWARNINGS": "ignore",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    log: list[str] = []

    async def pump() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            log.append(line.decode(errors="replace"))

    bot = BotProcess(process, log)
    bot.pump = asyncio.create_task(pump())  # type: ignore[attr-defined]
    await bot.wait_for_log(r"Connected as")
    # The last endpoint started is the live one (a restart without an intent starts another).
    ports = [
        re.findall(r"health endpoint on http://127\.0\.0\.1:(\d+)/healthz", line) for line in log
    ]
    bot.health_port = int([p for found in ports for p in found][-1])
    return bot


@pytest_asyncio.fixture
async def two_processes(
    fake_discord: FakeDiscord, tmp_path: Path
) -> AsyncIterator[tuple[BotProcess, BotProcess, Path]]:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    owner = guild_shard(fake_discord, 2)
    started: list[BotProcess] = []
    try:
        started.append(await start_bot_process(fake_discord, tmp_path, "a", knowledge, owner))
        started.append(await start_bot_process(fake_discord, tmp_path, "b", knowledge, 1 - owner))
        yield started[0], started[1], knowledge
    finally:
        for bot in started:
            if bot.process.returncode is None:
                bot.process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(bot.process.wait(), 15)
                except TimeoutError:
                    bot.process.kill()
                    await bot.process.wait()
            await bot.pump  # type: ignore[attr-defined]


async def test_a_change_in_one_process_reaches_the_other(
    fake_discord: FakeDiscord, two_processes: tuple[BotProcess, BotProcess, Path]
) -> None:
    first, second, knowledge = two_processes

    async def phrasings(bot: BotProcess) -> int:
        _, body = await get(f"http://127.0.0.1:{bot.health_port}/healthz")
        return int(json.loads(body)["phrasings"])

    before = await phrasings(second)
    assert before == await phrasings(first)
    # The moderator's command reaches the process that owns the guild's shard.
    interaction = await fake_discord.slash_command(
        "kb alias",
        {"entry": "what-is-uafa", "phrasing": "that partner sponsorship bill"},
        user_id="mod",
    )
    (saved,) = await fake_discord.wait_for_followup(interaction, timeout=20)
    assert saved["content"].startswith("Saved as change #1")
    assert "that partner sponsorship bill" in (knowledge / "law.yaml").read_text()

    async def propagated() -> bool:
        return await phrasings(second) == before + 1

    await eventually(propagated, timeout=10)
    # Both processes answer from the shared state; only the owner of the guild's shard replies.
    question = await fake_discord.message_create("help", "alice", "that partner sponsorship bill?")
    reply = await fake_discord.wait_for_request(
        "POST",
        MESSAGES,
        replying_to(question),
        timeout=10,
    )
    assert "Uniting American Families Act" in reply.json["embeds"][0]["title"]


async def test_sigterm_shuts_down_gracefully(
    two_processes: tuple[BotProcess, BotProcess, Path],
) -> None:
    first, _, _ = two_processes
    first.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(first.process.wait(), 15) == 0
    await first.wait_for_log(r"Stopping: finishing replies in flight")


async def test_without_the_message_content_intent_the_bot_restarts_without_it(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.allowed_privileged_intents = 0  # the portal's switch is off
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    bot = await start_bot_process(fake_discord, tmp_path, "solo", knowledge, None)
    try:
        await bot.wait_for_log(r"restarting without it")
        await bot.wait_for_log(r"passive listening in help channels is off")
        assert [close.code for close in fake_discord.gateway_closes][:1] == [4014]
        passive = await fake_discord.message_create("help", "alice", "what is DOMA?")
        mention = await fake_discord.message_create(
            "help", "alice", "what is DOMA?", mentions_bot=True
        )
        reply = await fake_discord.wait_for_request(
            "POST",
            MESSAGES,
            lambda r: (
                str((r.json or {}).get("message_reference", {}).get("message_id")) == mention["id"]
            ),
            timeout=10,
        )
        assert reply.json["embeds"]
        assert not fake_discord.requests_matching(
            "POST",
            MESSAGES,
            lambda r: (
                str((r.json or {}).get("message_reference", {}).get("message_id")) == passive["id"]
            ),
        )
    finally:
        bot.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.process.wait(), 15) == 0
        await bot.pump  # type: ignore[attr-defined]
