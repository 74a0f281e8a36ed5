"""`/kb`: moderators keep the knowledge base current from Discord, safely."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands, tasks
from rapidfuzz import process

from bot.client import FamilyTies
from bot.core.decide import Mode
from bot.core.editor import Actor, Change, EditError, ImportPreview, Reload
from bot.core.insights import group_questions, stale_entries
from bot.core.loader import KnowledgeError, decode_knowledge
from bot.core.models import Entry
from bot.core.replies import answer_for
from bot.core.translations import LANGUAGE_NAMES, translation_gaps
from bot.exts.moderation._export import export_attachments
from bot.exts.moderation._fields import problems_text, too_big_to_edit
from bot.exts.moderation._modlog import ModLog, change_message, fallback_message, reload_message
from bot.exts.moderation._translation import AddFlow, TranslationModal
from bot.exts.moderation._views import ConfirmView, EntryModal, Pager, SourceModal
from bot.storage.snapshot import Fallback
from bot.ui.render import answer_embed

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 1900
_REFUSAL = "Only moderators can use `/kb` (Manage Server, or a moderator role)."


def _slug(text: str, taken: set[str]) -> str:
    """Make a readable, unique entry id from a question."""
    words = re.sub(r"[^a-z0-9]+", " ", text.casefold()).split()
    base = "-".join(words)[:48].strip("-") or "entry"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


class KnowledgeAdmin(commands.Cog):
    """Moderator commands for the knowledge base; every reply is private."""

    kb = app_commands.Group(
        name="kb",
        description="Moderators: keep the knowledge base current",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )
    sources_group = app_commands.Group(name="sources", description="Sources", parent=kb)

    def __init__(self, bot: FamilyTies) -> None:
        self.bot = bot
        self.mod_log = ModLog(bot, bot.settings.mod_log_channel)
        self.add_flow = AddFlow(bot, self._apply, self.actor)
        self.purge.start()

    async def cog_unload(self) -> None:
        """Stop the retention task."""
        self.purge.cancel()

    @tasks.loop(hours=24)
    async def purge(self) -> None:
        """Delete unanswered questions and feedback past the retention period, daily."""
        removed = await self.bot.db.purge(self.bot.settings.retention_days)
        log.info("retention: removed %d old rows", removed)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Check moderator rights on every call, not only Discord's default permissions."""
        if self.is_moderator(interaction.user):
            return True
        raise app_commands.CheckFailure(_REFUSAL)

    def is_moderator(self, user: discord.abc.User) -> bool:
        """Manage Server, or one of the configured moderator roles (by id or name)."""
        if not isinstance(user, discord.Member):
            return False
        if user.guild_permissions.manage_guild:
            return True
        wanted = self.bot.settings.moderator_roles
        return any(role.id in wanted or role.name in wanted for role in user.roles)

    def may_autocomplete(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether to offer choices: discord.py runs autocompletes without `interaction_check`.

        Every autocomplete of this cog starts with this check.
        """
        return self.is_moderator(interaction.user)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def actor(interaction: discord.Interaction[Any]) -> Actor:
        """Who is changing the knowledge base, for the audit log."""
        return Actor(interaction.user.id, interaction.user.display_name)

    async def _apply(
        self,
        interaction: discord.Interaction[Any],
        work: Callable[[], Awaitable[Change]],
    ) -> Change | None:
        """Run one change; reply with its result or with errors moderators can act on."""
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            change = await work()
        except KnowledgeError as error:
            await interaction.followup.send(
                "Not saved; the knowledge base is unchanged. Fix these and try again:\n"
                + problems_text(error.problems),
                ephemeral=True,
            )
            return None
        except EditError as error:
            await interaction.followup.send(f"Not saved: {error}", ephemeral=True)
            return None
        except PermissionError:
            log.exception("knowledge folder %s is not writable", self.bot.store.directory)
            await interaction.followup.send(
                "Not saved: the bot can't write its knowledge folder (it is read-only here). "
                "An operator must point it at a writable copy: see the README, "
                "\u201cContainer image\u201d.",
                ephemeral=True,
            )
            return None
        log.info("kb change #%d %s entry=%s", change.id, change.command, change.entry_id)
        await interaction.followup.send(
            f"Saved as change #{change.id}: {change.summary}\n(`/kb undo {change.id}` reverts it.)",
            ephemeral=True,
        )
        await self._mod_log(interaction, change)
        return change

    async def _mod_log(self, interaction: discord.Interaction[Any], change: Change) -> None:
        await self.mod_log.send(
            change_message(interaction.user.display_name, change), interaction.guild
        )

    @commands.Cog.listener()
    async def on_knowledge_reload(self, outcome: Reload) -> None:
        """Announce a recorded reload (from disk, or `/kb reload`) in every mod-log."""
        await self.mod_log.send(reload_message(outcome))

    @commands.Cog.listener()
    async def on_knowledge_fallback(self, fallback: Fallback) -> None:
        """Say in every mod-log, once after start-up, that the last-good snapshot is served."""
        await self.mod_log.send(
            fallback_message(fallback.error.problems, fallback.snapshot.saved_at)
        )

    async def _entry(self, interaction: discord.Interaction[Any], entry_id: str) -> Entry | None:
        """Find an entry, or tell the moderator it does not exist."""
        entry = self.bot.store.knowledge.entries.get(entry_id)
        if entry is None:
            await interaction.response.send_message(
                f"There is no entry `{entry_id}`. Pick one from the list as you type.",
                ephemeral=True,
            )
        return entry

    async def entry_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Entry ids, fuzzy-matched on id and question; nothing for non-moderators."""
        if not self.may_autocomplete(interaction):
            return []
        entries = self.bot.store.knowledge.entries
        if not current.strip():
            ids = list(entries)[:25]
        else:
            labels = {
                entry_id: f"{entry_id} {entry.question}" for entry_id, entry in entries.items()
            }
            ids = [key for _, _, key in process.extract(current, labels, limit=25)]
        return [
            app_commands.Choice(name=f"{i} — {entries[i].question}"[:100], value=i) for i in ids
        ]

    # ------------------------------------------------------------------ commands

    @kb.command(name="reload", description="Re-read knowledge/ from disk and swap it in if valid")
    async def reload_command(self, interaction: discord.Interaction[Any]) -> None:
        """Reload from disk; on any error keep serving the old knowledge base."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.bot.editor.reload(self.actor(interaction))
        self.bot.reloaded(outcome)
        if not outcome.ok:
            await interaction.followup.send(
                "Reload failed; still serving the previous version.\n"
                + problems_text(outcome.problems),
                ephemeral=True,
            )
            return
        await interaction.followup.send(
            f"Reloaded: {self.bot.store.knowledge.summary()}. "
            f"{outcome.diff.summary().capitalize()}. (Change #{outcome.change_id}.)",
            ephemeral=True,
        )

    @kb.command(name="add", description="Add an entry (opens a form per language)")
    async def add_command(self, interaction: discord.Interaction[Any]) -> None:
        """Open the English form; a bilingual base then asks for the translation too."""

        async def submit(
            modal_interaction: discord.Interaction[Any], fields: dict[str, Any]
        ) -> None:
            fields["id"] = _slug(fields["question"], set(self.bot.store.knowledge.entries))
            others = self.bot.store.knowledge.languages[1:]
            if others:
                await self.add_flow.english_submitted(modal_interaction, fields, others[0])
                return
            await self._apply(
                modal_interaction,
                lambda: self.bot.editor.add_entry(self.actor(modal_interaction), fields),
            )

        await interaction.response.send_modal(EntryModal("New entry", submit))

    @kb.command(name="edit", description="Edit an entry (opens the form, pre-filled)")
    @app_commands.describe(entry="The entry to edit", language="Which language's text to edit")
    @app_commands.choices(
        language=[
            app_commands.Choice(name=locale_str("English"), value="en"),
            app_commands.Choice(name=locale_str("Spanish"), value="es"),
        ]
    )
    async def edit_command(
        self, interaction: discord.Interaction[Any], entry: str, language: str = "en"
    ) -> None:
        """Open the form pre-filled; saving marks that language as reviewed today."""
        current = await self._entry(interaction, entry)
        if current is None:
            return
        overflow = too_big_to_edit(current, language)
        if overflow is not None:
            await interaction.response.send_message(overflow, ephemeral=True)
            return

        async def submit(
            modal_interaction: discord.Interaction[Any], fields: dict[str, Any]
        ) -> None:
            await self._apply(
                modal_interaction,
                lambda: self.bot.editor.edit_entry(
                    self.actor(modal_interaction), entry, fields, language
                ),
            )

        if language == "en":
            modal: discord.ui.Modal = EntryModal(f"Edit {entry}"[:45], submit, current)
        else:
            title = f"Edit {entry} ({LANGUAGE_NAMES[language]})"
            modal = TranslationModal(title, language, submit, current.translation(language))
        await interaction.response.send_modal(modal)

    @kb.command(name="alias", description="Add another phrasing to an entry")
    @app_commands.describe(entry="The entry", phrasing="How people ask it")
    async def alias_command(
        self,
        interaction: discord.Interaction[Any],
        entry: str,
        phrasing: app_commands.Range[str, 2, 300],
    ) -> None:
        """Teach the bot a new way of asking."""
        await self._apply(
            interaction, lambda: self.bot.editor.add_alias(self.actor(interaction), entry, phrasing)
        )

    @kb.command(name="remove", description="Remove an entry (asks to confirm)")
    @app_commands.describe(entry="The entry to remove")
    async def remove_command(self, interaction: discord.Interaction[Any], entry: str) -> None:
        """Ask for confirmation, then remove."""
        if await self._entry(interaction, entry) is None:
            return

        async def confirmed(button_interaction: discord.Interaction[Any]) -> None:
            await button_interaction.response.edit_message(
                content=f"Removing `{entry}`…", view=None
            )
            await self._apply(
                button_interaction,
                lambda: self.bot.editor.remove_entry(self.actor(button_interaction), entry),
            )

        await interaction.response.send_message(
            f"Remove `{entry}`? Links to it from other entries are removed too; "
            "`/kb undo` can bring it back.",
            view=ConfirmView(interaction.user.id, confirmed, "Remove"),
            ephemeral=True,
        )

    @kb.command(name="show", description="Show an entry with its details")
    @app_commands.describe(entry="The entry")
    async def show_command(self, interaction: discord.Interaction[Any], entry: str) -> None:
        """Show the answer card plus what moderators need to review it."""
        current = await self._entry(interaction, entry)
        if current is None:
            return
        knowledge = self.bot.store.knowledge
        card = answer_embed(answer_for(current, knowledge))
        details = discord.Embed(title=f"`{entry}`")
        details.add_field(name="File", value=knowledge.files.get(entry, "?"))
        details.add_field(name="As of", value=current.as_of.isoformat())
        details.add_field(name="Reviewed", value=current.reviewed.isoformat())
        details.add_field(name="Tags", value=", ".join(current.tags) or "—")
        details.add_field(name="See also", value=", ".join(current.see_also) or "—")
        details.add_field(
            name=f"Phrasings ({len(current.asks)})",
            value="\n".join(f"• {ask}" for ask in current.asks)[:1024],
            inline=False,
        )
        await interaction.response.send_message(embeds=[card, details], ephemeral=True)

    @kb.command(name="list", description="List entries, optionally of one tag")
    @app_commands.describe(tag="Only this tag")
    async def list_command(
        self, interaction: discord.Interaction[Any], tag: str | None = None
    ) -> None:
        """Paginated list of entries."""
        entries = [
            entry
            for entry in self.bot.store.knowledge.entries.values()
            if tag is None or tag in entry.tags
        ]
        pager = Pager(
            f"Entries{f' tagged {tag}' if tag else ''} ({len(entries)})",
            [f"`{entry.id}` — {entry.question}" for entry in entries],
        )
        await interaction.response.send_message(embed=pager.embed(), view=pager, ephemeral=True)

    @sources_group.command(name="list", description="List the citable sources")
    async def sources_list_command(self, interaction: discord.Interaction[Any]) -> None:
        """Paginated list of sources."""
        sources = self.bot.store.knowledge.sources.values()
        pager = Pager(
            f"Sources ({len(sources)})",
            [f"`{s.id}` — {s.title} ({s.publisher}, {s.date.isoformat()})" for s in sources],
            per_page=8,
        )
        await interaction.response.send_message(embed=pager.embed(), view=pager, ephemeral=True)

    @sources_group.command(name="add", description="Add a source (opens a form)")
    async def sources_add_command(self, interaction: discord.Interaction[Any]) -> None:
        """Open the new-source form."""

        async def submit(
            modal_interaction: discord.Interaction[Any], fields: dict[str, Any]
        ) -> None:
            await self._apply(
                modal_interaction,
                lambda: self.bot.editor.add_source(self.actor(modal_interaction), fields),
            )

        await interaction.response.send_modal(SourceModal(submit))

    @kb.command(name="test", description="What would the bot do with this question?")
    @app_commands.describe(question="A question as a member would write it")
    async def test_command(
        self, interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 1000]
    ) -> None:
        """Show the decision in both modes and the top matches with scores."""
        responder = self.bot.responder
        asked = await responder.decide(question, Mode.ASK)
        overheard = await responder.decide(question, Mode.LISTEN)
        lines = [
            f"Asked directly: **{asked.kind}** {asked.entry_id or ''}".rstrip(),
            f"Overheard in a help channel: **{overheard.kind}** "
            f"{overheard.entry_id or ''}".rstrip(),
        ]
        if asked.signals:
            lines.append(f"Signals: {', '.join(asked.signals)}")
        lines.append("Top matches:")
        lines += [
            f"• `{m.entry_id}` {m.score:.1f} (covers {m.coverage:.0%}) — “{m.phrasing}”"
            for m in asked.matches[:5]
        ] or ["• none"]
        await interaction.response.send_message("\n".join(lines)[:_MESSAGE_LIMIT], ephemeral=True)

    @kb.command(name="import", description="Import a YAML file of entries (shows a preview first)")
    @app_commands.describe(file="A .yaml file in the knowledge base format")
    async def import_command(
        self, interaction: discord.Interaction[Any], file: discord.Attachment
    ) -> None:
        """Validate and preview; apply only after the confirm button."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file.size > 1_000_000:
            await interaction.followup.send(
                f"Not imported: `{file.filename}` is {file.size:,} bytes; the limit is 1 MB. "
                "Fix: split it into several files. Nothing was changed.",
                ephemeral=True,
            )
            return
        try:
            text = decode_knowledge(file.filename, await file.read())
            preview: ImportPreview = await self.bot.editor.preview_import(file.filename, text)
        except KnowledgeError as error:  # not UTF-8: the problem says where and how to fix it
            await interaction.followup.send(
                f"Not imported. Nothing was changed.\n{problems_text(error.problems)}",
                ephemeral=True,
            )
            return
        except EditError as error:
            await interaction.followup.send(f"Not imported: {error}", ephemeral=True)
            return
        if not preview.ok:
            await interaction.followup.send(
                f"Not imported: `{preview.name}` has problems. Nothing was changed.\n"
                + problems_text(preview.problems),
                ephemeral=True,
            )
            return

        async def confirmed(button_interaction: discord.Interaction[Any]) -> None:
            await button_interaction.response.edit_message(content="Importing…", view=None)
            await self._apply(
                button_interaction,
                lambda: self.bot.editor.apply_import(self.actor(button_interaction), preview),
            )

        await interaction.followup.send(
            f"Importing `{preview.name}` would change: {preview.diff.summary()}.\n"
            f"```diff\n{preview.diff_text[:1200]}\n```",
            view=ConfirmView(interaction.user.id, confirmed, "Import"),
            ephemeral=True,
        )

    @kb.command(name="export", description="Download the knowledge base as YAML files")
    async def export_command(self, interaction: discord.Interaction[Any]) -> None:
        """Attach every knowledge file, zipped when they don't fit on one message."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        files = await self.bot.editor.export()
        limit = interaction.filesize_limit
        attachments = export_attachments(files, limit)
        size = sum(map(len, attachments.values()))
        if size > limit:
            await interaction.followup.send(
                f"Not exported: the {len(files)} knowledge files take {size:,} bytes even "
                f"zipped, over Discord's upload limit here ({limit:,} bytes). Copy the "
                "knowledge folder from the server instead.",
                ephemeral=True,
            )
            return
        packed = "" if len(attachments) == len(files) else ", zipped"
        await interaction.followup.send(
            f"The knowledge base: {self.bot.store.knowledge.summary()}; "
            f"all {len(files)} files{packed}.",
            files=[discord.File(io.BytesIO(data), filename=n) for n, data in attachments.items()],
            ephemeral=True,
        )

    @kb.command(name="history", description="The latest changes: who, when, what")
    async def history_command(self, interaction: discord.Interaction[Any]) -> None:
        """Show the audit log, newest first."""
        records = await self.bot.db.audit(limit=50)
        pager = Pager(
            "Knowledge-base changes",
            [
                f"**#{r.id}** {r.at[:16].replace('T', ' ')} · {r.actor_name} · `{r.command}` · "
                f"{r.summary}"
                for r in records
            ],
            per_page=10,
        )
        await interaction.response.send_message(embed=pager.embed(), view=pager, ephemeral=True)

    @kb.command(name="undo", description="Revert one change exactly (see /kb history)")
    @app_commands.describe(change="The change number")
    async def undo_command(self, interaction: discord.Interaction[Any], change: int) -> None:
        """Restore the files as they were before that change."""
        await self._apply(
            interaction, lambda: self.bot.editor.undo(self.actor(interaction), change)
        )

    @kb.command(name="unanswered", description="What people asked that the bot couldn't answer")
    @app_commands.describe(days="How far back (default 30)")
    async def unanswered_command(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """Most frequent unanswered questions, near-duplicates grouped."""
        groups = group_questions(await self.bot.db.unanswered_questions(days))
        pager = Pager(
            f"Unanswered in the last {days} days",
            [f"**{g.count}×** {g.example}" for g in groups],
            per_page=15,
        )
        await interaction.response.send_message(embed=pager.embed(), view=pager, ephemeral=True)

    @kb.command(name="stats", description="Answers, suggestions, legal routes, feedback")
    @app_commands.describe(days="How far back (default 30)")
    async def stats_command(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """Count decisions by kind, and feedback per entry."""
        counts = await self.bot.db.event_counts(days)
        feedback = await self.bot.db.feedback_counts(days)
        embed = discord.Embed(title=f"The last {days} days")
        for kind in ("answer", "suggest", "legal", "none"):
            embed.add_field(name=kind, value=str(counts.get(kind, 0)))
        embed.add_field(
            name="Feedback (👍 / 👎)",
            value="\n".join(f"`{f.entry_id}` {f.helpful} / {f.not_helpful}" for f in feedback[:15])
            or "none yet",
            inline=False,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @kb.command(name="stale", description="Entries due for review, and translations behind")
    async def stale_command(self, interaction: discord.Interaction[Any]) -> None:
        """List entries due for a re-check, then translations missing or older than the English.

        `/kb edit` marks the language it saves as reviewed.
        """
        knowledge = self.bot.store.knowledge
        limit = self.bot.settings.stale_after_days
        stale = stale_entries(
            knowledge, older_than_days=limit, today=dt.datetime.now(dt.UTC).date()
        )
        gaps = translation_gaps(knowledge)
        lines = [f"`{e.id}` — reviewed {e.reviewed.isoformat()}" for e in stale]
        for gap in gaps:
            name = LANGUAGE_NAMES.get(gap.language, gap.language)
            entry = knowledge.entries[gap.entry_id]
            translation = entry.translation(gap.language)
            lines.append(
                f"`{gap.entry_id}` — no {name} version"
                if translation is None
                else f"`{gap.entry_id}` — {name} reviewed {translation.reviewed.isoformat()}, "
                f"English {entry.reviewed.isoformat()}"
            )
        pager = Pager(
            f"Not reviewed for {limit} days ({len(stale)}); translations behind ({len(gaps)})",
            lines,
        )
        await interaction.response.send_message(embed=pager.embed(), view=pager, ephemeral=True)


for _command in (
    KnowledgeAdmin.edit_command,
    KnowledgeAdmin.alias_command,
    KnowledgeAdmin.remove_command,
    KnowledgeAdmin.show_command,
):
    _command.autocomplete("entry")(KnowledgeAdmin.entry_autocomplete)
