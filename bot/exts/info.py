"""Browsing and help: `/topics`, `/about`, `!help`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.client import FamilyTies
from bot.core.language import locale_code
from bot.core.replies import DISCLAIMER, ENGLISH, Catalog
from bot.ui.render import COLOUR, NO_PINGS

_FIELD_LIMIT, _FIELDS = 1024, 25


class Info(commands.Cog):
    """What the bot knows and what it does."""

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot

    def topics_embed(self, tag: str | None, catalog: Catalog = ENGLISH) -> discord.Embed:
        """Questions grouped by tag; one tag's questions when a tag is given."""
        _ = catalog.gettext
        grouped = self.bot.store.knowledge.tags()
        if tag:
            grouped = {tag: grouped[tag]} if tag in grouped else {}
        embed = discord.Embed(
            title=_("Topics I can answer") if not tag else _("Topic: {tag}").format(tag=tag),
            description=_("Ask with `/ask`, or pick a question below and paste it.")
            if grouped
            else _("I don't have that topic. Try `/topics` without a tag."),
            colour=COLOUR,
        )
        for name, entries in list(grouped.items())[:_FIELDS]:
            lines: list[str] = []
            for entry in entries:
                line = f"• {entry.localized(catalog.language)[0]}"
                if len("\n".join([*lines, line])) > _FIELD_LIMIT - 2:
                    lines.append("• …")
                    break
                lines.append(line)
            embed.add_field(name=name, value="\n".join(lines), inline=False)
        embed.set_footer(text=_(DISCLAIMER))
        return embed

    @app_commands.command(
        name=locale_str("topics"),
        description=locale_str("Browse the questions I can answer, by topic"),
    )
    @app_commands.describe(tag=locale_str("Only this topic"))
    @app_commands.rename(tag=locale_str("tag"))
    async def topics_command(
        self, interaction: discord.Interaction[FamilyTies], tag: str | None = None
    ) -> None:
        """Show the topics privately, so browsing does not fill the channel."""
        catalog = self.bot.responder.catalog(
            interaction_locale=locale_code(interaction.locale),
            guild_locale=locale_code(interaction.guild_locale),
        )
        await interaction.response.send_message(
            embed=self.topics_embed(tag, catalog), ephemeral=True
        )

    @topics_command.autocomplete("tag")
    async def tag_autocomplete(
        self, interaction: discord.Interaction[FamilyTies], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the tags that contain what is typed."""
        tags = [t for t in self.bot.store.knowledge.tags() if current.casefold() in t]
        return [app_commands.Choice(name=t, value=t) for t in tags[:25]]

    def about_embed(self, catalog: Catalog = ENGLISH) -> discord.Embed:
        """Explain what the bot does and does not do."""
        _ = catalog.gettext
        org = self.bot.organization
        prefix = self.bot.settings.command_prefix
        embed = discord.Embed(
            title=_("About FamilyTies"),
            description=_(
                "I answer questions about the September 2012 DHS guidance that “family "
                "relationships”, in ICE's prosecutorial-discretion decisions, include long-term "
                "same-sex partners, and about what came after. Every answer shows its sources "
                "and the date its facts hold for."
            ),
            colour=COLOUR,
        )
        embed.add_field(
            name=_("How to ask"),
            value=_(
                "• `/ask` (add `private` to keep it to yourself)\n• `{prefix}ask your question`"
                "\n• mention me, or send me a direct message\n• `/topics` to browse"
            ).format(prefix=prefix),
            inline=False,
        )
        embed.add_field(
            name=_("What I don't do"),
            value=_(
                "I don't give legal advice and can't say what will happen in anyone's case. "
                "For your own situation, contact {name}: {url}\n"
                "Please don't post immigration details in public channels."
            ).format(name=org.name, url=org.contact_url),
            inline=False,
        )
        embed.add_field(
            name=_("Your data"),
            value=_("`/privacy` says what is kept and for how long; `/forget` deletes yours."),
            inline=False,
        )
        footer = f"{_(DISCLAIMER)} · {self.bot.store.knowledge.summary()}"
        if not self.bot.semantic_status.startswith("on"):
            footer += f" · semantic matching {self.bot.semantic_status}"
        embed.set_footer(text=footer)
        return embed

    @app_commands.command(
        name=locale_str("about"), description=locale_str("What this bot does, and what it doesn't")
    )
    async def about_command(self, interaction: discord.Interaction[FamilyTies]) -> None:
        """Explain the bot privately."""
        catalog = self.bot.responder.catalog(
            interaction_locale=locale_code(interaction.locale),
            guild_locale=locale_code(interaction.guild_locale),
        )
        await interaction.response.send_message(embed=self.about_embed(catalog), ephemeral=True)

    @commands.command(name="help", aliases=["about", "topics"])
    async def help_command(self, ctx: commands.Context[FamilyTies]) -> None:
        """Explain the bot (prefix form)."""
        catalog = self.bot.responder.catalog(
            guild_locale=locale_code(ctx.guild and ctx.guild.preferred_locale)
        )
        embed = (
            self.topics_embed(None, catalog)
            if ctx.invoked_with == "topics"
            else self.about_embed(catalog)
        )
        await ctx.reply(embed=embed, mention_author=False, allowed_mentions=NO_PINGS)


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(Info(bot))
