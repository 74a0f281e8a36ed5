"""The discord.py bot: holds settings, the knowledge store and the database; cogs do the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.cooldown import Cooldown
from bot.core.decide import Kind, Mode
from bot.core.editor import KnowledgeEditor
from bot.core.loader import KnowledgeError
from bot.core.replies import Organization, Reply, answer_for, compose
from bot.core.store import Diff, KnowledgeStore
from bot.db import Database
from bot.exts.modlog import post_notice
from bot.health import HealthServer
from bot.metrics import Metrics
from bot.settings import Settings
from bot.status import ServingState
from bot.storage.snapshot import Fallback, LastGood
from bot.ui.render import NO_PINGS, AnswerCards, Rendered, answer_embed, feedback_view
from bot.ui.views import FeedbackButton, SuggestionButton
from bot.watch import watch_knowledge

__all__ = ["EXTENSIONS", "FamilyTies", "ShardedFamilyTies", "make_bot"]

log = logging.getLogger(__name__)

# The channel kinds whose `last_message_id` discord.py updates on MESSAGE_CREATE.
_LAST_MESSAGE_CHANNELS = (
    discord.TextChannel,
    discord.Thread,
    discord.VoiceChannel,
    discord.StageChannel,
)

EXTENSIONS = ("bot.exts.answers", "bot.exts.info", "bot.exts.moderation", "bot.exts.errors")


def point_at_discord(settings: Settings) -> None:
    """Aim discord.py's REST and gateway at Discord, a REST proxy, or a test fake."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class FamilyTies(commands.Bot):
    """A community-server bot that answers from the knowledge base, with sources."""

    def __init__(
        self,
        settings: Settings,
        store: KnowledgeStore,
        database: Database,
        *,
        message_content: bool = True,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(
            command_prefix=commands.when_mentioned_or(settings.command_prefix),
            intents=intents,
            allowed_mentions=NO_PINGS,
            help_command=None,
            **options,
        )
        point_at_discord(settings)
        self.settings = settings
        self.store = store
        self.db = database
        self.editor = KnowledgeEditor(store, database)
        self.organization: Organization = settings.organization.to_core()
        self.user_cooldown = Cooldown(settings.cooldowns.per_user_seconds)
        self.answer_cooldown = Cooldown(settings.cooldowns.per_channel_entry_seconds)
        self.metrics = Metrics()
        self.metrics.entries.set_function(lambda: len(self.store.knowledge.entries))
        self.cards = AnswerCards()
        self._skip_own_message_creates()
        self.health: HealthServer | None = None
        self.serving = ServingState()
        self.last_good = LastGood(settings.data_dir)
        self.fallback: Fallback | None = None  # set when start-up served the snapshot
        self._stop_watching = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()

    def _skip_own_message_creates(self) -> None:
        """Do not build a Message for the echo of our own messages (gateway MESSAGE_CREATE).

        Why: Discord echoes every reply the bot posts back to it as a MESSAGE_CREATE; discord.py
        would turn each one into a Message (the answer card's embed and buttons, the question it
        replies to with its author and member) and dispatch `on_message` to every listener, all
        only to be ignored: nothing in FamilyTies reacts to its own messages. That cost about
        0.1 ms of the event loop per answer (benchmarks/bench_discord.py). The one thing
        discord.py keeps up to date from such a message is kept: the channel's
        `last_message_id`. Consequences: the bot's own messages are not in the message cache
        and never reach `on_message` or `wait_for`. The hook replaces one entry of discord.py's
        table of gateway parsers (2.7: a dict built per connection state); if the entry is
        missing, nothing changes.
        """
        state = self._connection
        parsers: dict[str, Any] | None = getattr(state, "parsers", None)
        parse = parsers.get("MESSAGE_CREATE") if parsers is not None else None
        if parsers is None or parse is None:
            log.warning("discord.py has no MESSAGE_CREATE parser: own messages are parsed")
            return

        def parse_message_create(data: dict[str, Any]) -> None:
            user = state.user
            author = data.get("author") or {}
            if user is None or author.get("id") != str(user.id) or data.get("webhook_id"):
                parse(data)
                return
            channel = self.get_channel(int(data["channel_id"]))
            if isinstance(channel, _LAST_MESSAGE_CHANNELS):
                channel.last_message_id = int(data["id"])

        parsers["MESSAGE_CREATE"] = parse_message_create

    def may_be_command(self, content: str) -> bool:
        """Tell cheaply whether a message could be a prefix or mention command at all."""
        user = self.user
        if user is None:
            return True
        return content.startswith((self.settings.command_prefix, f"<@{user.id}>", f"<@!{user.id}>"))

    async def on_message(self, message: discord.Message, /) -> None:
        """Run prefix commands, skipping messages that cannot be one.

        Why: commands.Bot parses every message for a command (prefixes, the mention forms);
        nearly every message the bot sees is a question, answered by the Answers cog.
        """
        if not message.author.bot and self.may_be_command(message.content):
            await self.process_commands(message)

    @property
    def listening(self) -> bool:
        """Whether passive listening in help channels is possible (needs message content)."""
        return self.intents.message_content

    async def setup_hook(self) -> None:
        """Register persistent buttons, load the cogs and publish the slash commands."""
        self.add_dynamic_items(FeedbackButton, SuggestionButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.health_port is not None:
            self.health = HealthServer(
                self.health_checks,
                self.metrics,
                host=self.settings.health_host,
                port=self.settings.health_port,
                status=self.status_report,
            )
            await self.health.start()
        if self.settings.watch_knowledge:
            task = asyncio.create_task(
                watch_knowledge(self.store, self._reloaded, stop=self._stop_watching),
                name="familyties-watch-knowledge",
            )
            self._background.add(task)
        if self.settings.command_guilds:
            for guild_id in self.settings.command_guilds:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def close(self) -> None:
        """Stop watching and serving health, then close the gateway (replies in flight finish)."""
        self._stop_watching.set()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=5)
        if self.health is not None:
            await self.health.stop()
        await super().close()

    def _reloaded(self, outcome: Diff | KnowledgeError) -> None:
        result = "failed" if isinstance(outcome, KnowledgeError) else "ok"
        self.metrics.reloads.labels(result=result).inc()
        if isinstance(outcome, KnowledgeError):
            self.serving.failed(outcome)
            return
        self.serving.recovered()
        task = asyncio.create_task(self.last_good.refresh(self.store), name="familyties-last-good")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def serve_fallback(self, fallback: Fallback) -> None:
        """Start-up serves the last-good snapshot: report it, and tell the mod-log once ready."""
        self.fallback = fallback
        self.serving.serving_snapshot(fallback.error, fallback.snapshot.saved_at)

    def gateway_connected(self) -> bool:
        """Whether every gateway connection of this process is up."""
        if self.is_closed() or not self.is_ready():
            return False
        shards = getattr(self, "shards", None)
        if isinstance(shards, dict) and shards:
            return all(not shard.is_closed() for shard in shards.values())
        return self.ws is not None and self.ws.open

    def gateway_state(self) -> str:
        """Say `connected`, `reconnecting` (discord.py retries by itself), or `closed`."""
        if self.is_closed():
            return "closed"
        return "connected" if self.gateway_connected() else "reconnecting"

    def health_checks(self) -> dict[str, bool | int | str]:
        """Liveness for /healthz: booleans decide; a restart must be able to fix what fails.

        Invalid knowledge files do not count (a restart cannot fix them): see `status_report`.
        """
        knowledge = self.store.knowledge
        gateway = self.gateway_state()
        return {
            "knowledge_loaded": len(knowledge.entries) > 0,
            "gateway_alive": gateway != "closed",
            "gateway": gateway,
            "entries": len(knowledge.entries),
            "phrasings": knowledge.phrasing_count,
        }

    def status_report(self) -> dict[str, Any]:
        """Readiness and degradations for /status and /readyz."""
        return self.serving.report(
            reload_ok=self.store.last_reload_ok,
            gateway=self.gateway_state(),
            entries=len(self.store.knowledge.entries),
        )

    def observe_reply(self, started: float) -> None:
        """Record the time from receiving a question to Discord accepting the reply."""
        self.metrics.latency.observe(time.perf_counter() - started)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Count and log errors in event handlers (never the message text)."""
        self.metrics.errors.inc()
        log.exception("error in %s", event_method)

    async def on_ready(self) -> None:
        """Say who we are and whether passive listening is on."""
        log.info(
            "Connected as %s (%s); %s",
            self.user,
            self.user and self.user.id,
            self.store.knowledge.summary(),
        )
        if self.fallback is not None:
            await self._announce_fallback(self.fallback)
        if not self.listening:
            log.warning(
                "The Message Content intent is off: passive listening in help channels is off. "
                "Mentions, DMs and slash commands still work. Enable the intent in the "
                "Developer Portal to listen."
            )

    async def _announce_fallback(self, fallback: Fallback) -> None:
        """Tell the moderators, once, that the files are broken and the snapshot is served."""
        self.fallback = None
        problems = fallback.error.problems
        listed = "\n".join(f"- {problem}" for problem in problems[:10])
        more = f"\n…and {len(problems) - 10} more." if len(problems) > 10 else ""
        saved = fallback.snapshot.saved_at.isoformat(timespec="minutes")
        files = ", ".join(sorted({problem.file for problem in problems}))
        await post_notice(
            self.guilds,
            self.settings.mod_log_channel,
            f"The knowledge files have {len(problems)} problem(s) (in {files}), so after "
            f"restarting I am serving the last good version (saved {saved}). Fix the files; "
            f"I pick up the fix by myself (or use /kb reload):\n{listed}{more}",
        )

    async def respond(self, text: str, mode: Mode) -> Reply:
        """Decide and compose the reply to a question, and count it (never storing legal text)."""
        engine = self.store.engine
        decision = engine.decide(text, mode)
        reply = compose(decision, engine.knowledge, self.organization)
        log.info(
            "decision mode=%s kind=%s entry=%s score=%.1f",
            mode,
            decision.kind,
            decision.entry_id,
            decision.score,
        )
        self.metrics.count_decision(decision.kind.value, mode.value)
        await self.db.record_event(decision.kind.value, mode.value, decision.entry_id)
        if mode is Mode.ASK and decision.kind in {Kind.NONE, Kind.SUGGEST}:
            await self.db.record_unanswered(text)
        return reply

    async def record_feedback(
        self, interaction: discord.Interaction[Any], entry_id: str, *, helpful: bool
    ) -> None:
        """Store a vote (entry id, vote, hashed member) and thank the member privately."""
        message_id = interaction.message.id if interaction.message else 0
        await self.db.record_feedback(message_id, interaction.user.id, entry_id, helpful=helpful)
        log.info("feedback entry=%s helpful=%s", entry_id, helpful)
        await interaction.response.send_message(
            "Thanks for telling us."
            if helpful
            else "Thanks: we'll use this to improve the answer.",
            ephemeral=True,
        )

    async def send_chosen_answer(
        self, interaction: discord.Interaction[Any], entry_id: str
    ) -> None:
        """Post the answer a member picked from "did you mean"."""
        knowledge = self.store.knowledge
        entry = knowledge.entries.get(entry_id)
        private = bool(interaction.message and interaction.message.flags.ephemeral)
        if entry is None:
            await interaction.response.send_message(
                "That topic isn't available any more. Try `/ask` again.", ephemeral=True
            )
            return
        await self.db.record_event(Kind.ANSWER.value, "pick", entry_id)
        log.info("picked entry=%s", entry_id)
        answer = answer_for(entry, knowledge)
        rendered = Rendered(embeds=[answer_embed(answer)], view=feedback_view(entry_id))
        await interaction.response.send_message(**rendered.kwargs(), ephemeral=private)


class ShardedFamilyTies(FamilyTies, commands.AutoShardedBot):
    """The same bot over several gateway shards (one process may run some of them)."""


def make_bot(
    settings: Settings, store: KnowledgeStore, database: Database, *, message_content: bool = True
) -> FamilyTies:
    """Build the bot, sharded when the settings ask for it."""
    if settings.shard_count is None:
        return FamilyTies(settings, store, database, message_content=message_content)
    return ShardedFamilyTies(
        settings,
        store,
        database,
        message_content=message_content,
        shard_count=settings.shard_count,
        shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
    )
