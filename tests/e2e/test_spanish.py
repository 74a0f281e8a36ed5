"""Spanish end to end: the real bot and discord.py against the loopback fake of Discord.

The semantic stage is off here (lexical only): Spanish triage and the reply language must
work without it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import CONTACT, Env, pings_no_one

pytestmark = pytest.mark.e2e


async def ask(env: Env, question: str, locale: str) -> dict[str, Any]:
    interaction = await env.fake.slash_command(
        "ask", {"question": question}, user_id="alice", locale=locale
    )
    callback = await env.fake.wait_for_interaction_callback(interaction)
    data: dict[str, Any] = callback.json["data"]
    return data


def labels(data: dict[str, Any]) -> list[str]:
    return [c.get("label", "") for row in data.get("components", []) for c in row["components"]]


async def test_spanish_client_gets_a_spanish_sourced_dated_answer_and_buttons(env: Env) -> None:
    data = await ask(env, "DOMA", "es-ES")  # too short to tell: the client's locale decides
    (embed,) = data["embeds"]
    assert embed["title"] == env.bot.store.knowledge.entries["what-is-doma"].es.question
    (sources,) = [field for field in embed["fields"] if field["name"] == "Fuentes"]
    assert "](http" in sources["value"]
    footer = embed["footer"]["text"]
    assert footer.startswith("Al ") and footer.endswith(" · Información, no asesoría legal.")
    assert " de " in footer  # dates the Spanish way: 28 de septiembre de 2012
    assert labels(data) == ["Me ayudó", "No me ayudó", "Borrar"]  # Borrar: delete the reply
    assert pings_no_one(data)


async def test_english_client_asking_in_english_keeps_english_buttons(env: Env) -> None:
    data = await ask(env, "what is doma", "en-US")
    assert labels(data) == ["Helpful", "Not helpful", "Delete"]
    assert data["embeds"][0]["footer"]["text"].startswith("As of ")


async def test_spanish_personal_situation_is_private_routed_and_never_stored(env: Env) -> None:
    secret = "Mi esposa tiene una orden de deportación del 3 de marzo, ¿qué podemos hacer?"
    data = await ask(env, secret, "en-US")  # the message's language wins over the locale
    assert data["flags"] & 64  # ephemeral: only the member sees it
    assert CONTACT in data["content"] and data["content"].startswith("No puedo aconsejarte")
    assert any(c.get("url") == CONTACT for row in data["components"] for c in row["components"])
    await env.bot.db.flush()
    database = (env.data_dir / "familyties.sqlite3").read_bytes()
    assert b"deportaci" not in database and b"Mi esposa" not in database
    wal = env.data_dir / "familyties.sqlite3-wal"
    assert not wal.exists() or b"deportaci" not in wal.read_bytes()
    assert ("legal",) in env.db_rows("SELECT kind FROM events")


async def test_spanish_personal_situation_in_a_help_channel_goes_to_the_contact_page(
    env: Env,
) -> None:
    message = await env.fake.message_create(
        "help", "alice", "a mi novio lo detuvo ICE ayer, ¿qué hago?"
    )
    body = await env.reply_to(message)
    assert CONTACT in body["content"] and "no publiques detalles" in body["content"]
    assert pings_no_one(body)
