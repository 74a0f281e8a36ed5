"""Browsing and help: `/topics`, `/about`, `!help`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FamilyTies
from bot.core.replies import DISCLAIMER
from bot.ui.render import COLOUR, NO_PINGS

_FIELD_LIMIT, _FIELDS = 1024, 25


class Info(commands.Cog):
    """What the bot knows and what it does."""

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot

    def topics_embed(self, tag: str | None) -> discord.Embed:
        """Questions grouped by tag; one tag's questions when a tag is given."""
        grouped = self.bot.store.knowledge.tags()
        if tag:
            grouped = {tag: grouped[tag]} if tag in grouped else {}
        embed = discord.Embed(
            title="Topics I can answer" if not tag else f"Topic: {tag}",
            description="Ask with `/ask`, or pick a question below and paste it."
            if grouped
            else "I don't have that topic. Try `/topics` without a tag.",
            colour=COLOUR,
        )
        for name, entries in list(grouped.items())[:_FIELDS]:
            lines: list[str] = []
            for entry in entries:
                line = f"• {entry.question}"
                if len("\n".join([*lines, line])) > _FIELD_LIMIT - 2:
                    lines.append("• …")
                    break
                lines.append(line)
            embed.add_field(name=name, value="\n".join(lines), inline=False)
        embed.set_footer(text=DISCLAIMER)
        return embed

    @app_commands.command(name="topics", description="Browse the questions I can answer, by topic")
    @app_commands.describe(tag="Only this topic")
    async def topics_command(
        self, interaction: discord.Interaction[FamilyTies], tag: str | None = None
    ) -> None:
        """Show the topics privately, so browsing does not fill the channel."""
        await interaction.response.send_message(embed=self.topics_embed(tag), ephemeral=True)

    @topics_command.autocomplete("tag")
    async def tag_autocomplete(
        self, interaction: discord.Interaction[FamilyTies], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the tags that contain what is typed."""
        tags = [t for t in self.bot.store.knowledge.tags() if current.casefold() in t]
        return [app_commands.Choice(name=t, value=t) for t in tags[:25]]

    def about_embed(self) -> discord.Embed:
        """Explain what the bot does and does not do."""
        org = self.bot.organization
        prefix = self.bot.settings.command_prefix
        embed = discord.Embed(
            title="About FamilyTies",
            description=(
                "I answer questions about the September 2012 DHS guidance that “family "
                "relationships”, in ICE's prosecutorial-discretion decisions, include long-term "
                "same-sex partners, and about what came after. Every answer shows its sources "
                "and the date its facts hold for."
            ),
            colour=COLOUR,
        )
        embed.add_field(
            name="How to ask",
            value=(
                f"• `/ask` (add `private` to keep it to yourself)\n• `{prefix}ask your question`"
                "\n• mention me, or send me a direct message\n• `/topics` to browse"
            ),
            inline=False,
        )
        embed.add_field(
            name="What I don't do",
            value=(
                "I don't give legal advice and can't say what will happen in anyone's case. "
                f"For your own situation, contact {org.name}: {org.contact_url}\n"
                "Please don't post immigration details in public channels."
            ),
            inline=False,
        )
        embed.add_field(
            name="Your data",
            value="`/privacy` says what is kept and for how long; `/forget` deletes yours.",
            inline=False,
        )
        footer = f"{DISCLAIMER} · {self.bot.store.knowledge.summary()}"
        if not self.bot.semantic_status.startswith("on"):
            footer += f" · semantic matching {self.bot.semantic_status}"
        embed.set_footer(text=footer)
        return embed

    @app_commands.command(name="about", description="What this bot does, and what it doesn't")
    async def about_command(self, interaction: discord.Interaction[FamilyTies]) -> None:
        """Explain the bot privately."""
        await interaction.response.send_message(embed=self.about_embed(), ephemeral=True)

    @commands.command(name="help", aliases=["about", "topics"])
    async def help_command(self, ctx: commands.Context[FamilyTies]) -> None:
        """Explain the bot (prefix form)."""
        embed = self.topics_embed(None) if ctx.invoked_with == "topics" else self.about_embed()
        await ctx.reply(embed=embed, mention_author=False, allowed_mentions=NO_PINGS)


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(Info(bot))
