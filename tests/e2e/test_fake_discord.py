"""Proves the loopback fake of Discord against a minimal discord.py bot.

Why: the product bot's end-to-end tests will trust this fake, so each behaviour they rely on
(login, READY, prefix and slash commands, persistent views, modals, RESUME after drops, rate
limits, the Message Content intent, echo of the bot's own messages) is shown here with a bot
small enough that any failure is the fake's fault, not the product's.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from tests.e2e.conftest import RunClient, connect_client
from tests.fakediscord import FakeDiscord, Intents

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(10)]

TOPICS = ("visas", "green cards", "naturalization")
MESSAGES = "/channels/{channel_id}/messages"


# ------------------------------------------------------------------ the minimal bot under test


class AskModal(discord.ui.Modal, title="Ask a question"):
    """Opened by the panel's Ask button; echoes the question back ephemerally."""

    question: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Question", custom_id="mini:question"
    )

    def __init__(self) -> None:
        super().__init__(custom_id="mini:ask-modal", timeout=None)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"asked: {self.question.value}", ephemeral=True)


class PanelView(discord.ui.View):
    """Persistent view: timeout=None and stable custom_ids so clicks survive restarts."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Hello", custom_id="mini:hello", style=discord.ButtonStyle.primary)
    async def hello(
        self, interaction: discord.Interaction, _button: discord.ui.Button[PanelView]
    ) -> None:
        await interaction.response.send_message("hello from panel", ephemeral=True)

    @discord.ui.button(label="Ask", custom_id="mini:ask", style=discord.ButtonStyle.secondary)
    async def ask(
        self, interaction: discord.Interaction, _button: discord.ui.Button[PanelView]
    ) -> None:
        await interaction.response.send_modal(AskModal())


@commands.command(name="echo")
async def echo(ctx: commands.Context[commands.Bot], *, text: str) -> None:
    """The one prefix command: replies once with the text."""
    await ctx.send(f"echo: {text}")


@app_commands.command(name="faq", description="Answer a FAQ topic")
@app_commands.describe(topic="What to ask about", private="Only you see the answer")
async def faq(
    interaction: discord.Interaction, topic: str, private: bool = False, deferred: bool = False
) -> None:
    """The one slash command: direct, ephemeral, or deferred + follow-up answer."""
    if deferred:
        await interaction.response.defer(ephemeral=private, thinking=True)
        await interaction.followup.send(f"FAQ: {topic}", ephemeral=private)
        return
    await interaction.response.send_message(f"FAQ: {topic}", ephemeral=private)


@faq.autocomplete("topic")
async def faq_topic(
    _interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=t, value=t) for t in TOPICS if current.lower() in t]


class MiniBot(commands.Bot):
    """commands.Bot with one prefix command, one slash command and one persistent view."""

    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, help_command=None)
        self.seen: list[discord.Message] = []
        self.resumed_count = 0
        self.add_command(echo)

    async def setup_hook(self) -> None:
        self.add_view(PanelView())
        self.tree.add_command(faq)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        await self.process_commands(message)

    async def on_resumed(self) -> None:
        self.resumed_count += 1


async def eventually(predicate: Callable[[], object], timeout: float = 3.0) -> None:
    """Poll client-side state (which the fake cannot see) with a hard deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def bot_contents(fake: FakeDiscord, channel: str = "general") -> list[str]:
    return [m["content"] for m in fake.bot_messages(channel)]


# ------------------------------------------------------------------ connection


async def test_connect_ready_and_guild_visible(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)

    guild = bot.get_guild(int(fake_discord.guild.id))
    assert guild is not None
    assert guild.name == fake_discord.guild.name
    assert {c.name for c in guild.text_channels} >= {"help", "general", "mod-log"}
    assert [t.name for t in guild.threads] == ["help-thread"]
    assert guild.get_role(int(fake_discord.get_role("Moderator").id)) is not None
    assert guild.me is not None
    # default intents lack GUILD_MEMBERS: like Discord, GUILD_CREATE carries only the bot member
    assert [m.name for m in guild.members] == ["FamilyTies"]
    assert guild.member_count == len(fake_discord.guild.members)
    assert bot.user is not None
    assert str(bot.user.id) == fake_discord.bot_user.id
    assert bot.application_id == int(fake_discord.application_id)

    login = fake_discord.requests_matching("GET", "/users/@me")
    assert len(login) == 1
    assert login[0].headers["Authorization"] == "Bot test-token"
    # zlib-stream here; discord.py would pick zstd-stream if `zstandard` were importable
    compress = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
    assert fake_discord.gateway_connects[0] == {"v": "10", "encoding": "json", "compress": compress}
    identify = await fake_discord.wait_identified()
    assert identify.token == "test-token"
    assert identify.intents is not None
    assert identify.intents & Intents.MESSAGE_CONTENT
    assert fake_discord.heartbeats >= 1  # discord.py beats right after HELLO

    sync = fake_discord.requests_matching("PUT", "/applications/{application_id}/commands")
    assert len(sync) == 1
    assert [c["name"] for c in sync[0].json] == ["faq"]
    assert [c["name"] for c in sync[0].response] == ["faq"]
    assert all("id" in c for c in sync[0].response)

    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{fake_discord.api_base}/users/@me", headers={"Authorization": "Bot test-token"}
        ) as resp,
    ):
        assert resp.headers["Content-Type"] == "application/json"  # exact: no charset
        assert "X-RateLimit-Bucket" in resp.headers


async def test_low_heartbeat_interval_is_acked(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    fake_discord.heartbeat_interval_ms = 50
    bot = MiniBot()
    await run_client(bot)
    await fake_discord.wait_until(lambda: fake_discord.heartbeats >= 4, timeout=2.0)
    assert bot.latency < 1.0  # ACKs arrive, so discord.py measures a real latency
    assert fake_discord.gateway_received[0]["op"] == 2  # heartbeats are counted, not logged


async def test_unknown_route_is_recorded_and_404(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/definitely/not/a/route"))
    assert [r.path for r in fake_discord.unknown_requests] == ["/definitely/not/a/route"]
    assert fake_discord.unknown_requests[0].response == {"message": "Unknown route", "code": 0}


# ------------------------------------------------------------------ messages


async def test_prefix_command_answered_with_one_message(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)
    general = fake_discord.get_channel("general")

    await fake_discord.message_create("general", "alice", "!echo hello there")
    rec = await fake_discord.wait_for_request("POST", MESSAGES)
    assert rec.params == {"channel_id": general.id}
    assert rec.json["content"] == "echo: hello there"
    assert rec.status == 200
    # the bot's own message comes back over the gateway; once it has, the command is done
    await eventually(lambda: any(m.author == bot.user for m in bot.seen))
    assert len(fake_discord.requests_matching("POST", MESSAGES)) == 1
    assert bot_contents(fake_discord) == ["echo: hello there"]


async def test_own_message_comes_back_as_message_create(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)
    channel = bot.get_channel(int(fake_discord.get_channel("help").id))
    assert isinstance(channel, discord.TextChannel)

    sent = await channel.send("written by the bot")
    await eventually(lambda: any(m.id == sent.id for m in bot.seen))
    echoed = next(m for m in bot.seen if m.id == sent.id)
    assert echoed.author == bot.user
    assert echoed.content == "written by the bot"
    assert [f["d"]["id"] for f in fake_discord.sent_dispatches("MESSAGE_CREATE")] == [str(sent.id)]


async def test_rate_limited_message_is_retried_and_created_once(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)
    fake_discord.rate_limit_next("POST", MESSAGES, retry_after=0.25)

    await fake_discord.message_create("general", "alice", "!echo limited")
    recs = await fake_discord.wait_for_requests("POST", MESSAGES, 2)
    assert [r.status for r in recs] == [429, 200]
    assert recs[0].response == {
        "message": "You are being rate limited.",
        "retry_after": 0.25,
        "global": False,
    }
    assert recs[1].time - recs[0].time >= 0.2
    assert recs[0].json == recs[1].json
    await eventually(lambda: any(m.author == bot.user for m in bot.seen))
    assert len(fake_discord.requests_matching("POST", MESSAGES)) == 2
    assert bot_contents(fake_discord) == ["echo: limited"]


async def test_server_error_is_retried(fake_discord: FakeDiscord, run_client: RunClient) -> None:
    bot = MiniBot()
    await run_client(bot)
    fake_discord.fail_next("POST", MESSAGES, status=502)

    await fake_discord.message_create("general", "alice", "!echo flaky")
    recs = await fake_discord.wait_for_requests("POST", MESSAGES, 2)  # discord.py waits 1 s
    assert [r.status for r in recs] == [502, 200]
    assert bot_contents(fake_discord) == ["echo: flaky"]


async def test_without_message_content_intent_guild_content_is_empty(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot(message_content=False)
    await run_client(bot)
    identify = await fake_discord.wait_identified()
    assert identify.intents is not None
    assert not identify.intents & Intents.MESSAGE_CONTENT

    plain = await fake_discord.message_create("general", "alice", "plain question")
    mention = await fake_discord.message_create(
        "general", "alice", "what about visas?", mentions_bot=True
    )
    dm = await fake_discord.message_create(None, "alice", "a private question", guild=False)
    channel = bot.get_channel(int(fake_discord.get_channel("general").id))
    assert isinstance(channel, discord.TextChannel)
    own = await channel.send("bot's own words")

    ids = {int(plain["id"]), int(mention["id"]), int(dm["id"]), own.id}
    await eventually(lambda: ids <= {m.id for m in bot.seen})
    by_id = {m.id: m for m in bot.seen}
    assert plain["content"] == "plain question"  # the builder returns the unredacted payload
    assert by_id[int(plain["id"])].content == ""
    assert by_id[int(mention["id"])].content == f"<@{fake_discord.bot_user.id}> what about visas?"
    assert by_id[int(dm["id"])].content == "a private question"
    assert by_id[int(dm["id"])].guild is None
    assert by_id[own.id].content == "bot's own words"
    assert fake_discord.requests_matching("POST", MESSAGES, lambda r: "echo" in str(r.json)) == []


# ------------------------------------------------------------------ interactions


async def test_slash_command_answered_with_type_4(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)

    payload = await fake_discord.slash_command(
        "faq", {"topic": "visas"}, user_id="alice", channel_id="help"
    )
    synced = fake_discord.global_commands["1:faq"]
    assert payload["data"]["id"] == synced["id"]
    assert payload["data"]["options"] == [{"name": "topic", "type": 3, "value": "visas"}]
    assert payload["version"] == 1
    assert isinstance(payload["app_permissions"], str)
    assert isinstance(payload["member"]["permissions"], str)

    cb = await fake_discord.wait_for_interaction_callback(payload)
    assert cb.query == {"with_response": "1"}
    assert cb.json["type"] == 4
    assert cb.json["data"]["content"] == "FAQ: visas"
    assert not (cb.json["data"].get("flags") or 0) & 64
    assert cb.response["resource"]["message"]["content"] == "FAQ: visas"

    inter = await fake_discord.wait_for_interaction_response(payload)
    assert inter.original_message_id is not None
    assert (
        fake_discord.messages[inter.original_message_id]["channel_id"]
        == fake_discord.get_channel("help").id
    )
    await eventually(lambda: any(m.id == int(inter.original_message_id or 0) for m in bot.seen))


async def test_slash_command_ephemeral_sets_flag_64(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)

    payload = await fake_discord.slash_command(
        "faq", {"topic": "visas", "private": True}, user_id="alice"
    )
    assert payload["data"]["options"][1] == {"name": "private", "type": 5, "value": True}
    cb = await fake_discord.wait_for_interaction_callback(payload)
    assert cb.json["type"] == 4
    assert cb.json["data"]["flags"] & 64
    assert cb.response["interaction"]["response_message_ephemeral"] is True
    assert fake_discord.interactions[payload["id"]].ephemeral
    assert fake_discord.channel_messages("general") == []  # ephemeral: not a channel message
    assert fake_discord.sent_dispatches("MESSAGE_CREATE") == []


async def test_deferred_slash_command_then_followup(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)

    payload = await fake_discord.slash_command(
        "faq", {"topic": "green cards", "deferred": True}, user_id="mod"
    )
    cb = await fake_discord.wait_for_interaction_callback(payload)
    assert cb.json["type"] == 5
    followups = await fake_discord.wait_for_followup(payload)
    assert [m["content"] for m in followups] == ["FAQ: green cards"]
    hook = fake_discord.requests_matching("POST", "/webhooks/{webhook_id}/{webhook_token}")
    assert len(hook) == 1
    assert hook[0].params["webhook_id"] == fake_discord.application_id
    assert hook[0].params["webhook_token"] == payload["token"]
    assert hook[0].query["wait"] == "1"


async def test_autocomplete_returns_choices(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)

    payload = await fake_discord.autocomplete("faq", {"topic": "vis"}, focused="topic")
    assert payload["type"] == 4
    cb = await fake_discord.wait_for_interaction_callback(payload)
    assert cb.json["type"] == 8
    assert cb.json["data"]["choices"] == [{"name": "visas", "value": "visas"}]


async def test_persistent_button_click(fake_discord: FakeDiscord, run_client: RunClient) -> None:
    # the panel was posted by an earlier run of the bot: only add_view() makes clicks work
    panel = fake_discord.seed_message(
        "help",
        fake_discord.bot_user,
        "Need help?",
        components=[
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Hello", "custom_id": "mini:hello"},
                    {"type": 2, "style": 2, "label": "Ask", "custom_id": "mini:ask"},
                ],
            }
        ],
    )
    bot = MiniBot()
    await run_client(bot)

    payload = await fake_discord.component_click(panel["id"], "mini:hello", user_id="alice")
    assert payload["message"]["id"] == panel["id"]
    cb = await fake_discord.wait_for_interaction_callback(payload)
    assert cb.json["type"] == 4
    assert cb.json["data"]["content"] == "hello from panel"
    assert cb.json["data"]["flags"] & 64


async def test_button_opens_modal_and_submission_is_answered(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)

    click = await fake_discord.component_click("1234567890123456789", "mini:ask", user_id="mod")
    cb = await fake_discord.wait_for_interaction_callback(click)
    assert cb.json["type"] == 9
    assert cb.json["data"]["custom_id"] == "mini:ask-modal"

    submit = await fake_discord.modal_submit(
        "mini:ask-modal", {"mini:question": "Who qualifies?"}, user_id="mod"
    )
    cb2 = await fake_discord.wait_for_interaction_callback(submit)
    assert cb2.json["type"] == 4
    assert cb2.json["data"]["content"] == "asked: Who qualifies?"


# ------------------------------------------------------------------ gateway faults


@pytest.mark.parametrize("code", [1006, 4000])
async def test_gateway_drop_resumes_and_replays(
    fake_discord: FakeDiscord, run_client: RunClient, code: int
) -> None:
    bot = MiniBot()
    await run_client(bot)

    assert await fake_discord.drop_gateway(code) == 1
    # dispatched while the socket is down: must be replayed on RESUME, answered once
    await fake_discord.message_create("general", "alice", "!echo during outage")
    resume = await fake_discord.wait_resumed()
    assert resume.replayed >= 1
    await fake_discord.message_create("general", "alice", "!echo after recovery")
    await fake_discord.wait_for_message(
        "general", predicate=lambda m: m["content"] == "echo: after recovery"
    )
    await fake_discord.wait_for_message(
        "general", predicate=lambda m: m["content"] == "echo: during outage"
    )
    # barrier: a later command answered means earlier duplicates would have shown up by now
    await fake_discord.message_create("general", "alice", "!echo barrier")
    await fake_discord.wait_for_message(
        "general", predicate=lambda m: m["content"] == "echo: barrier"
    )

    assert sorted(bot_contents(fake_discord)) == [
        "echo: after recovery",
        "echo: barrier",
        "echo: during outage",
    ]
    assert fake_discord.identify_count == 1  # resumed, never re-identified
    assert fake_discord.resume_count == 1
    first_close = fake_discord.gateway_closes[0]
    assert (first_close.initiator, first_close.code) == ("server", code)
    await eventually(lambda: bot.resumed_count == 1)


async def test_reconnect_request_resumes(fake_discord: FakeDiscord, run_client: RunClient) -> None:
    bot = MiniBot()
    await run_client(bot)
    await fake_discord.request_reconnect()
    await fake_discord.wait_resumed()
    assert fake_discord.gateway_closes[0].initiator == "client"
    assert fake_discord.identify_count == 1


class NoIdentifyDelayBot(MiniBot):
    """discord.py sleeps 5 s before every non-initial IDENTIFY; tests skip that wait."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_invalid_session_makes_client_identify_again(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = NoIdentifyDelayBot()
    await run_client(bot)
    await fake_discord.invalidate_session(resumable=False)
    await fake_discord.wait_identified(2)
    await eventually(bot.is_ready)
    await fake_discord.message_create("general", "alice", "!echo again")
    await fake_discord.wait_for_message(
        "general", predicate=lambda m: m["content"] == "echo: again"
    )
    assert fake_discord.resume_count == 0


# ------------------------------------------------------------------ wider REST surface


async def test_files_reactions_edits_threads_and_deletes(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)
    channel = bot.get_channel(int(fake_discord.get_channel("general").id))
    assert isinstance(channel, discord.TextChannel)

    msg = await channel.send("with file", file=discord.File(io.BytesIO(b"hello"), filename="a.txt"))
    rec = fake_discord.requests_matching("POST", MESSAGES)[-1]
    assert rec.json["content"] == "with file"  # parsed from multipart payload_json
    assert [(f.field, f.filename, f.data) for f in rec.files] == [("files[0]", "a.txt", b"hello")]
    assert await msg.attachments[0].read() == b"hello"  # the fake serves attachment URLs

    await msg.add_reaction("👍")
    reaction = await fake_discord.wait_for_request(
        "PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
    )
    assert reaction.params["emoji"] == "👍"
    await msg.edit(content="edited")
    fetched = await channel.fetch_message(msg.id)
    assert fetched.content == "edited"
    assert [str(r.emoji) for r in fetched.reactions] == ["👍"]
    assert [m.content async for m in channel.history(limit=5)] == ["edited"]

    thread = await msg.create_thread(name="discussion")
    assert thread.id == msg.id  # Discord reuses the starter message id
    await thread.send("in thread")
    assert [m["content"] for m in fake_discord.channel_messages(thread.id)] == ["in thread"]

    await msg.delete()
    assert str(msg.id) not in fake_discord.messages
    events = [f["t"] for f in fake_discord.sent_dispatches()]
    for event in ("MESSAGE_REACTION_ADD", "MESSAGE_UPDATE", "THREAD_CREATE", "MESSAGE_DELETE"):
        assert event in events


async def test_dm_is_opened_and_sent(fake_discord: FakeDiscord, run_client: RunClient) -> None:
    bot = MiniBot()
    await run_client(bot)
    alice = await bot.fetch_user(int(fake_discord.get_user("alice").id))

    sent = await alice.send("hi alice")
    opened = await fake_discord.wait_for_request("POST", "/users/@me/channels")
    assert opened.json == {"recipient_id": alice.id}
    dm = fake_discord.dm_channel("alice")
    assert opened.response["id"] == dm.id
    assert [m["content"] for m in fake_discord.channel_messages(dm)] == ["hi alice"]
    assert sent.guild is None


async def test_over_long_message_is_rejected_like_discord(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    await run_client(bot)
    channel = bot.get_channel(int(fake_discord.get_channel("general").id))
    assert isinstance(channel, discord.TextChannel)

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    with pytest.raises(discord.HTTPException) as big_embed:
        await channel.send(embed=discord.Embed(description="y" * 4097))
    assert "embeds.0.description" in big_embed.value.text
    assert fake_discord.bot_messages() == []


async def test_guild_group_command_resolves_options_and_context_menu(
    fake_discord: FakeDiscord, run_client: RunClient
) -> None:
    bot = MiniBot()
    guild = discord.Object(int(fake_discord.guild.id))
    kb = app_commands.Group(name="kb", description="knowledge base")

    @kb.command(name="search", description="search")
    async def search(
        interaction: discord.Interaction,
        query: str,
        member: discord.Member,
        where: discord.TextChannel,
    ) -> None:
        await interaction.response.send_message(f"{query}|{member.name}|{where.name}")

    @app_commands.context_menu(name="Explain")
    async def explain(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"explain: {message.content}", ephemeral=True)

    bot.tree.add_command(kb, guild=guild)
    bot.tree.add_command(explain, guild=guild)
    await run_client(bot)
    await bot.tree.sync(guild=guild)
    assert set(fake_discord.guild_commands[fake_discord.guild.id]) == {"1:kb", "3:Explain"}

    payload = await fake_discord.slash_command(
        "kb search", {"query": "I-130", "member": "alice", "where": "help"}, user_id="mod"
    )
    assert payload["data"]["guild_id"] == fake_discord.guild.id  # guild-scoped routing
    sub = payload["data"]["options"][0]
    assert (sub["name"], sub["type"]) == ("search", 1)
    assert [o["type"] for o in sub["options"]] == [3, 6, 7]  # types from the synced definition
    cb = await fake_discord.wait_for_interaction_callback(payload)
    assert cb.json["data"]["content"] == "I-130|alice|help"

    question = await fake_discord.message_create("help", "alice", "what is an I-130?")
    menu = await fake_discord.context_menu(
        "Explain", question["id"], user_id="mod", channel_id="help"
    )
    cb2 = await fake_discord.wait_for_interaction_callback(menu)
    assert cb2.json["data"] == {"tts": False, "content": "explain: what is an I-130?", "flags": 64}


# ------------------------------------------------------------------ raw protocol (no client)


async def test_enforced_nonce_deduplicates_message_create(fake_discord: FakeDiscord) -> None:
    url = f"{fake_discord.api_base}/channels/{fake_discord.get_channel('general').id}/messages"
    body = {"content": "once", "nonce": "42", "enforce_nonce": True}
    headers = {"Authorization": "Bot test-token"}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, headers=headers) as first:
            first_json = await first.json()
        async with session.post(url, json=body, headers=headers) as second:
            second_json = await second.json()
        async with session.post(url, json=body) as unauthenticated:
            assert unauthenticated.status == 401
    assert first_json["id"] == second_json["id"]
    assert len(fake_discord.bot_messages()) == 1


async def test_interaction_callback_rules(fake_discord: FakeDiscord) -> None:
    panel = fake_discord.seed_message(
        "help", fake_discord.bot_user, "panel", components=[{"type": 1, "components": []}]
    )
    click = await fake_discord.component_click(panel["id"], "x:update", user_id="alice")
    slash = await fake_discord.slash_command("faq", {"topic": "visas"}, user_id="alice")
    late = await fake_discord.slash_command("faq", {"topic": "late"}, user_id="alice")

    def callback_url(inter: dict[str, object]) -> str:
        return f"{fake_discord.api_base}/interactions/{inter['id']}/{inter['token']}/callback"

    async with aiohttp.ClientSession() as session:
        update = {"type": 7, "data": {"content": "updated panel"}}
        async with session.post(
            callback_url(click), json=update, params={"with_response": "1"}
        ) as r:
            assert r.status == 200
            assert (await r.json())["resource"]["message"]["content"] == "updated panel"
        async with session.post(callback_url(click), json=update) as r:
            assert (r.status, (await r.json())["code"]) == (400, 40060)  # already acknowledged
        async with session.post(
            callback_url(slash), json={"type": 8, "data": {"choices": []}}
        ) as r:
            assert r.status == 400  # autocomplete result is only valid for autocomplete
        fake_discord.interaction_ack_timeout = 0.0
        async with session.post(
            callback_url(late), json={"type": 4, "data": {"content": "x"}}
        ) as r:
            assert (r.status, (await r.json())["code"]) == (404, 10062)  # answered too late
    assert fake_discord.messages[panel["id"]]["content"] == "updated panel"
    assert fake_discord.messages[panel["id"]]["edited_timestamp"] is not None


# ------------------------------------------------------------------ login / identify failures


async def test_bad_token_fails_login(fake_discord: FakeDiscord) -> None:
    bot = MiniBot()
    with pytest.raises(discord.LoginFailure):
        await connect_client(bot, fake_discord, token="wrong-token")
    assert fake_discord.requests_matching("GET", "/users/@me", status=401)
    assert fake_discord.identifies == []


async def test_disallowed_privileged_intent_closes_4014(fake_discord: FakeDiscord) -> None:
    fake_discord.allowed_privileged_intents = 0  # portal switch for Message Content is off
    bot = MiniBot()
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await connect_client(bot, fake_discord)
    assert fake_discord.gateway_closes[0].initiator == "server"
    assert fake_discord.gateway_closes[0].code == 4014


async def _post_message(fake: FakeDiscord, channel_id: str, body: dict[str, Any]) -> Any:
    """Create a message as the bot over the fake's REST API; return Discord's JSON."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.api_base}/channels/{channel_id}/messages",
            json=body,
            headers={"Authorization": "Bot test-token"},
        ) as resp,
    ):
        return await resp.json()


async def test_reply_lookup_accepts_int_snowflakes(fake_discord: FakeDiscord) -> None:
    question = await fake_discord.message_create("help", "alice", "what is DOMA?")
    channel_id = fake_discord.get_channel("help").id
    body = {"content": "answer", "message_reference": {"message_id": int(question["id"])}}
    created = await _post_message(fake_discord, channel_id, body)
    reply = await fake_discord.wait_for_reply(question)
    assert reply.json["message_reference"]["message_id"] == int(question["id"])  # raw body kept
    assert fake_discord.replies_to(question["id"]) == [reply]
    assert created["type"] == 19  # a reply
    assert created["referenced_message"]["id"] == question["id"]
    alice_id = fake_discord.get_user("alice").id
    assert [u["id"] for u in created["mentions"]] == [alice_id]  # default: replies ping

    quiet = {
        "content": f"quiet answer <@{alice_id}> @everyone",
        "message_reference": {"message_id": int(question["id"])},
        "allowed_mentions": {"parse": [], "replied_user": False},
    }
    silent = await _post_message(fake_discord, channel_id, quiet)
    assert silent["mentions"] == []
    assert silent["mention_everyone"] is False
