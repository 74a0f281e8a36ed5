"""The discord.py bot: holds settings, the knowledge store and the database; cogs do the rest."""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.cooldown import Cooldown
from bot.core.decide import Kind, Mode
from bot.core.editor import KnowledgeEditor
from bot.core.replies import Organization, Reply, answer_for, compose
from bot.core.store import KnowledgeStore
from bot.db import Database
from bot.settings import Settings
from bot.ui.render import NO_PINGS, Rendered, answer_embed, feedback_view
from bot.ui.views import FeedbackButton, SuggestionButton

__all__ = ["EXTENSIONS", "FamilyTies"]

log = logging.getLogger(__name__)

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

    @property
    def listening(self) -> bool:
        """Whether passive listening in help channels is possible (needs message content)."""
        return self.intents.message_content

    async def setup_hook(self) -> None:
        """Register persistent buttons, load the cogs and publish the slash commands."""
        self.add_dynamic_items(FeedbackButton, SuggestionButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.command_guilds:
            for guild_id in self.settings.command_guilds:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_ready(self) -> None:
        """Say who we are and whether passive listening is on."""
        log.info(
            "Connected as %s (%s); %s",
            self.user,
            self.user and self.user.id,
            self.store.knowledge.summary(),
        )
        if not self.listening:
            log.warning(
                "The Message Content intent is off: passive listening in help channels is off. "
                "Mentions, DMs and slash commands still work. Enable the intent in the "
                "Developer Portal to listen."
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
