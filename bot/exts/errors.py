"""One error handler: a short, kind line for the member; the traceback goes to the log."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FamilyTies
from bot.ui.render import NO_PINGS

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


class Errors(commands.Cog):
    """Turn exceptions into kind words."""

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        """Give the tree its old handler back."""
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    @commands.Cog.listener()
    async def on_command_error(
        self, ctx: commands.Context[FamilyTies], error: commands.CommandError
    ) -> None:
        """Answer prefix-command errors."""
        if isinstance(error, commands.CommandNotFound | commands.CheckFailure):
            return
        if isinstance(error, commands.UserInputError):
            message = f"I didn't understand that. Try `{ctx.clean_prefix}help`."
        else:
            self.bot.metrics.errors.inc()
            log.error("command %s failed", ctx.command, exc_info=error)
            message = SORRY
        await ctx.reply(message, mention_author=False, allowed_mentions=NO_PINGS)

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Answer slash-command errors privately."""
        if interaction.type is discord.InteractionType.autocomplete:
            return  # nothing can be said to an autocomplete request
        if isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        else:
            self.bot.metrics.errors.inc()
            log.error(
                "app command %s failed",
                interaction.command and interaction.command.name,
                exc_info=error,
            )
            message = SORRY
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(Errors(bot))
