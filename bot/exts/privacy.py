"""Members' control of their data: `/privacy` says what is kept, `/forget` deletes theirs."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FamilyTies
from bot.core.language import locale_code
from bot.core.replies import ENGLISH, Catalog
from bot.db import Database, MemberData
from bot.ui.render import COLOUR, NO_PINGS

log = logging.getLogger(__name__)

# How long the confirmation button of `/forget` stays usable.
_CONFIRM_SECONDS = 120.0


def _counts(data: MemberData, catalog: Catalog) -> str:
    _ = catalog.gettext
    votes = _("1 vote") if data.votes == 1 else _("{count} votes").format(count=data.votes)
    questions = (
        _("1 question")
        if data.questions == 1
        else _("{count} questions").format(count=data.questions)
    )
    return _("{votes} and {questions}").format(votes=votes, questions=questions)


def privacy_embed(days: int, organization: str, catalog: Catalog = ENGLISH) -> discord.Embed:
    """Say what is kept, for how long, what never is, and how to delete it."""
    _ = catalog.gettext
    embed = discord.Embed(
        title=_("Your privacy"),
        description=_("I keep as little as I can, and you can delete what's yours at any time."),
        colour=COLOUR,
    )
    kept = _(
        "• When you press Helpful / Not helpful: which answer it was, and your vote.\n"
        "• A question you asked me that I couldn't answer, so moderators can add what's "
        "missing: with emails, phone numbers, A-numbers, receipt numbers, dates, addresses "
        "and links taken out.\n"
        "• With each, a secret code made from your user id, never the id itself."
    )
    never = _(
        "• Messages I only overheard in help channels.\n"
        "• Messages about your own situation (I point you to {organization} instead).\n"
        "• Your user id or your name.\n"
        "I count how many questions I get, with no text and no name."
    ).format(organization=organization)
    embed.add_field(name=_("What I keep"), value=kept, inline=False)
    embed.add_field(
        name=_("For how long"),
        value=_("{days} days, then it's deleted automatically.").format(days=days),
    )
    embed.add_field(name=_("What I never keep"), value=never, inline=False)
    embed.add_field(
        name=_("Delete your data"),
        value=_("Use `/forget`: it deletes your votes and questions now."),
    )
    return embed


def member_catalog(bot: FamilyTies, interaction: discord.Interaction[Any]) -> Catalog:
    """Return the messages in the member's Discord language (there is no text to go by)."""
    return bot.responder.catalog(
        interaction_locale=locale_code(interaction.locale),
        guild_locale=locale_code(interaction.guild_locale),
    )


class ForgetConfirmation(discord.ui.View):
    """Delete or Cancel, under the private `/forget` prompt; only its member can press it."""

    def __init__(
        self, database: Database, interaction: discord.Interaction[Any], catalog: Catalog
    ) -> None:
        super().__init__(timeout=_CONFIRM_SECONDS)
        self.database = database
        self.prompt = interaction
        self.catalog = catalog
        self.delete.label = catalog.gettext("Delete my data")
        self.cancel.label = catalog.gettext("Cancel")

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the member who asked may confirm (the prompt is private: a safeguard)."""
        return interaction.user.id == self.prompt.user.id

    @discord.ui.button(label="Delete my data", style=discord.ButtonStyle.danger)
    async def delete(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Delete the member's votes and questions, and say what went."""
        self.stop()
        deleted = await self.database.forget(interaction.user.id)
        log.info("forget: %d votes, %d questions deleted", deleted.votes, deleted.questions)
        text = self.catalog.gettext(
            "Done: I deleted {counts}. Nothing of yours is kept now."
        ).format(counts=_counts(deleted, self.catalog))
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Leave everything as it is."""
        self.stop()
        text = self.catalog.gettext("OK, nothing was deleted.")
        await interaction.response.edit_message(content=text, view=None)

    async def on_timeout(self) -> None:
        """Take the buttons away once they no longer work."""
        text = self.catalog.gettext("Nothing was deleted. Use `/forget` again whenever you like.")
        try:
            await self.prompt.edit_original_response(content=text, view=None)
        except discord.HTTPException:
            log.debug("forget prompt expired and could not be edited")

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
    ) -> None:
        """Say kindly that it did not work; the log has the cause."""
        log.exception("forget failed", exc_info=error)
        text = self.catalog.gettext(
            "Something went wrong, and your data may not be deleted. Try `/forget` again."
        )
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


class Privacy(commands.Cog):
    """What the bot keeps about members, and deleting it."""

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot

    @app_commands.command(name="privacy", description="What I keep about you, and for how long")
    async def privacy_command(self, interaction: discord.Interaction[FamilyTies]) -> None:
        """Explain privately what is kept, for how long, and how to delete it."""
        embed = privacy_embed(
            self.bot.settings.retention_days,
            self.bot.organization.name,
            member_catalog(self.bot, interaction),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="forget", description="Delete your feedback votes and questions")
    async def forget_command(self, interaction: discord.Interaction[FamilyTies]) -> None:
        """Show privately what is stored, and delete it once the member confirms."""
        catalog = member_catalog(self.bot, interaction)
        _ = catalog.gettext
        stored = await self.bot.db.member_data(interaction.user.id)
        if stored.votes == 0 and stored.questions == 0:
            await interaction.response.send_message(
                _("I have nothing stored for you: no votes, no questions."), ephemeral=True
            )
            return
        counts = _counts(stored, catalog)
        await interaction.response.send_message(
            _("I have {counts} of yours. Delete them? This can't be undone.").format(counts=counts),
            view=ForgetConfirmation(self.bot.db, interaction, catalog),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(Privacy(bot))
