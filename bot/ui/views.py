"""Persistent buttons: the state lives in the custom id, so they work after a restart.

Each button only parses its custom id and hands over to the cog named `OWNER`, which owns the
answers and the database; registering the classes once (`add_dynamic_items`) is all a restart
needs. The cog is found by name so that this module imports nothing of the bot's.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord
from discord.ext import commands

__all__ = [
    "OWNER",
    "AnswerButtons",
    "DeleteMessageButton",
    "DeleteReplyButton",
    "FeedbackButton",
    "SuggestionButton",
]

OWNER = "Answers"


class AnswerButtons(Protocol):
    """What the owning cog does when a member clicks one of these buttons."""

    async def on_feedback(
        self, interaction: discord.Interaction[Any], entry_id: str, *, helpful: bool
    ) -> None:
        """Record a vote on an answer."""

    async def on_pick(
        self, interaction: discord.Interaction[Any], entry_id: str, language: str | None
    ) -> None:
        """Post the answer chosen from "did you mean" (in `language`, the choices' own)."""

    async def on_delete_reply(self, interaction: discord.Interaction[Any], asker_id: int) -> None:
        """Delete the bot's reply, if the clicker asked the question or moderates."""

    async def on_delete_message(
        self, interaction: discord.Interaction[Any], asker_id: int, message_id: int
    ) -> None:
        """Delete the asker's own message, if the asker clicked."""


def _owner(interaction: discord.Interaction[Any]) -> AnswerButtons:
    client = interaction.client
    cog = client.get_cog(OWNER) if isinstance(client, commands.Bot) else None
    if cog is None:
        raise RuntimeError(f"the {OWNER} cog, which owns these buttons, is not loaded")
    return cast(AnswerButtons, cog)


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
        await _owner(interaction).on_feedback(interaction, self.entry_id, helpful=self.helpful)


class SuggestionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ft:pick:(?P<entry>[a-z0-9-]{1,64})(?::(?P<lang>[a-z]{2}))?",
):
    """One "did you mean" choice; choosing it posts that answer, in the choices' language.

    English choices carry no language (their ids are as before translations existed).
    """

    def __init__(
        self, entry_id: str, label: str = "Show this answer", language: str | None = None
    ) -> None:
        suffix = f":{language}" if language and language != "en" else ""
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"ft:pick:{entry_id}{suffix}",
            )
        )
        self.entry_id = entry_id
        self.language = language

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SuggestionButton:
        """Rebuild the button from its custom id."""
        return cls(match["entry"], language=match["lang"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Post the chosen answer."""
        await _owner(interaction).on_pick(interaction, self.entry_id, self.language)


class DeleteReplyButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ft:del:(?P<asker>[0-9]{1,20})",
):
    """Delete, under a reply in a channel: its asker, or a moderator, can take the reply down."""

    def __init__(self, asker_id: int, label: str = "Delete") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🗑️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ft:del:{asker_id}",
            )
        )
        self.asker_id = asker_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DeleteReplyButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["asker"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Delete the reply, or say who may."""
        await _owner(interaction).on_delete_reply(interaction, self.asker_id)


class DeleteMessageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ft:delmsg:(?P<asker>[0-9]{1,20}):(?P<message>[0-9]{1,20})",
):
    """Delete my message, under a reply to a personal situation told in public."""

    def __init__(self, asker_id: int, message_id: int, label: str = "Delete my message") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"ft:delmsg:{asker_id}:{message_id}",
            )
        )
        self.asker_id = asker_id
        self.message_id = message_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DeleteMessageButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["asker"]), int(match["message"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Delete the member's message, if they are the one who clicked."""
        await _owner(interaction).on_delete_message(interaction, self.asker_id, self.message_id)
