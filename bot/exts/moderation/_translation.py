"""The /kb forms in the knowledge base's other language (Spanish), and adding in two steps.

A Discord form holds five boxes and a form's submit cannot open another form, so a new entry
on a bilingual base takes two: the English form's submit checks the English and answers with
a button that opens the translation form; the entry is saved, as one change, only then.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.client import FamilyTies
from bot.core.editor import Actor, Change, EditError
from bot.core.loader import KnowledgeError
from bot.core.models import Translation
from bot.core.translations import LANGUAGE_NAMES
from bot.exts.moderation._drafts import DRAFT_MINUTES, Draft, Drafts
from bot.exts.moderation._fields import (
    TRANSLATED_ANSWER,
    TRANSLATED_ASKS,
    TRANSLATED_QUESTION,
    problems_text,
    translation_defaults,
    translation_fields,
    translation_refusal,
)

__all__ = ["AddFlow", "TranslationModal"]

log = logging.getLogger(__name__)

DRAFT_SECONDS = DRAFT_MINUTES * 60.0

Submit = Callable[[discord.Interaction[Any], dict[str, Any]], Awaitable[None]]
# Runs one change and replies with its outcome; returns the change, or None if not saved.
Apply = Callable[
    [discord.Interaction[Any], Callable[[], Awaitable[Change]]], Awaitable[Change | None]
]


def _name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


class TranslationModal(discord.ui.Modal):
    """An entry in another language: question, answer, other phrasings."""

    def __init__(
        self,
        title: str,
        language: str,
        submit: Submit,
        filled: Translation | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(title=title[:45], timeout=DRAFT_SECONDS)
        self._submit = submit
        name = _name(language)
        boxes = translation_defaults(filled)
        self.question: discord.ui.TextInput[TranslationModal] = discord.ui.TextInput(
            label=f"{name} question (ends with ?)",
            max_length=TRANSLATED_QUESTION.max_length,
            default=boxes.get(TRANSLATED_QUESTION),
        )
        self.answer: discord.ui.TextInput[TranslationModal] = discord.ui.TextInput(
            label=f"{name} answer (at most {TRANSLATED_ANSWER.max_length} characters)",
            style=discord.TextStyle.long,
            max_length=TRANSLATED_ANSWER.max_length,
            default=boxes.get(TRANSLATED_ANSWER),
        )
        self.asks: discord.ui.TextInput[TranslationModal] = discord.ui.TextInput(
            label=f"{name} phrasings (one per line, at least 4)",
            style=discord.TextStyle.long,
            max_length=TRANSLATED_ASKS.max_length,
            default=boxes.get(TRANSLATED_ASKS),
        )
        for item in (self.question, self.answer, self.asks):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Refuse a box over its limit, kindly; else hand the fields to the command."""
        values = (self.question.value, self.answer.value, self.asks.value)
        refusal = translation_refusal(*values)
        if refusal is not None:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await self._submit(interaction, translation_fields(*values))


class TranslationStep(discord.ui.View):
    """The button under the English form's reply that opens the translation form."""

    def __init__(self, flow: AddFlow, owner: int, draft: Draft, language: str) -> None:
        super().__init__(timeout=DRAFT_SECONDS)
        self.flow = flow
        self.owner = owner
        self.draft = draft
        self.language = language
        self.message: discord.WebhookMessage | None = None
        self.add.label = f"Add the {_name(language)} version"

    @property
    def entry_id(self) -> str:
        """The new entry's id."""
        return str(self.draft.english["id"])

    def expired_text(self) -> str:
        """Say the draft is gone and nothing was saved."""
        return (
            f"The draft of `{self.entry_id}` expired (drafts are kept {DRAFT_MINUTES} "
            f"minutes) before its {_name(self.language)} version was added, so nothing was "
            "saved. Run `/kb add` again."
        )

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the moderator who filled the English form may finish it."""
        if interaction.user.id == self.owner:
            return True
        await interaction.response.send_message(
            "Only the moderator who started this draft can finish it; `/kb add` starts your own.",
            ephemeral=True,
        )
        return False

    @discord.ui.button(label="Add the translation", style=discord.ButtonStyle.primary)
    async def add(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[TranslationStep]
    ) -> None:
        """Open the translation form, refilled with what was last tried."""
        draft = self.flow.drafts.get(self.owner, self.draft.token)
        if draft is None:
            self.stop()
            await interaction.response.edit_message(content=self.expired_text(), view=None)
            return
        title = f"{_name(self.language)}: {self.entry_id}"
        modal = TranslationModal(title, self.language, self._submitted, draft.translation)
        await interaction.response.send_modal(modal)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[TranslationStep]
    ) -> None:
        """Drop the draft."""
        self.stop()
        self.flow.drafts.finish(self.owner, self.draft.token)
        await interaction.response.edit_message(
            content=f"Cancelled; `{self.entry_id}` was not saved.", view=None
        )

    async def _submitted(
        self, interaction: discord.Interaction[Any], translation: dict[str, Any]
    ) -> None:
        """Save the entry with its translation, in one change; keep the draft if refused."""
        draft = self.flow.drafts.get(self.owner, self.draft.token)
        if draft is None:
            await interaction.response.send_message(self.expired_text(), ephemeral=True)
            return
        draft.translation = translation
        fields = {**draft.english, self.language: translation}
        actor = self.flow.actor(interaction)
        change = await self.flow.apply(
            interaction, lambda: self.flow.bot.editor.add_entry(actor, fields)
        )
        if change is None:
            return
        self.flow.drafts.finish(self.owner, draft.token)
        self.stop()
        await self._close(f"Saved `{self.entry_id}` in both languages (change #{change.id}).")

    async def on_timeout(self) -> None:
        """Say the draft expired, and take the buttons away."""
        self.flow.drafts.finish(self.owner, self.draft.token)
        await self._close(self.expired_text())

    async def _close(self, text: str) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(content=text, view=None)
        except discord.HTTPException:
            log.debug("kb add prompt could not be edited")


class AddFlow:
    """The second step of `/kb add`: drafts waiting for their translation."""

    def __init__(
        self,
        bot: FamilyTies,
        apply: Apply,
        actor: Callable[[discord.Interaction[Any]], Actor],
        drafts: Drafts | None = None,
    ) -> None:
        self.bot = bot
        self.apply = apply
        self.actor = actor
        self.drafts = drafts or Drafts()

    async def english_submitted(
        self, interaction: discord.Interaction[Any], fields: dict[str, Any], language: str
    ) -> None:
        """Check the English now; keep it as a draft and offer the translation form."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await self.bot.editor.check_entry(fields)
        except KnowledgeError as error:
            await interaction.followup.send(
                "Not saved; nothing was changed. Fix these in the English form and run "
                "`/kb add` again:\n" + problems_text(error.problems),
                ephemeral=True,
            )
            return
        except EditError as error:
            await interaction.followup.send(f"Not saved: {error}", ephemeral=True)
            return
        draft = self.drafts.start(interaction.user.id, fields)
        view = TranslationStep(self, interaction.user.id, draft, language)
        name = _name(language)
        view.message = await interaction.followup.send(
            f"The English of `{draft.english['id']}` is ready. Now add the {name} version: "
            f"the entry is saved when both are in (the draft is kept {DRAFT_MINUTES} minutes).",
            view=view,
            ephemeral=True,
            wait=True,
        )
