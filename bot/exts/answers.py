"""Answering: help-channel listening, mentions, DMs, `/ask` and `!ask`."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import time
from collections import OrderedDict
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.client import FamilyTies
from bot.core.decide import Kind, Mode
from bot.core.language import locale_code
from bot.core.replies import N_, Catalog, Reply
from bot.ui.render import NO_PINGS, render
from bot.ui.views import (
    OWNER,
    DeleteMessageButton,
    DeleteReplyButton,
    FeedbackButton,
    SuggestionButton,
)

log = logging.getLogger(__name__)

# Discord markup that is not part of the question: user, role and channel mentions.
_MARKUP = re.compile(r"<@[!&]?\d+>|<#\d+>|@everyone|@here")
_SEEN_CAPACITY = 10_000
# Catching up after a gap in the gateway session: at most this many messages per help channel,
# none older than this (a late answer to an old question would only confuse).
_CATCH_UP_LIMIT = 500  # 5 REST pages; a soak gap at 50 questions a second is ~500 messages
_CATCH_UP_WINDOW = dt.timedelta(minutes=10)
_CLOCK_MARGIN = dt.timedelta(seconds=10)  # for a channel with no message seen yet
_AUTOCOMPLETE_LIMIT = 25
_BUTTONS = (FeedbackButton, SuggestionButton, DeleteReplyButton, DeleteMessageButton)
_THANKS_HELPFUL = N_("Thanks for telling us.")
_THANKS_NOT_HELPFUL = N_("Thanks: we'll use this to improve the answer.")


def question_text(content: str) -> str:
    """Strip mentions (the bot's own, @everyone, roles) from a question."""
    return " ".join(_MARKUP.sub(" ", content).split())


class Answers(commands.Cog, name=OWNER):
    """Answer questions from the knowledge base, with sources."""

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._newest: dict[int, int] = {}  # channel id -> newest message id seen there
        self._gap: tuple[dt.datetime, dict[int, int]] | None = None  # when the session dropped

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
    async def on_disconnect(self) -> None:
        """Remember where each channel was when the gateway session dropped (the first drop)."""
        if self._gap is None:
            self._gap = (discord.utils.utcnow(), dict(self._newest))

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After a new session (not the first): answer what was posted while there was none."""
        await self._catch_up()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """Catch up after a resume too: history covers what its replay cannot."""
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Answer help-channel questions Discord never delivered (posted with no session).

        Read from history after the newest message seen in each help channel, as if they had
        just arrived; ones already answered are skipped (`_first_time`).
        """
        if self._gap is None or not self.bot.listening:
            return
        dropped, newest = self._gap
        self._gap = None
        oldest = discord.utils.time_snowflake(discord.utils.utcnow() - _CATCH_UP_WINDOW)
        unseen = discord.utils.time_snowflake(dropped - _CLOCK_MARGIN)
        for guild in self.bot.guilds:
            for channel in guild.text_channels:
                if not self._is_help_channel(channel):
                    continue
                after = discord.Object(max(newest.get(channel.id, unseen), oldest))
                try:
                    async for message in channel.history(
                        after=after, oldest_first=True, limit=_CATCH_UP_LIMIT
                    ):
                        await self.on_message(message)
                except discord.HTTPException as error:
                    log.warning(
                        "catching up in channel %s after a reconnection failed: HTTP %s",
                        channel.id,
                        error.status,
                    )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer DMs, mentions, and question-like messages in help channels."""
        if message.guild is not None and message.id > self._newest.get(message.channel.id, 0):
            self._newest[message.channel.id] = message.id
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
        started = time.perf_counter()
        response = await self.bot.responder.respond(
            text,
            mode,
            member=message.author.id,
            channel=message.channel.id,
            guild_locale=locale_code(message.guild and message.guild.preferred_locale),
        )
        if response.reply is None or response.silent:
            return
        await self._post(message, response.reply)
        self.bot.metrics.latency.observe(time.perf_counter() - started)

    async def _post(self, target: discord.Message, reply: Reply) -> None:
        """Reply to a message, pinging no one; a reply Discord refuses is logged, not retried.

        In a server the reply can be deleted by its asker (the author of `target`); a personal
        situation told there can be deleted too, where the bot may manage messages.
        """
        if target.guild is None:
            rendered = render(reply, self.bot.cards)
        else:
            may_delete = target.channel.permissions_for(target.guild.me).manage_messages
            rendered = render(
                reply,
                self.bot.cards,
                asker=target.author.id,
                asker_message=target.id if may_delete else None,
            )
        try:
            await target.reply(**rendered.kwargs(), mention_author=False)
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

    @commands.command(name="ask")
    async def ask_command(self, ctx: commands.Context[FamilyTies], *, question: str = "") -> None:
        """Ask a question; reply to someone's message to answer them."""
        referenced = ctx.message.reference.resolved if ctx.message.reference else None
        target = ctx.message
        if isinstance(referenced, discord.Message) and referenced.author.id != ctx.author.id:
            target = referenced  # a helper answering someone else
            question = question or referenced.content
        text = question_text(question)
        guild_locale = locale_code(ctx.guild and ctx.guild.preferred_locale)
        if not text:
            _ = self.bot.responder.catalog(guild_locale=guild_locale).gettext
            await ctx.reply(
                _(
                    "Ask me something, for example `{prefix}ask what is prosecutorial discretion?`"
                ).format(prefix=self.bot.settings.command_prefix),
                mention_author=False,
                allowed_mentions=NO_PINGS,
            )
            return
        if not self._first_time(ctx.message.id):
            return
        response = await self.bot.responder.respond(
            text,
            Mode.ASK,
            member=ctx.author.id,
            channel=target.channel.id,
            author=target.author.id,
            guild_locale=guild_locale,
        )
        if response.reply is not None and not response.silent:
            await self._post(target, response.reply)

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
        for_someone = member is not None and member.id != interaction.user.id
        ephemeral = private and not for_someone
        response = await self.bot.responder.respond(
            question_text(question),
            Mode.ASK,
            member=interaction.user.id,
            channel=None if ephemeral else interaction.channel_id,
            interaction_locale=locale_code(interaction.locale),
            guild_locale=locale_code(interaction.guild_locale),
        )
        reply = response.reply
        _ = response.catalog.gettext
        if reply is None:
            await interaction.response.send_message(
                _("One moment, please: try again in a few seconds."), ephemeral=True
            )
            return
        if reply.kind in {Kind.LEGAL, Kind.NONE} and not for_someone:
            ephemeral = True  # kinder in private: their situation, or a miss
        if response.repeated:
            ephemeral = True  # just answered in this channel: don't repeat it publicly
        asker = None if ephemeral or interaction.guild is None else interaction.user.id
        rendered = render(reply, asker=asker)
        if for_someone and member is not None:
            for_member = _("{member}, here is an answer for you.").format(member=member.mention)
            rendered.content = f"{for_member}\n{rendered.content or ''}"
        await interaction.response.send_message(**rendered.kwargs(), ephemeral=ephemeral)
        self.bot.metrics.latency.observe(time.perf_counter() - started)

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

    async def on_feedback(
        self, interaction: discord.Interaction[Any], entry_id: str, *, helpful: bool
    ) -> None:
        """Store a vote (entry id, vote, hashed member) and thank the member privately."""
        message_id = interaction.message.id if interaction.message else 0
        await self.bot.db.record_feedback(
            message_id, interaction.user.id, entry_id, helpful=helpful
        )
        log.info("feedback entry=%s helpful=%s", entry_id, helpful)
        catalog = self.bot.responder.catalog(
            interaction_locale=locale_code(interaction.locale),
            guild_locale=locale_code(interaction.guild_locale),
        )
        thanks = _THANKS_HELPFUL if helpful else _THANKS_NOT_HELPFUL
        await interaction.response.send_message(catalog.gettext(thanks), ephemeral=True)

    async def on_pick(
        self, interaction: discord.Interaction[Any], entry_id: str, language: str | None
    ) -> None:
        """Post the answer a member picked from "did you mean" (privately if asked privately)."""
        private = bool(interaction.message and interaction.message.flags.ephemeral)
        interaction_locale = locale_code(interaction.locale)
        guild_locale = locale_code(interaction.guild_locale)
        reply = await self.bot.responder.pick(
            entry_id, language, interaction_locale=interaction_locale, guild_locale=guild_locale
        )
        if reply is None:
            catalog = self.bot.responder.catalog(
                interaction_locale=interaction_locale, guild_locale=guild_locale
            )
            await interaction.response.send_message(
                catalog.gettext("That topic isn't available any more. Try `/ask` again."),
                ephemeral=True,
            )
            return
        asker = None if private or interaction.guild is None else interaction.user.id
        await interaction.response.send_message(
            **render(reply, asker=asker).kwargs(), ephemeral=private
        )

    def _moderates(self, interaction: discord.Interaction[Any]) -> bool:
        """Manage Messages here, or a configured moderator role (by id or name)."""
        user = interaction.user
        if not isinstance(user, discord.Member):
            return False
        if interaction.permissions.manage_messages:
            return True
        wanted = self.bot.settings.moderator_roles
        return any(role.id in wanted or role.name in wanted for role in user.roles)

    async def on_delete_reply(self, interaction: discord.Interaction[Any], asker_id: int) -> None:
        """Delete the bot's reply for its asker or a moderator; tell anyone else who may."""
        if interaction.user.id != asker_id and not self._moderates(interaction):
            catalog = self._clicker_catalog(interaction)
            await interaction.response.send_message(
                catalog.gettext("Only the person who asked, or a moderator, can remove this."),
                ephemeral=True,
            )
            return
        await interaction.response.defer()
        if interaction.message is not None:
            with contextlib.suppress(discord.NotFound):  # someone removed it first
                await interaction.message.delete()
        log.info("reply deleted by %s", "its asker" if interaction.user.id == asker_id else "a mod")

    async def on_delete_message(
        self, interaction: discord.Interaction[Any], asker_id: int, message_id: int
    ) -> None:
        """Delete the asker's own message about their situation, at their request only."""
        catalog = self._clicker_catalog(interaction)
        if interaction.user.id != asker_id:
            await interaction.response.send_message(
                catalog.gettext("Only the person who wrote that message can remove it this way."),
                ephemeral=True,
            )
            return
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            return
        try:
            await channel.get_partial_message(message_id).delete()
        except discord.NotFound:
            text = catalog.gettext("Your message was already removed.")
        except discord.Forbidden:
            text = catalog.gettext(
                "I'm not allowed to remove messages here; you can delete it yourself."
            )
        else:
            text = catalog.gettext("Done: your message is removed.")
        await interaction.response.send_message(text, ephemeral=True)

    def _clicker_catalog(self, interaction: discord.Interaction[Any]) -> Catalog:
        """Return the messages in the language of the member who clicked (their locale)."""
        return self.bot.responder.catalog(
            interaction_locale=locale_code(interaction.locale),
            guild_locale=locale_code(interaction.guild_locale),
        )


async def setup(bot: FamilyTies) -> None:
    """Load the cog and the buttons it answers (persistent: they work after a restart)."""
    bot.add_dynamic_items(*_BUTTONS)
    await bot.add_cog(Answers(bot))


async def teardown(bot: FamilyTies) -> None:
    """Forget the buttons with the cog."""
    bot.remove_dynamic_items(*_BUTTONS)
