"""Persistent buttons: the state lives in the custom id, so they work after a restart.

Each button only parses its custom id and hands over to the bot, which owns the engine and
the database; registering the classes once (`add_dynamic_items`) is all a restart needs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

if TYPE_CHECKING:
    from bot.client import FamilyTies

__all__ = ["FeedbackButton", "SuggestionButton"]


def _bot(interaction: discord.Interaction[Any]) -> FamilyTies:
    return cast("FamilyTies", interaction.client)


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ft:fb:(?P<vote>up|down):(?P<entry>[a-z0-9-]{1,64})",
):
    """Helpful / Not helpful under an answer; records the entry id and the vote only."""

    def __init__(self, entry_id: str, *, helpful: bool, label: str | None = None) -> None:
        """`label`: the button's text in the member's language (the custom id is the same)."""
        super().__init__(
            discord.ui.Button(
                label=label or ("Helpful" if helpful else "Not helpful"),
                emoji="👍" if helpful else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ft:fb:{'up' if helpful else 'down'}:{entry_id}",
            )
        )
        self.entry_id = entry_id
        self.helpful = helpful

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FeedbackButton:
        """Rebuild the button from its custom id."""
        return cls(match["entry"], helpful=match["vote"] == "up")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the vote and thank the member privately."""
        await _bot(interaction).record_feedback(interaction, self.entry_id, helpful=self.helpful)


class SuggestionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ft:pick:(?P<entry>[a-z0-9-]{1,64})",
):
    """One "did you mean" choice; choosing it posts that answer."""

    def __init__(self, entry_id: str, label: str = "Show this answer") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.primary, custom_id=f"ft:pick:{entry_id}"
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SuggestionButton:
        """Rebuild the button from its custom id."""
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Post the chosen answer."""
        await _bot(interaction).send_chosen_answer(interaction, self.entry_id)
