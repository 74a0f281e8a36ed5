"""The moderator surface end to end: autocomplete rights, complete exports, audited reloads,
a mod-log that pings no one, and the entry form at its limits."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import pytest_asyncio

from bot.core.models import ANSWER_MAX_CHARS, PHRASING_MAX_CHARS, QUESTION_MAX_CHARS
from tests.e2e.conftest import Env, MakeEnv, pings_no_one
from tests.e2e.test_moderation import (
    SOURCES_OK,
    SPANISH_OK,
    components,
    final_text,
    open_spanish,
    run,
    submit_english,
    submit_modal,
)
from tests.e2e.test_operations import eventually

pytestmark = pytest.mark.e2e

MESSAGES = "/channels/{channel_id}/messages"


@pytest_asyncio.fixture
async def mod_env(make_env: MakeEnv) -> Env:
    return await make_env(moderator_roles=["Moderator"], mod_log_channel="mod-log")


def mod_log_posts(env: Env) -> list[dict[str, Any]]:
    channel = env.fake.get_channel("mod-log").id
    return [
        r.json
        for r in env.fake.requests_matching("POST", MESSAGES, status=200)
        if r.params["channel_id"] == channel
    ]


async def choices(env: Env, user: str, typed: str = "doma") -> list[dict[str, Any]]:
    interaction = await env.fake.autocomplete(
        "kb edit", {"entry": typed}, focused="entry", user_id=user
    )
    callback = await env.fake.wait_for_interaction_callback(interaction)
    assert callback.json["type"] == 8
    found: list[dict[str, Any]] = callback.json["data"]["choices"]
    return found


# ---------------------------------------------------------------- autocomplete


async def test_kb_autocomplete_offers_nothing_to_non_moderators(mod_env: Env) -> None:
    assert await choices(mod_env, "alice") == []
    assert await choices(mod_env, "alice", typed="") == []
    offered = await choices(mod_env, "mod")
    assert "what-is-doma" in {choice["value"] for choice in offered}


# ---------------------------------------------------------------- export


async def exported(env: Env) -> tuple[str, dict[str, bytes]]:
    interaction = await env.fake.slash_command("kb export", {}, user_id="mod")
    (message,) = await env.fake.wait_for_followup(interaction, timeout=10)
    files = {a["filename"]: env.fake.attachments[a["id"]][0] for a in message["attachments"]}
    return str(message["content"]), files


def folder(env: Env) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(env.knowledge_dir.glob("*.yaml"))}


async def test_export_attaches_each_file_when_they_fit(mod_env: Env) -> None:
    text, files = await exported(mod_env)
    assert len(folder(mod_env)) <= 10
    assert files == folder(mod_env)
    assert f"all {len(files)} files" in text


async def test_export_of_more_than_ten_files_is_one_zip_of_all_of_them(mod_env: Env) -> None:
    for number in range(1, 6):
        (mod_env.knowledge_dir / f"extra-{number}.yaml").write_text("entries: []\n")
    data, interaction = await run(mod_env, "kb reload")
    assert (await final_text(mod_env, interaction, data)).startswith("Reloaded")
    expected = folder(mod_env)
    assert len(expected) > 10
    text, files = await exported(mod_env)
    assert list(files) == ["knowledge.zip"]
    with zipfile.ZipFile(io.BytesIO(files["knowledge.zip"])) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == expected
    assert f"all {len(expected)} files, zipped" in text


# ---------------------------------------------------------------- reloads: audit and mod-log


async def test_a_file_edited_on_disk_is_audited_as_disk_and_announced(mod_env: Env) -> None:
    law = mod_env.knowledge_dir / "law.yaml"
    law.write_text(
        law.read_text().replace("question: What is the Uniting", "question: What was the Uniting")
    )

    async def audited() -> list[tuple[Any, ...]]:
        return mod_env.db_rows("SELECT actor_name, command, entry_id, summary FROM audit")

    ((actor, command, entry, summary),) = await eventually(audited)
    assert (actor, command, entry) == ("disk", "reload", None)
    assert summary == "reloaded from disk: 1 changed (what-is-uafa)"
    log = await mod_env.fake.wait_for_message("mod-log")
    assert "disk" in log["content"] and "files changed on disk" in log["content"]
    assert "what-is-uafa" in log["content"] and "change #1" in log["content"]
    (post,) = mod_log_posts(mod_env)
    assert pings_no_one(post)


async def test_a_broken_file_on_disk_is_audited_and_announced_with_its_problems(
    mod_env: Env,
) -> None:
    law = mod_env.knowledge_dir / "law.yaml"
    law.write_text(
        law.read_text().replace(
            "  - id: what-is-uafa\n", "  - id: what-is-uafa\n    colour: blue\n"
        )
    )

    async def audited() -> list[tuple[Any, ...]]:
        return mod_env.db_rows("SELECT actor_name, summary FROM audit")

    ((actor, summary),) = await eventually(audited)
    assert actor == "disk"
    assert summary.startswith(
        "reload from disk failed, still serving the previous version: 1 problem: law.yaml line"
    )
    assert "what-is-uafa" in summary and "colour" in summary
    log = await mod_env.fake.wait_for_message("mod-log")
    assert "the reload failed; still serving the previous version" in log["content"]
    assert "law.yaml line" in log["content"]
    assert mod_env.bot.store.engine.decide("what is doma").entry_id == "what-is-doma"


async def test_kb_reload_is_audited_under_the_moderator_and_announced(mod_env: Env) -> None:
    data, interaction = await run(mod_env, "kb reload")
    assert "(Change #1.)" in await final_text(mod_env, interaction, data)
    assert mod_env.db_rows("SELECT actor_name, command, summary FROM audit") == [
        ("Mo Derator", "reload", "reloaded by /kb reload: no entry changed")
    ]
    log = await mod_env.fake.wait_for_message("mod-log")
    assert "Mo Derator" in log["content"] and "`/kb reload`" in log["content"]
    # A reload changed no file: undoing it says so instead of pretending.
    data, interaction = await run(mod_env, "kb undo", {"change": 1})
    assert "nothing to undo" in await final_text(mod_env, interaction, data)


async def test_mod_log_escapes_markdown_and_mentions_from_moderators(mod_env: Env) -> None:
    alice = mod_env.fake.get_user("alice").id
    phrasing = f"@everyone see **this** <@{alice}> now"
    data, interaction = await run(
        mod_env, "kb alias", {"entry": "what-is-uafa", "phrasing": phrasing}
    )
    assert (await final_text(mod_env, interaction, data)).startswith("Saved as change #1")
    log = await mod_env.fake.wait_for_message("mod-log")
    summary_line = log["content"].splitlines()[0]
    assert "@\u200beveryone" in summary_line and "\\*\\*this\\*\\*" in summary_line
    assert f"<@\u200b{alice}>" in summary_line
    assert "@everyone" not in log["content"]
    assert log["mentions"] == [] and not log["mention_everyone"]
    (post,) = mod_log_posts(mod_env)
    assert pings_no_one(post)


# ---------------------------------------------------------------- the entry form at its limits


def long_text(length: int, word: str = "partner") -> str:
    text = " ".join([word] * (length // (len(word) + 1) + 1))[:length]
    return text[:-1] + "s" if text.endswith(" ") else text


ASKS = "where can i read it\nis it online\nthe full text\na link to it"


async def test_form_boxes_are_sized_to_what_the_knowledge_base_accepts(mod_env: Env) -> None:
    data, _ = await run(mod_env, "kb add")
    sizes = {box["label"].split(" (")[0]: box["max_length"] for box in components(data)}
    assert sizes["Question"] == PHRASING_MAX_CHARS
    assert sizes["Answer"] == ANSWER_MAX_CHARS
    assert max(sizes.values()) <= 4000


async def test_values_exactly_at_the_limits_are_saved(mod_env: Env) -> None:
    question, answer = long_text(PHRASING_MAX_CHARS), long_text(ANSWER_MAX_CHARS, "answer")
    assert (len(question), len(answer)) == (PHRASING_MAX_CHARS, ANSWER_MAX_CHARS)
    asks = ASKS + "\n" + long_text(PHRASING_MAX_CHARS, "letter")
    data, _ = await run(mod_env, "kb add")
    prompt = await submit_english(mod_env, data, [question, asks, answer, SOURCES_OK, "guidance"])
    callback = await open_spanish(mod_env, prompt)
    es_question = long_text(QUESTION_MAX_CHARS - 1, "carta") + "?"
    es_answer = long_text(ANSWER_MAX_CHARS, "respuesta")
    es_asks = SPANISH_OK[2] + "\n" + long_text(PHRASING_MAX_CHARS, "enlace")
    es_values = [es_question, es_answer, es_asks]
    sizes = [box["max_length"] for box in components(callback["data"])]
    assert sizes[:2] == [QUESTION_MAX_CHARS, ANSWER_MAX_CHARS]
    text = await submit_modal(mod_env, callback["data"], es_values)
    assert text.startswith("Saved as change #1"), text
    (entry,) = [e for e in mod_env.bot.store.knowledge.entries.values() if e.question == question]
    assert entry.answer == answer
    # The saved entry opens again in the edit form (its texts fit the boxes).
    data, _ = await run(mod_env, "kb edit", {"entry": entry.id})
    assert [box.get("value") for box in components(data)][:3] == [question, asks, answer]
    assert entry.es is not None and len(entry.es.question) == QUESTION_MAX_CHARS
    data, _ = await run(mod_env, "kb edit", {"entry": entry.id, "language": "es"})
    assert [box.get("value") for box in components(data)] == es_values


async def test_one_over_a_limit_is_refused_kindly_naming_the_field(mod_env: Env) -> None:
    before = folder(mod_env)
    data, _ = await run(mod_env, "kb add")
    # Discord's own client stops at the box's max_length (the fake does too) ...
    with pytest.raises(ValueError, match="max_length 900"):
        await mod_env.fake.modal_submit(
            data["custom_id"],
            {
                box["custom_id"]: value
                for box, value in zip(
                    components(data),
                    ["A question?", ASKS, "x" * (ANSWER_MAX_CHARS + 1), SOURCES_OK, ""],
                    strict=True,
                )
            },
            user_id="mod",
        )
    # ... but one box holds many phrasings, each with its own limit.
    over = long_text(PHRASING_MAX_CHARS + 1, "letter")
    inputs = components(data)
    values = ["A question?", f"{ASKS}\n{over}", "An answer.", SOURCES_OK, ""]
    submitted = await mod_env.fake.modal_submit(
        data["custom_id"],
        {box["custom_id"]: value for box, value in zip(inputs, values, strict=True)},
        user_id="mod",
    )
    callback = await mod_env.fake.wait_for_interaction_callback(submitted)
    reply = callback.json["data"]
    assert reply["flags"] & 64
    assert reply["content"] == (
        "Not saved: the phrasing on line 5 is 301 characters; the limit is 300. "
        "Shorten it and submit the form again."
    )
    assert folder(mod_env) == before
    assert mod_env.db_rows("SELECT COUNT(*) FROM audit") == [(0,)]
