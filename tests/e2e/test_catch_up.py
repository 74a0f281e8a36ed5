"""Questions posted while the bot had no gateway session are answered on reconnection.

After an op 9 (session not resumable) discord.py waits up to 5 s before identifying again, and
Discord never delivers what was posted meanwhile: the Answers cog reads those from history.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import Env

pytestmark = pytest.mark.e2e


async def test_questions_posted_without_a_session_are_answered_once_on_reconnection(
    env: Env,
) -> None:
    before = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(before)
    identified = env.fake.identify_count

    await env.fake.invalidate_session(resumable=False)
    assert not any(session.alive for session in env.fake.sessions.values())
    missed = [
        await env.fake.message_create("help", "alice", "what is UAFA?"),
        await env.fake.message_create("help", "alice", "lol nice weather"),
        await env.fake.message_create("help", "alice", "what is DOMA?"),
    ]
    for _ in range(200):  # discord.py identifies again within about 5 s
        if env.fake.identify_count > identified:
            break
        await asyncio.sleep(0.1)
    assert env.fake.identify_count > identified

    assert (await env.reply_to(missed[0], 10))["embeds"]
    doma = await env.reply_to(missed[2], 10)
    assert "Defense of Marriage Act" in doma["embeds"][0]["title"]
    await env.settle()
    assert len(env.replies_to(missed[0])) == 1
    assert len(env.replies_to(missed[2])) == 1
    assert env.replies_to(missed[1]) == []  # chatter stays unanswered, as when it arrives live
    assert len(env.replies_to(before)) == 1  # answered live: not again from history
