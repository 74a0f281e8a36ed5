"""A broken knowledge file, then a restart: the bot serves the last-good snapshot, alive.

Real `python -m bot run` processes against the loopback fake, real files in a temp folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import MESSAGES, replying_to
from tests.e2e.test_operations import BotProcess, eventually, get, start_bot_process
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "\n  - id: [broken\n"


async def status_of(bot: BotProcess) -> dict[str, Any]:
    _, body = await get(f"http://127.0.0.1:{bot.health_port}/status")
    report: dict[str, Any] = json.loads(body)
    return report


async def stop(bot: BotProcess) -> None:
    if bot.process.returncode is None:
        bot.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.process.wait(), 15) == 0
    await bot.pump  # type: ignore[attr-defined]


async def test_a_broken_file_then_a_restart_serves_the_last_good_version(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    law = knowledge / "law.yaml"
    good = law.read_text()
    first = await start_bot_process(
        fake_discord, tmp_path, "first", knowledge, None, mod_log_channel="mod-log"
    )
    try:
        assert (tmp_path / "data" / "last-good" / "law.yaml").read_text() == good
        law.write_text(good + BROKEN)  # a moderator saves a broken file while the bot runs

        async def degraded() -> bool:
            return bool((await status_of(first))["degraded"])

        await eventually(degraded)
        status, _ = await get(f"http://127.0.0.1:{first.health_port}/healthz")
        assert status == 200
    finally:
        await stop(first)

    second = await start_bot_process(
        fake_discord, tmp_path, "second", knowledge, None, mod_log_channel="mod-log"
    )
    try:
        await second.wait_for_log(r"ERROR .*serving the last-good snapshot")
        assert any("law.yaml" in line for line in second.log)
        status, body = await get(f"http://127.0.0.1:{second.health_port}/healthz")
        assert status == 200, body
        report = await status_of(second)
        assert report["degraded"] is True and report["ready"] is True
        assert report["knowledge"]["serving"] == "last-good snapshot"
        assert report["knowledge"]["previous_since"] is not None
        assert report["knowledge"]["problems"] >= 1
        assert any(p.startswith("law.yaml") for p in report["knowledge"]["problem_list"])
        assert report["knowledge"]["entries"] == 48
        # The first process already announced its failed reload there; this is the restart's.
        notice = await fake_discord.wait_for_request(
            "POST",
            MESSAGES,
            lambda r: (
                r.params.get("channel_id") == fake_discord.get_channel("mod-log").id
                and "last good version" in (r.json or {}).get("content", "")
            ),
            timeout=10,
        )
        assert "last good version" in notice.json["content"]
        assert "law.yaml" in notice.json["content"]
        assert notice.json["allowed_mentions"]["parse"] == []
        # It answers from the snapshot, including the entries of the file that is now broken.
        question = await fake_discord.message_create("help", "alice", "what is DOMA?")
        reply = await fake_discord.wait_for_request(
            "POST",
            MESSAGES,
            replying_to(question),
            timeout=10,
        )
        assert "Defense of Marriage Act" in json.dumps(reply.json["embeds"])

        law.write_text(good)  # the fix is picked up by the watcher: no longer degraded

        async def recovered() -> bool:
            report = await status_of(second)
            return report["knowledge"]["serving"] == "current files"

        await eventually(recovered)
    finally:
        await stop(second)


async def test_without_a_snapshot_invalid_files_still_exit_2(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (knowledge / "law.yaml").write_text((knowledge / "law.yaml").read_text() + BROKEN)
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump({"knowledge_dir": str(knowledge), "data_dir": str(tmp_path / "data")})
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env={
            **os.environ,
            "DISCORD_TOKEN": fake_discord.token,
            "FAMILYTIES_CONFIG": str(config),
            "PYTHONWARNINGS": "ignore",
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    text = stderr.decode()
    assert text.startswith("error: the knowledge base is invalid:")
    assert "law.yaml" in text
