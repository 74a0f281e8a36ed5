"""Modals, confirmations and pagination for the /kb commands (short-lived, moderator-only)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.core.models import ID_MAX_CHARS, Entry
from bot.exts.moderation._fields import (
    ANSWER,
    ASKS,
    QUESTION,
    SOURCES,
    TAGS,
    entry_defaults,
    form_refusal,
)

__all__ = ["ConfirmView", "EntryModal", "Pager", "SourceModal", "entry_fields"]

Submit = Callable[[discord.Interaction[Any], dict[str, Any]], Awaitable[None]]
_TIMEOUT = 300.0


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def entry_fields(question: str, asks: str, answer: str, sources: str, tags: str) -> dict[str, Any]:
    """Turn the modal's text boxes into entry fields (one phrasing/source per line)."""
    refs: list[Any] = []
    for line in _lines(sources):
        source_id, _, quote = line.partition("|")
        refs.append(
            {"id": source_id.strip(), "quote": quote.strip()}
            if quote.strip()
            else source_id.strip()
        )
    return {
        "question": question.strip(),
        "asks": _lines(asks),
        "answer": answer.strip(),
        "sources": refs,
        "tags": [tag.strip().lower() for tag in tags.replace("\n", ",").split(",") if tag.strip()],
    }


class EntryModal(discord.ui.Modal):
    """Add or edit an entry: question, phrasings, answer, sources, tags."""

    def __init__(self, title: str, submit: Submit, entry: Entry | None = None) -> None:
        super().__init__(title=title, timeout=_TIMEOUT)
        self._submit = submit
        filled = entry_defaults(entry) if entry else {}
        self.question: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            label="Question (as a member would ask it)",
            max_length=QUESTION.max_length,
            default=filled.get(QUESTION),
        )
        self.asks: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            label="Other phrasings (one per line, at least 4)",
            style=discord.TextStyle.long,
            max_length=ASKS.max_length,
            default=filled.get(ASKS),
        )
        self.answer: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            label=f"Answer (plain words, at most {ANSWER.max_length} characters)",
            style=discord.TextStyle.long,
            max_length=ANSWER.max_length,
            default=filled.get(ANSWER),
        )
        self.sources: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            label="Source ids, one per line (id | short quote)",
            style=discord.TextStyle.long,
            max_length=SOURCES.max_length,
            default=filled.get(SOURCES),
        )
        self.tags: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            label="Tags (comma separated)",
            required=False,
            max_length=TAGS.max_length,
            default=filled.get(TAGS) or None,
        )
        for item in (self.question, self.asks, self.answer, self.sources, self.tags):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Refuse a field over its limit, kindly; else hand the fields to the command."""
        values = (
            self.question.value,
            self.asks.value,
            self.answer.value,
            self.sources.value,
            self.tags.value,
        )
        refusal = form_refusal(*values)
        if refusal is not None:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await self._submit(interaction, entry_fields(*values))


class SourceModal(discord.ui.Modal, title="Add a source"):
    """A new citable source."""

    source_id: discord.ui.TextInput[SourceModal] = discord.ui.TextInput(
        label="Id (lowercase-with-hyphens)", max_length=ID_MAX_CHARS
    )
    source_title: discord.ui.TextInput[SourceModal] = discord.ui.TextInput(
        label="Title", max_length=300
    )
    publisher: discord.ui.TextInput[SourceModal] = discord.ui.TextInput(
        label="Publisher", max_length=200
    )
    date: discord.ui.TextInput[SourceModal] = discord.ui.TextInput(
        label="Date (YYYY-MM-DD)", max_length=10, min_length=10
    )
    url: discord.ui.TextInput[SourceModal] = discord.ui.TextInput(
        label="Link (https://...)", max_length=500
    )

    def __init__(self, submit: Submit) -> None:
        super().__init__(timeout=_TIMEOUT)
        self._submit = submit

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the fields to the command that opened the modal."""
        await self._submit(
            interaction,
            {
                "id": self.source_id.value.strip(),
                "title": self.source_title.value.strip(),
                "publisher": self.publisher.value.strip(),
                "date": self.date.value.strip(),
                "url": self.url.value.strip(),
            },
        )


class ConfirmView(discord.ui.View):
    """Confirm / Cancel for a destructive or bulk change, usable only by who asked."""

    def __init__(
        self,
        owner_id: int,
        action: Callable[[discord.Interaction[Any]], Awaitable[None]],
        label: str = "Confirm",
    ) -> None:
        super().__init__(timeout=_TIMEOUT)
        self._owner_id = owner_id
        self._action = action
        self.confirm.label = label

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the moderator who asked may confirm."""
        return interaction.user.id == self._owner_id

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmView]
    ) -> None:
        """Carry out the action once."""
        self.stop()
        await self._action(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmView]
    ) -> None:
        """Drop the action."""
        self.stop()
        await interaction.response.edit_message(content="Cancelled; nothing changed.", view=None)


class Pager(discord.ui.View):
    """Previous / Next over pages of lines, in one embed."""

    def __init__(self, title: str, lines: Sequence[str], per_page: int = 12) -> None:
        super().__init__(timeout=_TIMEOUT)
        self.title = title
        self.pages = [
            list(lines[i : i + per_page]) for i in range(0, max(len(lines), 1), per_page)
        ] or [[]]
        self.page = 0
        self._update_buttons()

    def embed(self) -> discord.Embed:
        """Render the current page."""
        body = "\n".join(self.pages[self.page]) or "Nothing to show."
        embed = discord.Embed(title=self.title, description=body[:4000])
        embed.set_footer(text=f"Page {self.page + 1} of {len(self.pages)}")
        return embed

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= len(self.pages) - 1

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = max(0, min(len(self.pages) - 1, self.page + step))
        self._update_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]
    ) -> None:
        """Show the previous page."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]
    ) -> None:
        """Show the next page."""
        await self._turn(interaction, 1)
