"""/kb in both languages end to end: editing the Spanish, stale translations, export/import."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import pytest_asyncio

from bot.core.models import Translation
from tests.e2e.conftest import Env, MakeEnv
from tests.e2e.test_moderation import components, final_text, folder_bytes, run, submit_modal

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture
async def mod_env(make_env: MakeEnv) -> Env:
    return await make_env(moderator_roles=["Moderator"], mod_log_channel="mod-log")


def spanish(env: Env) -> dict[str, Translation | None]:
    return {key: entry.es for key, entry in env.bot.store.knowledge.entries.items()}


async def edit_spanish_answer(env: Env, entry_id: str, answer: str) -> str:
    data, _ = await run(env, "kb edit", {"entry": entry_id, "language": "es"})
    values = [box.get("value") or "" for box in components(data)]
    return await submit_modal(env, data, [values[0], answer, values[2]])


async def test_edit_in_spanish_updates_only_the_spanish_and_its_review(mod_env: Env) -> None:
    before = mod_env.bot.store.knowledge.entries["what-is-uafa"]
    assert before.es is not None
    data, _ = await run(mod_env, "kb edit", {"entry": "what-is-uafa", "language": "es"})
    assert data["title"].endswith("(Spanish)")
    values = [box.get("value") for box in components(data)]
    assert values == [before.es.question, before.es.answer, "\n".join(before.es.asks)]
    text = await edit_spanish_answer(mod_env, "what-is-uafa", "La UAFA fue un proyecto de ley.")
    assert text.startswith("Saved as change #1"), text
    assert "edited the Spanish `question`, `asks`, `answer` of `what-is-uafa`" in text
    after = mod_env.bot.store.knowledge.entries["what-is-uafa"]
    assert after.es is not None and after.es.answer == "La UAFA fue un proyecto de ley."
    assert after.es.reviewed == dt.datetime.now(dt.UTC).date()
    assert (after.answer, after.reviewed, after.es.asks) == (
        before.answer,
        before.reviewed,
        before.es.asks,
    )


async def test_edit_in_english_leaves_the_spanish_review_date(mod_env: Env) -> None:
    before = mod_env.bot.store.knowledge.entries["what-is-uafa"]
    data, _ = await run(mod_env, "kb edit", {"entry": "what-is-uafa", "language": "en"})
    values = [box.get("value") or "" for box in components(data)]
    text = await submit_modal(
        mod_env, data, [values[0], values[1], "UAFA was a bill.", *values[3:]]
    )
    assert text.startswith("Saved as change #1"), text
    after = mod_env.bot.store.knowledge.entries["what-is-uafa"]
    assert after.answer == "UAFA was a bill." and after.es == before.es


async def test_the_spanish_choice_is_localised(mod_env: Env) -> None:
    stores = [mod_env.fake.global_commands, *mod_env.fake.guild_commands.values()]
    (command,) = [c for store in stores for c in store.values() if c["name"] == "kb"]
    edit = next(o for o in command["options"] if o["name"] == "edit")
    language = next(o for o in edit["options"] if o["name"] == "language")
    names = {
        c["value"]: (c.get("name_localizations") or {}).get("es-ES") for c in language["choices"]
    }
    assert names == {"en": "Inglés", "es": "Español"}


async def test_stale_lists_spanish_missing_or_older_than_the_english(mod_env: Env) -> None:
    law = mod_env.knowledge_dir / "law.yaml"
    text = law.read_text()
    # A Spanish review before the English one: the Spanish is behind.
    start = text.index("  - id: what-is-uafa")
    spanish_review = text.index("      reviewed: ", start)
    end = text.index("\n", spanish_review)
    law.write_text(f"{text[:spanish_review]}      reviewed: 2020-01-01{text[end:]}")
    data, interaction = await run(mod_env, "kb reload")
    assert (await final_text(mod_env, interaction, data)).startswith("Reloaded")
    data, _ = await run(mod_env, "kb stale")
    embed = data["embeds"][0]
    assert "translations behind (1)" in embed["title"]
    (line,) = [line for line in embed["description"].splitlines() if "what-is-uafa" in line]
    assert "Spanish reviewed 2020-01-01, English 2026-" in line
    # Editing the Spanish marks it reviewed today, and it leaves the list.
    es = mod_env.bot.store.knowledge.entries["what-is-uafa"].es
    assert es is not None
    await edit_spanish_answer(mod_env, "what-is-uafa", es.answer + " Revisado.")
    data, _ = await run(mod_env, "kb stale")
    assert "translations behind (0)" in data["embeds"][0]["title"]


async def test_stale_lists_entries_with_no_spanish(mod_env: Env) -> None:
    (mod_env.knowledge_dir / "knowledge.yaml").write_text("languages: [en]\n", "utf-8")
    mod_env.bot.store.reload()
    data, _ = await run(mod_env, "kb add")
    text = await submit_modal(
        mod_env,
        data,
        [
            "Is there a video of the announcement?",
            "video of it\nrecording of the announcement\nwas it filmed\naudio of it",
            "The sources mention no recording.",
            "nbc-news-2012-09-28",
            "guidance",
        ],
    )
    assert text.startswith("Saved as change #1"), text
    data, _ = await run(mod_env, "kb stale")
    description = data["embeds"][0]["description"]
    assert "`is-there-a-video-of-the-announcement` — no Spanish version" in description


async def exported(env: Env) -> dict[str, bytes]:
    interaction = await env.fake.slash_command("kb export", {}, user_id="mod")
    (message,) = await env.fake.wait_for_followup(interaction, timeout=10)
    return {a["filename"]: env.fake.attachments[a["id"]][0] for a in message["attachments"]}


async def import_file(env: Env, name: str, data: bytes) -> str:
    _, interaction = await run(env, "kb import", {"file": (name, data)})
    (preview,) = await env.fake.wait_for_followup(interaction, timeout=10)
    buttons = [c for c in components(preview) if c.get("label") == "Import"]
    assert buttons, preview["content"]
    confirm = await env.fake.component_click(preview, buttons[0]["custom_id"], user_id="mod")
    (done,) = await env.fake.wait_for_followup(confirm, timeout=10)
    return str(done["content"])


async def test_export_then_import_round_trips_both_languages(mod_env: Env) -> None:
    original, files = spanish(mod_env), await exported(mod_env)
    assert files == folder_bytes(mod_env.knowledge_dir)
    assert all(
        b"\n    es:\n" in data
        for name, data in files.items()
        if name != "sources.yaml" and name != "knowledge.yaml"
    )
    # Change the Spanish in two files, then import what was exported.
    for entry_id in ("what-is-uafa", "what-is-doma", "congressional-letter"):
        assert (await edit_spanish_answer(mod_env, entry_id, "Cambiado.")).startswith("Saved")
    changed: dict[str, Any] = spanish(mod_env)
    assert changed != original
    names = {mod_env.bot.store.knowledge.files[e] for e in ("what-is-uafa", "congressional-letter")}
    assert names == {"law.yaml", "advocacy.yaml"}
    for name in sorted(names):
        text = await import_file(mod_env, name, files[name])
        assert text.startswith("Saved as change #"), text
    assert spanish(mod_env) == original
    assert folder_bytes(mod_env.knowledge_dir) == files
