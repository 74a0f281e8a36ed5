"""What a moderator's edit is: who makes it, what it did, and the checks of a request.

Pure: the files are read, changed and written by bot.storage.editor.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.diff import Diff
from bot.core.loader import SOURCES_FILE, Problem
from bot.core.translations import KNOWLEDGE_FILE

__all__ = [
    "DEFAULT_FILE",
    "DIFF_TEXT_LIMIT",
    "DISK",
    "Actor",
    "Change",
    "EditError",
    "ImportPreview",
    "Reload",
    "check_name",
    "diff_text",
    "required_id",
    "shorten",
    "theme_file",
]

DEFAULT_FILE = "community.yaml"
DIFF_TEXT_LIMIT = 1500
_PLAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.yaml$")


@dataclass(frozen=True, slots=True)
class Actor:
    """The moderator making a change, as the audit log names them."""

    id: int
    name: str


# Whoever edits the files outside the bot, as the audit log names them (id 0: no member).
DISK = Actor(0, "disk")
# Problems a reload's audit summary lists (the mod-log and the reply list them all).
_SUMMARY_PROBLEMS = 3


@dataclass(frozen=True, slots=True)
class Reload:
    """The knowledge folder read again: what it changed, or why it was refused, and by whom."""

    actor: Actor
    diff: Diff = field(default_factory=Diff)
    problems: tuple[Problem, ...] = ()
    change_id: int | None = None  # its audit number; None when there was nothing to record

    @property
    def ok(self) -> bool:
        """Whether the files validated and are being served."""
        return not self.problems

    def summary(self) -> str:
        """One line for the audit log: the entries changed, or the first problems."""
        source = "from disk" if self.actor == DISK else "by /kb reload"
        if self.ok:
            return f"reloaded {source}: {self.diff.summary()}"
        count = len(self.problems)
        shown = "; ".join(str(problem) for problem in self.problems[:_SUMMARY_PROBLEMS])
        more = f"; and {count - _SUMMARY_PROBLEMS} more" if count > _SUMMARY_PROBLEMS else ""
        return (
            f"reload {source} failed, still serving the previous version: "
            f"{count} problem{'s' if count > 1 else ''}: {shown}{more}"
        )


@dataclass(frozen=True, slots=True)
class Change:
    """A saved change: its audit number (for undo), what it did, and a diff for the mod-log."""

    id: int
    command: str
    entry_id: str | None
    summary: str
    diff: Diff
    diff_text: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What importing a file would do; nothing is written until `apply_import`."""

    name: str
    text: str
    before: str | None
    diff: Diff
    problems: tuple[Problem, ...]
    diff_text: str
    # Fingerprint of every knowledge file at preview time: applying refuses if it changed.
    base: str = field(repr=False)

    @property
    def ok(self) -> bool:
        """Whether the import would validate."""
        return not self.problems


class EditError(Exception):
    """A request that cannot be carried out; the message says why and what to do instead."""


def required_id(fields: Mapping[str, Any], what: str) -> str:
    """Return the new item's id, or say how to give one."""
    value = fields.get("id")
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"Give the new {what} an `id`: lowercase words joined by hyphens.")
    return value.strip()


def check_name(name: str) -> None:
    """Refuse a file name that is not a plain `name.yaml` in the knowledge folder."""
    if not _PLAIN_NAME.match(name):
        raise EditError(
            f"`{name}` is not a plain knowledge file name. Use lowercase letters, digits and "
            "hyphens ending in `.yaml`, for example `community.yaml`."
        )


def theme_file(tags: Any, files: Mapping[str, str]) -> str:
    """Pick the theme file named by the first tag, if there is one; else the community file."""
    if isinstance(tags, list | tuple) and tags and isinstance(tags[0], str):
        name = f"{tags[0].strip()}.yaml"
        if name in files and name not in {SOURCES_FILE, KNOWLEDGE_FILE}:
            return name
    return DEFAULT_FILE


def shorten(text: str, limit: int = 80) -> str:
    """Cut a text for a one-line summary."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_text(
    before: Mapping[str, str | None], after: Mapping[str, str | None], limit: int = DIFF_TEXT_LIMIT
) -> str:
    """Diff the changed files (unified), cut to about `limit` characters for the mod-log."""
    lines: list[str] = []
    for name, new in after.items():
        old = before.get(name)
        lines += difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}" if new is not None else "/dev/null",
            n=1,
        )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 40) + 1 or limit - 40
    return f"{text[:cut]}… ({len(text) - cut} more characters)\n"
