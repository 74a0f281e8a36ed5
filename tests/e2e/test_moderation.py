"""/kb end to end: moderators edit the knowledge base from Discord, safely."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from tests.e2e.conftest import Env, MakeEnv

pytestmark = pytest.mark.e2e

SOURCES_OK = "nbc-news-2012-09-28"


@pytest_asyncio.fixture
async def mod_env(make_env: MakeEnv) -> Env:
    return await make_env(moderator_roles=["Moderator"], mod_log_channel="mod-log")


def folder_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


async def run(
    env: Env, path: str, options: dict[str, Any] | None = None, user: str = "mod"
) -> tuple[dict[str, Any], Any]:
    """Run a slash command; return its callback data and the interaction state."""
    interaction = await env.fake.slash_command(path, options or {}, user_id=user)
    callback = await env.fake.wait_for_interaction_callback(interaction)
    return callback.json.get("data") or {}, interaction


async def final_text(env: Env, interaction: Any, data: dict[str, Any]) -> str:
    """The text a command ended with: its reply, or its first follow-up after a defer."""
    state = env.fake.interactions[str(interaction["id"])]
    if state.response_type == 5:  # deferred: the result is a follow-up
        (message,) = await env.fake.wait_for_followup(interaction, timeout=10)
        return str(message["content"])
    return str(data.get("content") or "")


def components(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in data.get("components") or [] for c in row.get("components", [])]


async def submit_modal(env: Env, data: dict[str, Any], values: list[str], user: str = "mod") -> str:
    """Fill a modal's text inputs in order and submit; return the resulting message."""
    inputs = components(data)
    fields = {field["custom_id"]: value for field, value in zip(inputs, values, strict=True)}
    submitted = await env.fake.modal_submit(data["custom_id"], fields, user_id=user)
    await env.fake.wait_for_interaction_callback(submitted)
    (message,) = await env.fake.wait_for_followup(submitted, timeout=10)
    return str(message["content"])


async def click(env: Env, interaction: Any, label: str, user: str = "mod") -> Any:
    state = env.fake.interactions[str(interaction["id"])]
    message = env.fake.messages[str(state.original_message_id)]
    (button,) = [c for c in components(message) if c.get("label") == label]
    return await env.fake.component_click(message, button["custom_id"], user_id=user)


COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("kb reload", {}),
    ("kb add", {}),
    ("kb edit", {"entry": "what-is-doma"}),
    ("kb alias", {"entry": "what-is-doma", "phrasing": "the doma thing"}),
    ("kb remove", {"entry": "what-is-doma"}),
    ("kb show", {"entry": "what-is-doma"}),
    ("kb list", {}),
    ("kb sources list", {}),
    ("kb sources add", {}),
    ("kb test", {"question": "what is doma"}),
    ("kb import", {"file": ("extra.yaml", b"entries: []\n")}),
    ("kb export", {}),
    ("kb history", {}),
    ("kb undo", {"change": 1}),
    ("kb unanswered", {}),
    ("kb stats", {}),
    ("kb stale", {}),
]


async def test_every_kb_command_refuses_a_non_moderator(mod_env: Env) -> None:
    before = folder_bytes(mod_env.knowledge_dir)
    for path, options in COMMANDS:
        data, _ = await run(mod_env, path, options, user="alice")
        assert data["flags"] & 64, path
        assert "Only moderators" in data["content"], path
    assert folder_bytes(mod_env.knowledge_dir) == before
    assert mod_env.db_rows("SELECT COUNT(*) FROM audit") == [(0,)]


async def test_manage_server_permission_is_enough(make_env: MakeEnv) -> None:
    env = await make_env()  # no moderator roles configured
    data, _ = await run(env, "kb show", {"entry": "what-is-doma"}, user="admin")
    assert len(data["embeds"]) == 2
    data, _ = await run(env, "kb show", {"entry": "what-is-doma"}, user="mod")
    assert "Only moderators" in data["content"]


async def test_alias_is_persisted_served_audited_and_announced(mod_env: Env) -> None:
    data, interaction = await run(
        mod_env, "kb alias", {"entry": "what-is-uafa", "phrasing": "the partner sponsorship bill"}
    )
    text = await final_text(mod_env, interaction, data)
    assert text.startswith("Saved as change #1")
    assert "the partner sponsorship bill" in (mod_env.knowledge_dir / "law.yaml").read_text()
    decision = mod_env.bot.store.engine.decide("the partner sponsorship bill")
    assert decision.entry_id == "what-is-uafa"
    ((actor, command, entry),) = mod_env.db_rows("SELECT actor_name, command, entry_id FROM audit")
    assert (command, entry) == ("alias", "what-is-uafa")
    assert actor == "Mo Derator"
    log = await mod_env.fake.wait_for_message("mod-log")
    assert "change #1" in log["content"] and "the partner sponsorship bill" in log["content"]


async def test_add_entry_with_the_form(mod_env: Env) -> None:
    # The form has no Spanish fields yet (issue 15): on a base declaring Spanish, the refusal
    # names the missing block; the rest of the test runs on the base declared English only.
    data, _ = await run(mod_env, "kb add")
    refusal = await submit_modal(
        mod_env,
        data,
        [
            "Where was the 2012 letter published?",
            "where can i read the letter\nis the napolitano letter online\n"
            "napolitano letter full text\nlink to the 2012 letter",
            "No official copy of the letter is online; the four articles quote it.",
            f"{SOURCES_OK} | In an effort to make clear",
            "guidance, letter",
        ],
    )
    assert refusal.startswith("Not saved") and "Add an `es:` block" in refusal
    (mod_env.knowledge_dir / "knowledge.yaml").write_text("languages: [en]\n", "utf-8")
    mod_env.bot.store.reload()
    data, _ = await run(mod_env, "kb add")
    assert data["custom_id"] and len(components(data)) == 5
    text = await submit_modal(
        mod_env,
        data,
        [
            "Where was the 2012 letter published?",
            "where can i read the letter\nis the napolitano letter online\n"
            "napolitano letter full text\nlink to the 2012 letter",
            "No official copy of the letter is online; the four articles quote it.",
            f"{SOURCES_OK} | In an effort to make clear",
            "guidance, letter",
        ],
    )
    assert text.startswith("Saved as change #1")
    entry = mod_env.bot.store.knowledge.entries["where-was-the-2012-letter-published"]
    assert entry.sources[0].quote == "In an effort to make clear"
    assert entry.tags == ("guidance", "letter")
    assert (
        "where-was-the-2012-letter-published"
        in (mod_env.knowledge_dir / "guidance.yaml").read_text()
    )


async def test_edit_form_is_prefilled_and_invalid_edits_are_not_saved(mod_env: Env) -> None:
    before = folder_bytes(mod_env.knowledge_dir)
    data, _ = await run(mod_env, "kb edit", {"entry": "what-is-uafa"})
    values = [field.get("value") for field in components(data)]
    entry = mod_env.bot.store.knowledge.entries["what-is-uafa"]
    assert values[0] == entry.question and values[2] == entry.answer
    text = await submit_modal(
        mod_env, data, [values[0], values[1], values[2], "no-such-source", values[4]]
    )
    assert text.startswith("Not saved")
    assert re.search(r"law\.yaml line \d+: entry `what-is-uafa`, `sources`", text)
    assert "unknown source `no-such-source`" in text
    assert folder_bytes(mod_env.knowledge_dir) == before

    data, _ = await run(mod_env, "kb edit", {"entry": "what-is-uafa"})
    text = await submit_modal(
        mod_env, data, [values[0], values[1], "UAFA was a bill.", values[3], values[4]]
    )
    assert text.startswith("Saved as change #1")
    edited = mod_env.bot.store.knowledge.entries["what-is-uafa"]
    assert edited.answer == "UAFA was a bill."
    assert edited.reviewed > entry.reviewed or edited.reviewed == entry.reviewed


async def test_remove_needs_confirmation_and_undo_restores_byte_for_byte(mod_env: Env) -> None:
    before = folder_bytes(mod_env.knowledge_dir)
    data, interaction = await run(mod_env, "kb remove", {"entry": "what-is-uafa"})
    assert data["flags"] & 64 and "Remove `what-is-uafa`?" in data["content"]
    assert "what-is-uafa" in mod_env.bot.store.knowledge.entries  # nothing yet
    confirm = await click(mod_env, interaction, "Remove")
    (message,) = await mod_env.fake.wait_for_followup(confirm, timeout=10)
    assert message["content"].startswith("Saved as change #1")
    assert "what-is-uafa" not in mod_env.bot.store.knowledge.entries
    data, interaction = await run(mod_env, "kb undo", {"change": 1})
    text = await final_text(mod_env, interaction, data)
    assert text.startswith("Saved as change #2")
    assert folder_bytes(mod_env.knowledge_dir) == before
    assert "what-is-uafa" in mod_env.bot.store.knowledge.entries
    data, interaction = await run(mod_env, "kb history")
    history = data["embeds"][0]["description"]
    assert "#2" in history and "#1" in history and "Mo Derator" in history


async def test_reload_with_broken_yaml_keeps_serving_the_old_knowledge(mod_env: Env) -> None:
    law = mod_env.knowledge_dir / "law.yaml"
    law.write_text(law.read_text().replace("  - id: what-is-uafa", "  - id: what-is-uafa\n\tbad"))
    data, interaction = await run(mod_env, "kb reload")
    text = await final_text(mod_env, interaction, data)
    assert text.startswith("Reload failed; still serving the previous version.")
    assert re.search(r"law\.yaml line \d+", text)
    interaction = await mod_env.fake.slash_command(
        "ask", {"question": "what does uafa do"}, user_id="alice"
    )
    callback = await mod_env.fake.wait_for_interaction_callback(interaction)
    assert "Uniting American Families Act" in callback.json["data"]["embeds"][0]["title"]


async def test_reload_reports_what_changed(mod_env: Env) -> None:
    law = mod_env.knowledge_dir / "law.yaml"
    law.write_text(
        law.read_text().replace("question: What is the Uniting", "question: What was the Uniting")
    )
    data, interaction = await run(mod_env, "kb reload")
    text = await final_text(mod_env, interaction, data)
    assert text.startswith("Reloaded: 48 entries")
    assert "1 changed" in text


async def test_import_bad_file_is_rejected_with_file_and_line(mod_env: Env) -> None:
    bad = b"entries:\n  - id: extra-entry\n    question: Is this ok?\n    asks: [a]\n"
    data, interaction = await run(mod_env, "kb import", {"file": ("extra.yaml", bad)})
    text = await final_text(mod_env, interaction, data)
    assert text.startswith("Not imported")
    assert re.search(r"extra\.yaml line \d+", text)
    assert not (mod_env.knowledge_dir / "extra.yaml").exists()


async def test_import_good_file_applies_only_after_confirmation(mod_env: Env) -> None:
    entry = {
        "id": "extra-entry",
        "question": "Is there a recording of the 2012 announcement?",
        "asks": [
            "video of the announcement",
            "recording of napolitano announcement",
            "was the announcement filmed",
            "audio of the dhs announcement",
        ],
        "answer": "The sources quote a letter; they mention no recording.",
        "sources": [SOURCES_OK],
        "as_of": "2012-09-28",
        "reviewed": "2026-11-22",
        "tags": ["guidance"],
        "es": {
            "question": "¿Hay una grabación del anuncio de 2012?",
            "asks": [
                "video del anuncio",
                "grabacion del anuncio de napolitano",
                "se filmo el anuncio",
                "audio del anuncio del dhs",
            ],
            "answer": "Las fuentes citan una carta; no mencionan ninguna grabación.",
            "reviewed": "2026-12-07",
        },
    }
    text_file = yaml.safe_dump({"entries": [entry]}, sort_keys=False, allow_unicode=True).encode()
    _, interaction = await run(mod_env, "kb import", {"file": ("extra.yaml", text_file)})
    (preview,) = await mod_env.fake.wait_for_followup(interaction, timeout=10)
    assert "1 added (extra-entry)" in preview["content"]
    assert not (mod_env.knowledge_dir / "extra.yaml").exists()
    state = mod_env.fake.interactions[str(interaction["id"])]
    (button,) = [c for c in components(preview) if c.get("label") == "Import"]
    confirm = await mod_env.fake.component_click(preview, button["custom_id"], user_id="mod")
    (done,) = await mod_env.fake.wait_for_followup(confirm, timeout=10)
    assert done["content"].startswith("Saved as change #1")
    assert (mod_env.knowledge_dir / "extra.yaml").exists()
    assert "extra-entry" in mod_env.bot.store.knowledge.entries
    assert state.ephemeral


async def test_two_concurrent_edits_are_both_persisted(mod_env: Env) -> None:
    first = await mod_env.fake.slash_command(
        "kb alias",
        {"entry": "what-is-uafa", "phrasing": "uafa bill explained simply"},
        user_id="mod",
    )
    second = await mod_env.fake.slash_command(
        "kb alias",
        {"entry": "what-is-doma", "phrasing": "the 1996 marriage statute"},
        user_id="admin",
    )
    for interaction in (first, second):
        (message,) = await mod_env.fake.wait_for_followup(interaction, timeout=10)
        assert message["content"].startswith("Saved as change #")
    text = (mod_env.knowledge_dir / "law.yaml").read_text()
    assert "uafa bill explained simply" in text and "the 1996 marriage statute" in text
    assert len(mod_env.db_rows("SELECT id FROM audit")) == 2


async def test_unanswered_groups_near_duplicates(mod_env: Env) -> None:
    for question in (
        "how does one renew a passport",
        "how does one renew a passport??",
        "how can one renew a passport",
        "what is the best pizza in town",
    ):
        interaction = await mod_env.fake.slash_command(
            "ask", {"question": question}, user_id="alice"
        )
        await mod_env.fake.wait_for_interaction_callback(interaction)
    data, _ = await run(mod_env, "kb unanswered")
    lines = data["embeds"][0]["description"].splitlines()
    assert lines[0].startswith("**3×**") and "passport" in lines[0]
    assert lines[1].startswith("**1×**") and "pizza" in lines[1]


async def test_test_stats_stale_show_list_sources_and_export(mod_env: Env) -> None:
    data, _ = await run(mod_env, "kb test", {"question": "wht is doma"})
    assert "Asked directly: **answer** what-is-doma" in data["content"]
    assert "`what-is-doma`" in data["content"]

    await mod_env.fake.slash_command("ask", {"question": "what is doma"}, user_id="alice")
    await asyncio.sleep(0.1)
    data, _ = await run(mod_env, "kb stats")
    fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
    assert int(fields["answer"]) >= 1

    data, _ = await run(mod_env, "kb stale")
    assert data["embeds"][0]["title"].startswith("Not reviewed for 365 days")

    data, interaction = await run(mod_env, "kb list")
    first_page = data["embeds"][0]
    assert first_page["title"] == "Entries (48)"
    assert first_page["footer"]["text"] == "Page 1 of 4"
    turned = await click(mod_env, interaction, "Next")
    second_page = (await mod_env.fake.wait_for_interaction_callback(turned)).json["data"]
    assert second_page["embeds"][0]["footer"]["text"] == "Page 2 of 4"
    assert second_page["embeds"][0]["description"] != first_page["description"]
    data, _ = await run(mod_env, "kb sources list")
    assert SOURCES_OK in data["embeds"][0]["description"]

    interaction = await mod_env.fake.slash_command("kb export", {}, user_id="mod")
    (message,) = await mod_env.fake.wait_for_followup(interaction, timeout=10)
    names = {attachment["filename"] for attachment in message["attachments"]}
    assert {"sources.yaml", "law.yaml"} <= names


async def test_stale_lists_oldest_review_first(make_env: MakeEnv, tmp_path: Path) -> None:
    env = await make_env(moderator_roles=["Moderator"])
    law = env.knowledge_dir / "law.yaml"
    law.write_text(law.read_text().replace("reviewed: 2026-11-22", "reviewed: 2020-01-01", 1))
    data, interaction = await run(env, "kb reload")
    assert (await final_text(env, interaction, data)).startswith("Reloaded")
    data, _ = await run(env, "kb stale")
    first = data["embeds"][0]["description"].splitlines()[0]
    assert "reviewed 2020-01-01" in first


async def test_add_a_source_with_the_form(mod_env: Env) -> None:
    data, _ = await run(mod_env, "kb sources add")
    text = await submit_modal(
        mod_env,
        data,
        [
            "example-report-2013",
            "An example report",
            "Example Publisher",
            "2013-07-01",
            "https://example.org/report",
        ],
    )
    assert text.startswith("Saved as change #1")
    assert "example-report-2013" in mod_env.bot.store.knowledge.sources
