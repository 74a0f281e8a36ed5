"""New entries waiting for their translation: one draft per moderator, in memory, expiring.

`/kb add` on a bilingual base takes two forms (Discord allows five boxes per form, and a form
cannot open another), so the English waits here until the other language is submitted.
Nothing is written before both are in; a restart or the timeout simply drops the draft.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DRAFT_MINUTES", "Draft", "Drafts"]

# Discord lets the bot edit its reply for 15 minutes: a draft expires just before, so the
# prompt can still say so.
DRAFT_MINUTES = 14


@dataclass(slots=True)
class Draft:
    """A new entry's English fields and the last translation tried (to refill the form)."""

    token: int
    english: dict[str, Any]
    expires: float
    translation: dict[str, Any] | None = field(default=None)


class Drafts:
    """Pending drafts by moderator id; a new `/kb add` replaces that moderator's old draft."""

    def __init__(
        self, minutes: float = DRAFT_MINUTES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.minutes = minutes
        self._clock = clock
        self._drafts: dict[int, Draft] = {}
        self._tokens = itertools.count(1)

    def start(self, moderator: int, english: dict[str, Any]) -> Draft:
        """Keep a new draft for `moderator`, dropping any earlier one of theirs."""
        self._drop_expired()
        draft = Draft(next(self._tokens), english, self._clock() + self.minutes * 60)
        self._drafts[moderator] = draft
        return draft

    def get(self, moderator: int, token: int) -> Draft | None:
        """Return the moderator's draft `token`, or None if it expired or was replaced."""
        self._drop_expired()
        draft = self._drafts.get(moderator)
        return draft if draft is not None and draft.token == token else None

    def finish(self, moderator: int, token: int) -> None:
        """Forget the draft once saved or cancelled."""
        if self.get(moderator, token) is not None:
            del self._drafts[moderator]

    def _drop_expired(self) -> None:
        now = self._clock()
        for moderator in [key for key, draft in self._drafts.items() if draft.expires <= now]:
            del self._drafts[moderator]
