"""`/privacy` and `/forget` through real discord.py against the loopback fake of Discord."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Env, MakeEnv


@pytest.fixture
async def env(make_env: MakeEnv) -> Env:
    env = await make_env()
    # The integrator adds the cog to EXTENSIONS; until then the test loads it.
    if "Privacy" not in env.bot.cogs:
        await env.bot.load_extension("bot.exts.privacy")
    return env


async def slash(env: Env, name: str, user: str, locale: str = "en-US") -> dict[str, Any]:
    interaction = await env.fake.slash_command(name, {}, user_id=user, locale=locale)
    state = await env.fake.wait_for_interaction_response(interaction)
    assert state.ephemeral
    data: dict[str, Any] = state.response_data or {}
    data["message_id"] = state.original_message_id
    return data


def buttons(data: dict[str, Any]) -> dict[str, str]:
    return {
        c["label"]: c["custom_id"] for row in data.get("components", []) for c in row["components"]
    }


async def test_privacy_says_what_is_kept_for_how_long_and_how_to_delete(env: Env) -> None:
    data = await slash(env, "privacy", "alice")
    (embed,) = data["embeds"]
    text = " ".join([embed["description"], *(f["name"] + f["value"] for f in embed["fields"])])
    assert "90 days" in text and "/forget" in text and "overheard" in text
    spanish = await slash(env, "privacy", "alice", locale="es-ES")
    assert spanish["embeds"][0]["title"] == "Tu privacidad"


async def test_forget_deletes_the_members_votes_and_questions_after_confirming(env: Env) -> None:
    alice, mod = (int(env.fake.get_user(name).id) for name in ("alice", "mod"))
    question = await env.fake.message_create("help", "alice", "what is DOMA?")
    await env.reply_to(question)
    (answer,) = env.fake.bot_messages("help")
    click = await env.fake.component_click(answer, "ft:fb:up:what-is-doma", user_id="alice")
    await env.fake.wait_for_interaction_callback(click)
    await env.bot.db.record_unanswered("what about my zebra permit", user_id=alice)
    await env.bot.db.record_unanswered("who won the football game", user_id=mod)

    prompt = await slash(env, "forget", "alice")
    assert "1 vote and 1 question" in prompt["content"]
    cancel = await env.fake.component_click(
        prompt["message_id"], buttons(prompt)["Cancel"], user_id="alice"
    )
    await env.fake.wait_for_interaction_response(cancel)
    assert len(env.db_rows("SELECT * FROM feedback")) == 1

    prompt = await slash(env, "forget", "alice")
    delete = await env.fake.component_click(
        prompt["message_id"], buttons(prompt)["Delete my data"], user_id="alice"
    )
    done = await env.fake.wait_for_interaction_response(delete)
    assert done.response_type == 7  # the private prompt becomes the result
    assert "deleted 1 vote and 1 question" in (done.response_data or {})["content"]
    assert env.db_rows("SELECT * FROM feedback") == []
    assert env.db_rows("SELECT question FROM unanswered") == [("who won the football game",)]

    again = await slash(env, "forget", "alice")
    assert "nothing stored" in again["content"] and not buttons(again)


async def test_forget_speaks_the_members_language(env: Env) -> None:
    await env.bot.db.record_unanswered(
        "what about my zebra permit", user_id=int(env.fake.get_user("alice").id)
    )
    prompt = await slash(env, "forget", "alice", locale="es-ES")
    assert (
        prompt["content"] == "Tengo 0 votos y 1 pregunta tuyos. ¿Los borro? No se puede deshacer."
    )
    assert set(buttons(prompt)) == {"Borrar mis datos", "Cancelar"}
    cancel = await env.fake.component_click(
        prompt["message_id"], buttons(prompt)["Cancelar"], user_id="alice"
    )
    done = await env.fake.wait_for_interaction_response(cancel)
    assert (done.response_data or {})["content"] == "Vale, no borré nada."
