"""Answering: help-channel listening, mentions, DMs, `/ask` and `!ask`."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands
from discord.http import handle_message_parameters

from bot.client import FamilyTies
from bot.core.decide import Kind, Mode
from bot.core.replies import Reply
from bot.ui.render import NO_PINGS, Rendered, render

log = logging.getLogger(__name__)

# Discord markup that is not part of the question: user, role and channel mentions.
_MARKUP = re.compile(r"<@[!&]?\d+>|<#\d+>|@everyone|@here")
_SEEN_CAPACITY = 10_000
_AUTOCOMPLETE_LIMIT = 25


def question_text(content: str) -> str:
    """Strip mentions (the bot's own, @everyone, roles) from a question."""
    return " ".join(_MARKUP.sub(" ", content).split())


class Answers(commands.Cog):
    """Answer questions from the knowledge base, with sources."""

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot
        self._seen: OrderedDict[int, None] = OrderedDict()

    def _first_time(self, message_id: int) -> bool:
        """Never answer the same message twice (gateway replays, duplicate dispatches)."""
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        if len(self._seen) > _SEEN_CAPACITY:
            self._seen.popitem(last=False)
        return True

    def _is_help_channel(self, channel: Any) -> bool:
        configured = self.bot.settings.help_channels
        if not configured:
            return False
        candidates = [channel]
        if isinstance(channel, discord.Thread) and channel.parent is not None:
            candidates.append(channel.parent)
        elif isinstance(channel, discord.Thread):
            return channel.parent_id in configured
        return any(c.id in configured or getattr(c, "name", None) in configured for c in candidates)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer DMs, mentions, and question-like messages in help channels."""
        if message.author.bot or message.webhook_id is not None or self.bot.user is None:
            return
        if message.author.id == self.bot.user.id:
            return
        mentioned = self.bot.user in message.mentions
        if message.guild is None or mentioned:
            mode = Mode.ASK
        elif self.bot.listening and self._is_help_channel(message.channel):
            mode = Mode.LISTEN
        else:
            return
        if self.bot.may_be_command(message.content) and (await self.bot.get_context(message)).valid:
            return  # a command (`!ask`, `@bot ask`) answers it
        text = question_text(message.content)
        if not text or not self._first_time(message.id):
            return
        if not self.bot.user_cooldown.hit(message.author.id):
            log.debug("user cooldown: message %s not answered", message.id)
            return
        started = time.perf_counter()
        guild_locale = message.guild.preferred_locale if message.guild else None
        reply = await self.bot.respond(text, mode, guild_locale=guild_locale)
        if reply.kind is Kind.NONE and mode is Mode.LISTEN:
            return
        await self._post(message, reply)
        self.bot.observe_reply(started)

    async def _post(self, target: discord.Message, reply: Reply, prefix: str = "") -> None:
        """Reply to a message, unless the same answer was just posted in that channel."""
        if (
            reply.kind is Kind.ANSWER
            and reply.entry_id
            and not self.bot.answer_cooldown.hit((target.channel.id, reply.entry_id))
        ):
            log.info("channel cooldown: entry %s recently answered here", reply.entry_id)
            return
        rendered = render(reply, self.bot.cards)
        if prefix:
            rendered.content = f"{prefix}\n{rendered.content or ''}".strip()
        try:
            await self._send_reply(target, rendered)
        except discord.HTTPException as error:
            # Expected in a live server: a channel where the bot may not speak, or a question
            # deleted before the reply (then the reply should not appear). Nothing to retry.
            log.warning(
                "reply in channel %s not posted: HTTP %s, Discord code %s (%s)",
                target.channel.id,
                error.status,
                error.code,
                "missing permissions" if isinstance(error, discord.Forbidden) else error.text,
            )

    async def _send_reply(self, target: discord.Message, rendered: Rendered) -> None:
        """Post `rendered` in reply to `target`: `target.reply`, minus two things never used.

        Why: `Messageable.send` builds a `Message` from Discord's response, parsing our own
        embed and buttons back (about a tenth of the bot's CPU per answer under load), and
        files the buttons under the new message's id, one entry per answer for the life of the
        process. The bot never reads the reply back, and its buttons are dynamic items,
        dispatched by custom id (`add_dynamic_items`). The request itself is made as `send`
        makes it: a random nonce that Discord enforces (a retried request never posts twice),
        discord.py's rate limiting and retries.
        """
        with handle_message_parameters(
            **rendered.kwargs(),
            nonce=secrets.randbits(64),
            message_reference=target.to_message_reference_dict(),
            mention_author=False,
            previous_allowed_mentions=self.bot.allowed_mentions,
        ) as params:
            await self.bot.http.send_message(target.channel.id, params=params)

    @commands.command(name="ask")
    async def ask_command(self, ctx: commands.Context[FamilyTies], *, question: str = "") -> None:
        """Ask a question; reply to someone's message to answer them."""
        referenced = ctx.message.reference.resolved if ctx.message.reference else None
        target = ctx.message
        if isinstance(referenced, discord.Message) and referenced.author.id != ctx.author.id:
            target = referenced  # a helper answering someone else
            question = question or referenced.content
        text = question_text(question)
        if not text:
            await ctx.reply(
                f"Ask me something, for example `{self.bot.settings.command_prefix}ask what is "
                "prosecutorial discretion?`",
                mention_author=False,
                allowed_mentions=NO_PINGS,
            )
            return
        if not self._first_time(ctx.message.id) or not self.bot.user_cooldown.hit(ctx.author.id):
            return
        guild_locale = ctx.guild.preferred_locale if ctx.guild else None
        await self._post(target, await self.bot.respond(text, Mode.ASK, guild_locale=guild_locale))

    @app_commands.command(
        name=locale_str("ask"),
        description=locale_str("Ask about the 2012 DHS guidance on same-sex partners"),
    )
    @app_commands.describe(
        question=locale_str("Your question, in your own words"),
        private=locale_str("Only you will see the answer"),
        member=locale_str("Post the answer for this member (helpers answering others)"),
    )
    @app_commands.rename(
        question=locale_str("question"), private=locale_str("private"), member=locale_str("for")
    )
    async def ask_slash(
        self,
        interaction: discord.Interaction[FamilyTies],
        question: app_commands.Range[str, 1, 1000],
        private: bool = False,
        member: discord.Member | None = None,
    ) -> None:
        """Answer with sources; personal legal questions always get a private reply."""
        started = time.perf_counter()
        text = question_text(question)
        if not self.bot.user_cooldown.hit(interaction.user.id):
            await interaction.response.send_message(
                "One moment, please: try again in a few seconds.", ephemeral=True
            )
            return
        reply = await self.bot.respond(
            text,
            Mode.ASK,
            interaction_locale=interaction.locale,
            guild_locale=interaction.guild_locale,
        )
        for_someone = member is not None and member.id != interaction.user.id
        ephemeral = private and not for_someone
        if reply.kind in {Kind.LEGAL, Kind.NONE} and not for_someone:
            ephemeral = True  # kinder in private: their situation, or a miss
        if (
            not ephemeral
            and reply.kind is Kind.ANSWER
            and reply.entry_id
            and interaction.channel_id is not None
            and not self.bot.answer_cooldown.hit((interaction.channel_id, reply.entry_id))
        ):
            ephemeral = True  # just answered in this channel: don't repeat it publicly
        rendered = render(reply)
        if for_someone and member is not None:
            rendered.content = (
                f"{member.mention}, here is an answer for you.\n{rendered.content or ''}"
            )
        await interaction.response.send_message(**rendered.kwargs(), ephemeral=ephemeral)
        self.bot.observe_reply(started)

    @ask_slash.autocomplete("question")
    async def question_autocomplete(
        self, interaction: discord.Interaction[FamilyTies], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the knowledge base's questions that best match what is typed so far."""
        knowledge = self.bot.store.knowledge
        if current.strip():
            ids = [
                m.entry_id
                for m in self.bot.store.engine.matcher.search(current, limit=_AUTOCOMPLETE_LIMIT)
            ]
        else:
            ids = list(knowledge.entries)[:_AUTOCOMPLETE_LIMIT]
        questions = [knowledge.entries[i].question[:100] for i in ids]
        return [app_commands.Choice(name=q, value=q) for q in questions]


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(Answers(bot))
