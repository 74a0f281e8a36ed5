"""The semantic stage in the running bot: lexical from the first message, then switched on."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from bot.core.editor import DISK
from tests.e2e.conftest import MakeEnv
from tests.e2e.test_operations import get

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


async def test_the_semantic_stage_switches_on_in_the_background(
    make_env: MakeEnv, tmp_path: Path, shipped_semantic_dir: Path
) -> None:
    # The session's vectors and classifier stand in for a restart's caches.
    shutil.copytree(shipped_semantic_dir, tmp_path / "data", dirs_exist_ok=True)
    env = await make_env(semantic=True, health_port=0)
    assert env.bot.health is not None
    base = f"http://127.0.0.1:{env.bot.health.port}"

    # The bot serves questions at once, on the lexical stage, while the stage is built.
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    assert "Defense of Marriage Act" in (await env.reply_to(question))["embeds"][0]["title"]

    for _ in range(3000):  # a first build encodes every phrasing: up to a few minutes here
        if env.bot.store.engine.semantic is not None:
            break
        await asyncio.sleep(0.1)
    assert env.bot.store.engine.semantic is not None
    _, body = await get(f"{base}/healthz")
    assert json.loads(body)["semantic"].startswith("on: multilingual-e5-small")

    # Decided in the worker thread with the semantic stage: chat stays silent, and a question
    # still gets its sourced answer.
    chatter = await env.fake.message_create("help", "alice", "lol that was hilarious")
    asked = await env.fake.message_create("help", "alice", "what does DOMA stand for?")
    body_of = await env.reply_to(asked)
    assert "Defense of Marriage Act" in body_of["embeds"][0]["title"]
    await env.settle()
    assert env.replies_to(chatter) == []

    # A reload builds the new base's stage again, reusing the cached vectors.
    law = env.knowledge_dir / "law.yaml"
    law.write_text(law.read_text().replace("What is the Defense", "What was the Defense", 1))
    await env.bot.editor.reload(DISK)  # as /kb reload and the watcher do: swapped in a thread
    assert env.bot.store.engine.semantic is None  # lexical until the new stage is ready
    for _ in range(3000):
        if env.bot.store.engine.semantic is not None:
            break
        await asyncio.sleep(0.1)
    assert env.bot.store.engine.semantic is not None
    assert env.bot.store.knowledge.entries["what-is-doma"].question.startswith("What was")
