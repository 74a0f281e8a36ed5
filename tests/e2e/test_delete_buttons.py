"""Members in control of what is shown: Delete on the bot's replies, Delete my message."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.conftest import Env, MakeEnv
from tests.e2e.test_moderation import components

pytestmark = pytest.mark.e2e

NOT_YOURS = "Only the person who asked, or a moderator, can remove this."


@pytest_asyncio.fixture
async def mod_env(make_env: MakeEnv) -> Env:
    env = await make_env(moderator_roles=["Moderator"])
    env.fake.add_member(env.fake.add_user("bob", global_name="Bob"))
    return env


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    (found,) = [c for c in components(message) if c.get("label") == label]
    return found


async def click(env: Env, message: dict[str, Any], label: str, user: str) -> dict[str, Any]:
    """Click a button of a message the bot posted; return the callback body."""
    posted = env.fake.messages[str(message["id"])]
    clicked = await env.fake.component_click(
        posted, button(posted, label)["custom_id"], user_id=user
    )
    callback = await env.fake.wait_for_interaction_callback(clicked)
    body: dict[str, Any] = callback.json
    return body


async def posted_reply(env: Env, text: str, user: str = "alice") -> dict[str, Any]:
    question = await env.fake.message_create("help", user, text)
    body = await env.reply_to(question)
    (reply,) = [
        m
        for m in env.fake.channel_messages("help")
        if (m.get("message_reference") or {}).get("message_id") == question["id"]
    ]
    assert body["components"]
    return reply


async def test_every_reply_in_a_channel_carries_a_delete_button_for_its_asker(
    mod_env: Env,
) -> None:
    alice = mod_env.fake.get_user("alice").id
    for text in ("what is DOMA?", "ICE picked up my girlfriend today", "tell me about doma"):
        reply = await posted_reply(mod_env, text)
        assert button(reply, "Delete")["custom_id"] == f"ft:del:{alice}"
    interaction = await mod_env.fake.slash_command(
        "ask", {"question": "what is doma"}, user_id="alice"
    )
    data = (await mod_env.fake.wait_for_interaction_callback(interaction)).json["data"]
    assert button(data, "Delete")["custom_id"] == f"ft:del:{alice}"
    private = await mod_env.fake.slash_command(
        "ask", {"question": "what is doma", "private": True}, user_id="alice"
    )
    data = (await mod_env.fake.wait_for_interaction_callback(private)).json["data"]
    assert "Delete" not in {c.get("label") for c in components(data)}


async def test_only_the_asker_or_a_moderator_can_delete_a_reply(mod_env: Env) -> None:
    reply = await posted_reply(mod_env, "what is DOMA?")
    refused = await click(mod_env, reply, "Delete", "bob")
    assert refused["data"]["content"] == NOT_YOURS and refused["data"]["flags"] & 64
    assert str(reply["id"]) in mod_env.fake.messages
    await click(mod_env, reply, "Delete", "alice")
    await mod_env.fake.wait_until(lambda: str(reply["id"]) not in mod_env.fake.messages)

    other = await posted_reply(mod_env, "what is UAFA?")
    await click(mod_env, other, "Delete", "mod")  # a configured moderator role
    await mod_env.fake.wait_until(lambda: str(other["id"]) not in mod_env.fake.messages)


async def test_a_public_personal_situation_can_be_deleted_by_its_author(mod_env: Env) -> None:
    question = await mod_env.fake.message_create(
        "help", "alice", "ICE picked up my girlfriend today"
    )
    await mod_env.reply_to(question)
    (reply,) = [
        m
        for m in mod_env.fake.channel_messages("help")
        if (m.get("message_reference") or {}).get("message_id") == question["id"]
    ]
    assert button(reply, "Delete my message")["custom_id"].endswith(f":{question['id']}")
    refused = await click(mod_env, reply, "Delete my message", "bob")
    assert (
        refused["data"]["flags"] & 64 and "Only the person who wrote" in refused["data"]["content"]
    )
    assert str(question["id"]) in mod_env.fake.messages
    done = await click(mod_env, reply, "Delete my message", "alice")
    assert (
        done["data"]["content"] == "Done: your message is removed." and done["data"]["flags"] & 64
    )
    assert str(question["id"]) not in mod_env.fake.messages
    assert str(reply["id"]) in mod_env.fake.messages  # the kind reply stays until they delete it


async def test_answers_offer_no_delete_my_message(mod_env: Env) -> None:
    reply = await posted_reply(mod_env, "what is DOMA?")
    assert "Delete my message" not in {c.get("label") for c in components(reply)}
