"""Hostile files through the real `/kb import` and `/kb reload`: refused, nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio

from tests.core.hostile import CASES
from tests.e2e.conftest import Env, MakeEnv

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture
async def mod_env(make_env: MakeEnv) -> Env:
    return await make_env(moderator_roles=["Moderator"], mod_log_channel="mod-log")


def folder_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


async def command_text(env: Env, path: str, options: dict[str, object]) -> str:
    interaction = await env.fake.slash_command(path, options, user_id="mod")
    await env.fake.wait_for_interaction_callback(interaction)
    (message,) = await env.fake.wait_for_followup(interaction, timeout=10)
    return str(message["content"])


@pytest.mark.timeout(60)
async def test_every_hostile_file_is_refused_by_import_and_reload(mod_env: Env) -> None:
    folder = mod_env.knowledge_dir
    served = mod_env.bot.store.knowledge
    for case in CASES:
        files = folder_bytes(folder)
        text = await command_text(mod_env, "kb import", {"file": (case.name, case.data)})
        assert text.startswith("Not imported"), (case.id, text)
        assert case.name in text, case.id
        assert "Fix: " in text, case.id
        assert folder_bytes(folder) == files, case.id
        assert mod_env.bot.store.knowledge is served, case.id

        original = (folder / case.name).read_bytes() if (folder / case.name).exists() else None
        (folder / case.name).write_bytes(case.data)
        files = folder_bytes(folder)
        text = await command_text(mod_env, "kb reload", {})
        assert case.name in text, (case.id, text)
        assert folder_bytes(folder) == files, case.id
        assert mod_env.bot.store.knowledge is served, case.id
        if original is None:
            (folder / case.name).unlink()
        else:
            (folder / case.name).write_bytes(original)
