"""Answer one question: cooldowns, decide, the reply language, compose, silence, recording.

Every front end (the Answers cog, `/kb test`, `python -m bot ask|chat`) comes here, so the
rules about when the bot speaks, in which language, and what it keeps are written once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.cooldown import Cooldown
from bot.core.decide import Decision, Engine, Kind, Mode
from bot.core.language import choose_language
from bot.core.replies import ENGLISH, Catalog, Organization, Reply, answer_for, compose

__all__ = ["PICK", "Recorder", "Responder", "Response"]

log = logging.getLogger(__name__)

PICK = "pick"
"""The mode recorded when a member picks a "did you mean" choice."""


class Recorder(Protocol):
    """Where decisions are counted: the database (for `/kb stats`) and the metrics."""

    async def record_event(self, kind: str, mode: str, entry_id: str | None) -> None:
        """Count one event, such as a "did you mean" pick; never any text."""

    async def record_decision(
        self, decision: Decision, mode: Mode, text: str, *, user_id: int | None
    ) -> bool:
        """Count a decision; keep its scrubbed text only where `bot.core.keep` allows it."""


@dataclass(frozen=True)
class Response:
    """What to do with a question: a reply to post, or why not.

    `reply` is None when the member asked again too soon (nothing was decided or recorded);
    `repeated` means the same answer was just posted in that channel. `catalog` is the
    language chosen for the member, for whatever the front end says besides the reply.
    """

    reply: Reply | None
    repeated: bool = False
    catalog: Catalog = ENGLISH

    @property
    def silent(self) -> bool:
        """Whether nothing should be posted."""
        return self.reply is None or self.repeated or not self.reply.text()


class Responder:
    """Turns a question into a reply, the same way for every front end."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        organization: Organization,
        recorders: Sequence[Recorder] = (),
        *,
        per_member: Cooldown | None = None,
        per_answer: Cooldown | None = None,
        offload: Callable[[Engine, str, Mode], Awaitable[Decision]] | None = None,
        catalogs: Mapping[str, Catalog] | None = None,
    ) -> None:
        """Build the responder; `offload` decides off the event loop with the semantic stage.

        `catalogs` hold each reply language's messages (bot.i18n), English alone by default.
        """
        self._engine = engine
        self._offload = offload
        self._catalogs = dict(catalogs or {"en": ENGLISH})
        self.organization = organization
        self._recorders = tuple(recorders)
        self._per_member = per_member or Cooldown(0)
        self._per_answer = per_answer or Cooldown(0)

    async def decide(self, text: str, mode: Mode) -> Decision:
        """Decide without composing or recording: a dry run, as `/kb test` shows it."""
        return await self._decide(self._engine(), text, mode)

    async def _decide(self, engine: Engine, text: str, mode: Mode) -> Decision:
        if engine.semantic is not None and self._offload is not None:
            return await self._offload(engine, text, mode)
        return engine.decide(text, mode)

    def catalog(
        self,
        text: str = "",
        *,
        interaction_locale: str | None = None,
        guild_locale: str | None = None,
    ) -> Catalog:
        """Return the messages to reply in: the text's language when clear, else the locales'.

        Locales are Discord's codes (`str(interaction.locale)`); a language without a
        catalogue is answered in English.
        """
        language = choose_language(
            text, interaction_locale=interaction_locale, guild_locale=guild_locale
        )
        return self._catalogs.get(language, ENGLISH)

    async def respond(
        self,
        text: str,
        mode: Mode,
        *,
        member: int | None = None,
        channel: Hashable | None = None,
        author: int | None = None,
        interaction_locale: str | None = None,
        guild_locale: str | None = None,
    ) -> Response:
        """Decide, compose and record the reply to `text` asked by `member` in `channel`.

        `author` wrote the text when it is not `member` (a helper's `!ask` on someone's
        message). Overheard questions with no answer get an empty reply (the bot stays
        silent); what may be kept of the text is decided by `bot.core.keep`, in the recorders.
        The reply is in the text's language, or the member's or the server's (`catalog`).
        """
        catalog = self.catalog(
            text, interaction_locale=interaction_locale, guild_locale=guild_locale
        )
        if member is not None and not self._per_member.hit(member):
            log.debug("member cooldown: question not answered")
            return Response(None, catalog=catalog)
        engine = self._engine()
        decision = await self._decide(engine, text, mode)
        log.info(
            "decision mode=%s kind=%s entry=%s score=%.1f",
            mode,
            decision.kind,
            decision.entry_id,
            decision.score,
        )
        writer = author if author is not None else member
        for recorder in self._recorders:
            await recorder.record_decision(decision, mode, text, user_id=writer)
        if decision.kind is Kind.NONE and mode is Mode.LISTEN:
            return Response(
                Reply(Kind.NONE, "", score=decision.score, catalog=catalog), False, catalog
            )
        reply = compose(decision, engine.knowledge, self.organization, catalog)
        if (
            channel is not None
            and reply.kind is Kind.ANSWER
            and reply.entry_id
            and not self._per_answer.hit((channel, reply.entry_id))
        ):
            log.info("channel cooldown: entry %s recently answered here", reply.entry_id)
            return Response(reply, repeated=True, catalog=catalog)
        return Response(reply, catalog=catalog)

    async def pick(
        self,
        entry_id: str,
        language: str | None = None,
        *,
        interaction_locale: str | None = None,
        guild_locale: str | None = None,
    ) -> Reply | None:
        """Return the answer a member chose from "did you mean"; None if the entry is gone.

        In `language`, the one the choices were shown in; without it, the locales'.
        """
        catalog = (
            self._catalogs.get(language, ENGLISH)
            if language
            else self.catalog(interaction_locale=interaction_locale, guild_locale=guild_locale)
        )
        knowledge = self._engine().knowledge
        entry = knowledge.entries.get(entry_id)
        if entry is None:
            return None
        for recorder in self._recorders:
            await recorder.record_event(Kind.ANSWER.value, PICK, entry_id)
        log.info("picked entry=%s", entry_id)
        return Reply(Kind.ANSWER, "", answer=answer_for(entry, knowledge, catalog), catalog=catalog)
