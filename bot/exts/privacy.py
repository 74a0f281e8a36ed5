"""Members' control of their data: `/privacy` says what is kept, `/forget` deletes theirs."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import FamilyTies
from bot.db import Database, MemberData
from bot.ui.render import COLOUR, NO_PINGS

log = logging.getLogger(__name__)

# How long the confirmation button of `/forget` stays usable.
_CONFIRM_SECONDS = 120.0


def _spanish(interaction: discord.Interaction[Any]) -> bool:
    return str(interaction.locale).startswith("es")


def _counts(data: MemberData, *, spanish: bool) -> str:
    if spanish:
        votes = "1 voto" if data.votes == 1 else f"{data.votes} votos"
        questions = "1 pregunta" if data.questions == 1 else f"{data.questions} preguntas"
        return f"{votes} y {questions}"
    votes = "1 vote" if data.votes == 1 else f"{data.votes} votes"
    questions = "1 question" if data.questions == 1 else f"{data.questions} questions"
    return f"{votes} and {questions}"


def privacy_embed(days: int, organization: str, *, spanish: bool = False) -> discord.Embed:
    """Say what is kept, for how long, what never is, and how to delete it."""
    if spanish:
        embed = discord.Embed(
            title="Tu privacidad",
            description="Guardo lo mínimo, y puedes borrar lo tuyo cuando quieras.",
            colour=COLOUR,
        )
        kept = (
            "• Si pulsas Útil / No útil: qué respuesta era y tu voto.\n"
            "• Una pregunta que me hiciste y no supe responder, para que los moderadores "
            "añadan lo que falta: sin correos, teléfonos, números A, recibos, fechas, "
            "direcciones ni enlaces.\n"
            "• Con cada uno, un código secreto sacado de tu id de usuario, nunca el id."
        )
        never = (
            "• Los mensajes que solo leí en los canales de ayuda.\n"
            f"• Los mensajes sobre tu propia situación (te envío al contacto de {organization}).\n"
            "• Tu id o tu nombre.\n"
            "Cuento cuántas preguntas recibo, sin texto ni nombre."
        )
        embed.add_field(name="Qué guardo", value=kept, inline=False)
        embed.add_field(name="Cuánto tiempo", value=f"{days} días; luego se borra solo.")
        embed.add_field(name="Qué nunca guardo", value=never, inline=False)
        embed.add_field(
            name="Borrar tus datos", value="Usa `/forget`: borra tus votos y preguntas ya."
        )
        return embed
    embed = discord.Embed(
        title="Your privacy",
        description="I keep as little as I can, and you can delete what's yours at any time.",
        colour=COLOUR,
    )
    kept = (
        "• When you press Helpful / Not helpful: which answer it was, and your vote.\n"
        "• A question you asked me that I couldn't answer, so moderators can add what's "
        "missing: with emails, phone numbers, A-numbers, receipt numbers, dates, addresses "
        "and links taken out.\n"
        "• With each, a secret code made from your user id, never the id itself."
    )
    never = (
        "• Messages I only overheard in help channels.\n"
        f"• Messages about your own situation (I point you to {organization} instead).\n"
        "• Your user id or your name.\n"
        "I count how many questions I get, with no text and no name."
    )
    embed.add_field(name="What I keep", value=kept, inline=False)
    embed.add_field(name="For how long", value=f"{days} days, then it's deleted automatically.")
    embed.add_field(name="What I never keep", value=never, inline=False)
    embed.add_field(
        name="Delete your data", value="Use `/forget`: it deletes your votes and questions now."
    )
    return embed


class ForgetConfirmation(discord.ui.View):
    """Delete or Cancel, under the private `/forget` prompt; only its member can press it."""

    def __init__(self, database: Database, interaction: discord.Interaction[Any]) -> None:
        super().__init__(timeout=_CONFIRM_SECONDS)
        self.database = database
        self.prompt = interaction
        self.spanish = _spanish(interaction)
        self.delete.label = "Borrar mis datos" if self.spanish else "Delete my data"
        self.cancel.label = "Cancelar" if self.spanish else "Cancel"

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
        counts = _counts(deleted, spanish=self.spanish)
        text = (
            f"Listo: borré {counts}. Ya no guardo nada tuyo."
            if self.spanish
            else f"Done: I deleted {counts}. Nothing of yours is kept now."
        )
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Leave everything as it is."""
        self.stop()
        text = "Vale, no borré nada." if self.spanish else "OK, nothing was deleted."
        await interaction.response.edit_message(content=text, view=None)

    async def on_timeout(self) -> None:
        """Take the buttons away once they no longer work."""
        text = (
            "No borré nada. Usa `/forget` otra vez cuando quieras."
            if self.spanish
            else "Nothing was deleted. Use `/forget` again whenever you like."
        )
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
        text = (
            "Algo falló y puede que no se haya borrado. Inténtalo otra vez con `/forget`."
            if self.spanish
            else "Something went wrong, and your data may not be deleted. Try `/forget` again."
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
            spanish=_spanish(interaction),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="forget", description="Delete your feedback votes and questions")
    async def forget_command(self, interaction: discord.Interaction[FamilyTies]) -> None:
        """Show privately what is stored, and delete it once the member confirms."""
        spanish = _spanish(interaction)
        stored = await self.bot.db.member_data(interaction.user.id)
        if stored.votes == 0 and stored.questions == 0:
            await interaction.response.send_message(
                "No tengo nada guardado tuyo: ni votos ni preguntas."
                if spanish
                else "I have nothing stored for you: no votes, no questions.",
                ephemeral=True,
            )
            return
        counts = _counts(stored, spanish=spanish)
        await interaction.response.send_message(
            f"Tengo {counts} tuyos. ¿Los borro? No se puede deshacer."
            if spanish
            else f"I have {counts} of yours. Delete them? This can't be undone.",
            view=ForgetConfirmation(self.bot.db, interaction),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(Privacy(bot))
