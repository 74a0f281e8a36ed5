"""The discord.py bot: wiring only. Settings, knowledge, database, metrics, health, the cogs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.app import Responder
from bot.cooldown import Cooldown
from bot.core.decide import Engine
from bot.core.editor import DISK, Reload
from bot.core.replies import Organization
from bot.db import Database
from bot.health import HealthServer
from bot.i18n import catalogs
from bot.metrics import Metrics
from bot.semantic import SemanticRuntime
from bot.settings import Settings
from bot.status import ServingState
from bot.storage.editor import KnowledgeEditor
from bot.storage.snapshot import Fallback, LastGood
from bot.storage.store import KnowledgeStore
from bot.ui.render import NO_PINGS, AnswerCards
from bot.ui.translator import CatalogTranslator
from bot.watch import watch_knowledge

__all__ = ["EXTENSIONS", "FamilyTies", "ShardedFamilyTies", "make_bot", "point_at_discord"]

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.answers",
    "bot.exts.info",
    "bot.exts.moderation",
    "bot.exts.privacy",
    "bot.exts.errors",
)


def point_at_discord(api_base: str, gateway_url: str | None = None) -> None:
    """Aim discord.py's REST and gateway at Discord, a REST proxy, or a test fake.

    The one place that sets these two class attributes (discord.py has no per-client option).
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


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
        point_at_discord(settings.discord_api_base, settings.discord_gateway_url)
        self.settings = settings
        self.store = store
        self.db = database
        self.editor = KnowledgeEditor(store, database)
        self.organization: Organization = settings.organization.to_core()
        self.metrics = Metrics()
        self.metrics.entries.set_function(lambda: len(self.store.knowledge.entries))
        self.semantic = SemanticRuntime(settings.data_dir) if settings.semantic else None
        self.responder = Responder(
            lambda: store.engine,
            self.organization,
            (self.metrics, database),
            per_member=Cooldown(settings.cooldowns.per_user_seconds),
            per_answer=Cooldown(settings.cooldowns.per_channel_entry_seconds),
            offload=self.semantic.decide if self.semantic is not None else None,
            catalogs=catalogs(),
        )
        self.cards = AnswerCards()
        self.health: HealthServer | None = None
        self.serving = ServingState(semantic_off=self._semantic_off)
        self.last_good = LastGood(settings.data_dir)
        self.fallback: Fallback | None = None  # set when start-up served the snapshot
        self._stop_watching = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()

    def may_be_command(self, content: str) -> bool:
        """Tell cheaply whether a message could be a prefix or mention command at all."""
        user = self.user
        if user is None:
            return True
        return content.startswith((self.settings.command_prefix, f"<@{user.id}>", f"<@!{user.id}>"))

    async def on_message(self, message: discord.Message, /) -> None:
        """Run prefix commands, skipping messages that cannot be one.

        Why: nearly every message the bot sees is a question for the Answers cog, and
        commands.Bot would parse each one for a command.
        """
        if not message.author.bot and self.may_be_command(message.content):
            await self.process_commands(message)

    @property
    def listening(self) -> bool:
        """Whether passive listening in help channels is possible (needs message content)."""
        return self.intents.message_content

    async def setup_hook(self) -> None:
        """Load the cogs, start the health server, the watcher and the semantic stage, sync."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.semantic is not None:
            self.store.on_swap = self._add_semantic_stage
            self._add_semantic_stage(self.store.engine)
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
                watch_knowledge(
                    self.store.directory,
                    lambda: self.editor.reload(DISK, only_if_changed=True),
                    self.reloaded,
                    stop=self._stop_watching,
                ),
                name="familyties-watch-knowledge",
            )
            self._background.add(task)
        await self.tree.set_translator(CatalogTranslator())  # before syncing: names are sent then
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
        for task in tuple(self._background):
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=5)
        if self.health is not None:
            await self.health.stop()
        await super().close()
        if self.semantic is not None:
            await asyncio.to_thread(self.semantic.close)

    def _add_semantic_stage(self, engine: Engine) -> None:
        """Build `engine`'s semantic stage in the background, then serve it if still current."""
        assert self.semantic is not None  # noqa: S101 - only registered with a runtime
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a swap in a worker thread (the editor's): go back to the loop
            self.loop.call_soon_threadsafe(self._add_semantic_stage, engine)
            return
        runtime = self.semantic

        async def upgrade() -> None:
            upgraded = await runtime.enable(engine)
            if upgraded.semantic is not None and self.store.upgrade(engine, upgraded):
                log.info("semantic matching is on for %s", engine.knowledge.summary())

        task = asyncio.create_task(upgrade(), name="familyties-semantic-stage")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def semantic_status(self) -> str:
        """`on: <model>`, or `off: <why>` (turned off, starting, or the model cannot load)."""
        if self.semantic is None:
            return "off: turned off in the settings"
        if self.store.engine.semantic is not None:
            return self.semantic.status
        return self.semantic.status if self.semantic.status.startswith("off") else "off: starting"

    def reloaded(self, outcome: Reload) -> None:
        """Count a reload, note what is served, and snapshot valid files as the last good ones.

        Tells the cogs (`on_knowledge_reload`: the mod-log) of a recorded one.
        """
        self.metrics.reloads.labels(result="ok" if outcome.ok else "failed").inc()
        if outcome.ok:
            self.serving.recovered()
            task = asyncio.create_task(
                self.last_good.refresh(self.store), name="familyties-last-good"
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        else:
            self.serving.failed(outcome.problems)
        if outcome.change_id is not None:
            self.dispatch("knowledge_reload", outcome)

    def serve_fallback(self, fallback: Fallback) -> None:
        """Start-up serves the last-good snapshot: report it, and tell the mod-log once ready."""
        self.fallback = fallback
        self.serving.serving_snapshot(fallback.error.problems, fallback.snapshot.saved_at)

    def _semantic_off(self) -> str | None:
        """Why semantic matching is off although the settings ask for it (None: on, or unasked)."""
        if self.semantic is None:
            return None
        status = self.semantic_status
        return status.removeprefix("off: ") if status.startswith("off") else None

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
            "semantic": self.semantic_status,
        }

    def status_report(self) -> dict[str, Any]:
        """Readiness and degradations for /status and /readyz."""
        return self.serving.report(
            reload_ok=self.store.last_reload_ok,
            gateway=self.gateway_state(),
            entries=len(self.store.knowledge.entries),
            semantic=self.semantic_status,
        )

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
        if self.fallback is not None and self.serving.snapshot_saved_at is not None:
            # Once: the moderation cog posts it to the mod-log (on_knowledge_fallback).
            self.dispatch("knowledge_fallback", self.fallback)
        self.fallback = None
        if not self.listening:
            log.warning(
                "The Message Content intent is off: passive listening in help channels is off. "
                "Mentions, DMs and slash commands still work. Enable the intent in the "
                "Developer Portal to listen."
            )


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
