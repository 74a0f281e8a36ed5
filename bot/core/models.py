"""The knowledge base's data model: immutable, validated once at load time."""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

__all__ = [
    "ANSWER_MAX_CHARS",
    "MIN_ASKS",
    "Entry",
    "KnowledgeBase",
    "Source",
    "SourceRef",
    "paused_gc",
]

ANSWER_MAX_CHARS = 900
MIN_ASKS = 4
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SLUG_PATTERN, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrasing = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
_HOST = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not _HOST.match(parts.hostname or ""):
        raise ValueError("not a web address")
    return url


Url = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_url)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """A citable article or document."""

    id: Slug
    title: Text
    publisher: Text
    date: dt.date
    url: Url
    author: Text | None = None
    note: Text | None = None


class SourceRef(_Frozen):
    """An entry's citation of a source, optionally with the short quote it relies on."""

    id: Slug
    quote: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class Entry(_Frozen):
    """One curated question with its sourced answer."""

    id: Slug
    question: Phrasing
    asks: tuple[Phrasing, ...] = Field(min_length=MIN_ASKS)
    answer: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_MAX_CHARS)
    ]
    sources: tuple[SourceRef, ...] = Field(min_length=1)
    as_of: dt.date
    reviewed: dt.date
    tags: tuple[Slug, ...] = ()
    see_also: tuple[Slug, ...] = ()

    @field_validator("sources", mode="before")
    @classmethod
    def _plain_ids(cls, value: Any) -> Any:
        """Let moderators write a bare source id where they have no quote to add."""
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then every other phrasing."""
        return (self.question, *self.asks)


@dataclass(frozen=True)
class KnowledgeBase:
    """A complete, validated knowledge base; replaced whole, never mutated."""

    entries: Mapping[str, Entry]
    sources: Mapping[str, Source]
    # Which file (relative to the knowledge directory) holds each entry, for editing in place.
    files: Mapping[str, str] = field(default_factory=dict)
    # Each entry's phrasings as the loader normalised them to check for repeats, handed to the
    # index once (`take_normalized`) so a large base is not normalised twice. Not data: not
    # compared, not pickled, and an index built without it normalises the phrasings itself.
    normalized: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def __reduce__(self) -> tuple[type[KnowledgeBase], tuple[dict[str, Any], ...]]:
        """Pickle the data only (mapping proxies cannot be pickled), for the engine cache."""
        return (type(self), (dict(self.entries), dict(self.sources), dict(self.files)))

    def take_normalized(self) -> dict[str, tuple[str, ...]]:
        """Return the loader's normalised phrasings and forget them (used once, by the index)."""
        taken = dict(self.normalized)
        self.normalized.clear()
        return taken

    @property
    def phrasing_count(self) -> int:
        """How many phrasings (questions and asks) the matcher indexes."""
        return sum(len(entry.phrasings) for entry in self.entries.values())

    def tags(self) -> dict[str, list[Entry]]:
        """Entries grouped by tag, tags sorted, for browsing."""
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries.values():
            for tag in entry.tags or ("other",):
                grouped.setdefault(tag, []).append(entry)
        return dict(sorted(grouped.items()))

    def summary(self) -> str:
        """One line for logs and `validate`."""
        return (
            f"{len(self.entries)} entries, {self.phrasing_count} phrasings, "
            f"{len(self.sources)} sources"
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a knowledge base or its index.

    Both create millions of long-lived objects and no cycles; the collector would rescan them
    again and again (about half of the load time of a large base).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
