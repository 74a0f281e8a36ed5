"""The /kb forms' text boxes, sized to what the knowledge base accepts, and kind refusals.

Discord enforces a box's `max_length` in its own client, but a box can hold several values
(one phrasing or source per line) whose own limits it cannot see, and a modified client can
send anything; so each submitted form is checked here before it becomes a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.models import (
    ANSWER_MAX_CHARS,
    ID_MAX_CHARS,
    PHRASING_MAX_CHARS,
    QUOTE_MAX_CHARS,
    Entry,
)

__all__ = [
    "ANSWER",
    "ASKS",
    "DISCORD_TEXT_INPUT_MAX",
    "QUESTION",
    "SOURCES",
    "TAGS",
    "Box",
    "entry_defaults",
    "form_refusal",
    "too_big_to_edit",
]

# Discord's cap on a text input's max_length (and so on what one box can hold).
DISCORD_TEXT_INPUT_MAX = 4000
_TAGS_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Box:
    """One text box of the entry form: what moderators call it and how much it holds."""

    name: str
    max_length: int


QUESTION = Box("question", PHRASING_MAX_CHARS)
ASKS = Box("other phrasings", DISCORD_TEXT_INPUT_MAX)
ANSWER = Box("answer", ANSWER_MAX_CHARS)
SOURCES = Box("sources", DISCORD_TEXT_INPUT_MAX)
TAGS = Box("tags", _TAGS_MAX_CHARS)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _over(what: str, length: int, limit: int) -> str:
    return (
        f"Not saved: the {what} is {length:,} characters; the limit is {limit:,}. "
        "Shorten it and submit the form again."
    )


def _line_refusals(asks: str, sources: str, tags: str) -> Iterable[str]:
    """Limits of the values a multi-line box holds, which Discord's box cannot check."""
    for number, line in enumerate(_lines(asks), start=1):
        if len(line) > PHRASING_MAX_CHARS:
            yield _over(f"phrasing on line {number}", len(line), PHRASING_MAX_CHARS)
    for number, line in enumerate(_lines(sources), start=1):
        source_id, _, quote = (part.strip() for part in line.partition("|"))
        if len(source_id) > ID_MAX_CHARS:
            yield _over(f"source id on line {number}", len(source_id), ID_MAX_CHARS)
        if len(quote) > QUOTE_MAX_CHARS:
            yield _over(f"quote on line {number} of the sources", len(quote), QUOTE_MAX_CHARS)
    for tag in (t.strip() for t in tags.replace("\n", ",").split(",")):
        if len(tag) > ID_MAX_CHARS:
            yield _over(f"tag “{tag[:20]}…”", len(tag), ID_MAX_CHARS)


def form_refusal(question: str, asks: str, answer: str, sources: str, tags: str) -> str | None:
    """Say kindly which field of a submitted entry form is over its limit; None if none is."""
    for box, value in ((QUESTION, question), (ASKS, asks), (ANSWER, answer), (SOURCES, sources)):
        if len(value.strip()) > box.max_length:
            return _over(box.name, len(value.strip()), box.max_length)
    if len(tags) > TAGS.max_length:
        return _over(TAGS.name, len(tags), TAGS.max_length)
    return next(iter(_line_refusals(asks, sources, tags)), None)


def entry_defaults(entry: Entry) -> dict[Box, str]:
    """Fill the form's boxes with an entry, as the edit form shows them."""
    return {
        QUESTION: entry.question,
        ASKS: "\n".join(entry.asks),
        ANSWER: entry.answer,
        SOURCES: "\n".join(
            f"{ref.id} | {ref.quote}" if ref.quote else ref.id for ref in entry.sources
        ),
        TAGS: ", ".join(entry.tags),
    }


def too_big_to_edit(entry: Entry) -> str | None:
    """Why an entry cannot be shown in the form (a box would overflow), or None.

    Discord refuses a whole form whose pre-filled text is longer than a box holds.
    """
    for box, value in entry_defaults(entry).items():
        if len(value) > box.max_length:
            return (
                f"`{entry.id}` is too big to edit in a form: its {box.name} need "
                f"{len(value):,} characters and that box holds {box.max_length:,}. "
                "Fix: export it with `/kb export`, edit the file, and `/kb import` it."
            )
    return None
