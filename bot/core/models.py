"""The knowledge base's data model: immutable, validated once at load time.

Kept compact (slotted objects, packed texts, shared values) so a base of many thousand
entries stays small in memory; benchmarks/README.md has the figures.
"""

from __future__ import annotations

import datetime as dt
import marshal
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Annotated, Any, NoReturn, NotRequired
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    with_config,
)
from typing_extensions import TypedDict  # pydantic's own dependency; needed before 3.12

__all__ = [
    "ANSWER_MAX_CHARS",
    "ENTRY_FIELDS",
    "ID_MAX_CHARS",
    "MIN_ASKS",
    "PHRASING_MAX_CHARS",
    "QUESTION_MAX_CHARS",
    "QUOTE_MAX_CHARS",
    "SOURCE_FIELDS",
    "TRANSLATION_FIELDS",
    "TRANSLATION_LANGUAGES",
    "Entry",
    "EntryFields",
    "KnowledgeBase",
    "Source",
    "SourceRef",
    "Translation",
    "validate_entry",
    "validate_source",
]

ANSWER_MAX_CHARS = 900
PHRASING_MAX_CHARS = 300  # the question and each other phrasing
QUOTE_MAX_CHARS = 300
ID_MAX_CHARS = 64
QUESTION_MAX_CHARS = 150  # a translated question is an embed title and a button label's source
MIN_ASKS = 4
# Languages an entry may carry besides English, each as a block named by its code (`es:`).
TRANSLATION_LANGUAGES = ("es",)
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=SLUG_PATTERN, max_length=ID_MAX_CHARS)
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrasing = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=PHRASING_MAX_CHARS)
]
_HOST = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not _HOST.match(parts.hostname or ""):
        raise ValueError("not a web address")
    return url


Url = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_url)]


def _plain_ids(value: Any) -> Any:
    """Let moderators write a bare source id where they have no quote to add."""
    if isinstance(value, list):
        return [{"id": item} if isinstance(item, str) else item for item in value]
    return value


@dataclass(frozen=True, slots=True)
class Source:
    """A citable article or document."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    id: Slug
    title: Text
    publisher: Text
    date: dt.date
    url: Url
    author: Text | None = None
    note: Text | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    """An entry's citation of a source, optionally with the short quote it relies on."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    id: Slug
    quote: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=QUOTE_MAX_CHARS)] | None
    ) = None


def _ends_with_question_mark(question: str) -> str:
    if not question.endswith("?"):
        raise ValueError("must end with a question mark")
    return question


def _distinct(asks: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for ask in asks:
        if ask.casefold() in seen:
            raise ValueError(f"has “{ask}”")
        seen.add(ask.casefold())
    return asks


@dataclass(frozen=True, slots=True)
class Translation:
    """An entry in another language: its question, phrasings, answer and own review date.

    The entry's sources, dates of fact and links apply to every language; `reviewed` is the
    day someone last checked this text against the English, so a later English change shows.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")

    question: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=2, max_length=QUESTION_MAX_CHARS),
        AfterValidator(_ends_with_question_mark),
    ]
    asks: Annotated[tuple[Phrasing, ...], Field(min_length=MIN_ASKS), AfterValidator(_distinct)]
    answer: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_MAX_CHARS)
    ]
    reviewed: dt.date

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question first, then every other phrasing."""
        return (self.question, *self.asks)


@with_config(ConfigDict(extra="forbid"))
class EntryFields(TypedDict):
    """An entry's fields as written in the files, validated (what validate_entry checks)."""

    id: Slug
    question: Phrasing
    asks: Annotated[tuple[Phrasing, ...], Field(min_length=MIN_ASKS)]
    answer: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_MAX_CHARS)
    ]
    sources: Annotated[
        tuple[SourceRef, ...],
        Field(min_length=1),
        BeforeValidator(_plain_ids),
    ]
    as_of: dt.date
    reviewed: dt.date
    tags: NotRequired[tuple[Slug, ...]]
    see_also: NotRequired[tuple[Slug, ...]]
    es: NotRequired[Translation]


# Packed texts: raw deflate (no header, no checksum: a few bytes of every entry), level 6.
_DEFLATE_LEVEL, _DEFLATE_WINDOW = 6, -15
# A packed form's first byte: the texts joined by NUL, or (if a text holds a NUL) marshalled.
_JOINED, _MARSHALLED = b"j", b"m"


def _pack(asks: tuple[str, ...], answer: str) -> bytes:
    """Pack texts that are read rarely (answering, editing, explaining a match) into one object.

    Joined by NUL (texts have none, in practice) and compressed, they take less than half the
    memory of strings; the same texts always pack to the same bytes (entries compare by them).
    """
    joined = "\0".join((*asks, answer))
    if joined.count("\0") == len(asks):
        kind, data = _JOINED, joined.encode()
    else:  # marshal version 2 writes no back-references: equal texts, equal bytes
        kind, data = _MARSHALLED, marshal.dumps((asks, answer), 2)
    return kind + zlib.compress(data, _DEFLATE_LEVEL, _DEFLATE_WINDOW)


def _unpack(packed: bytes) -> tuple[tuple[str, ...], str]:
    """Return the texts `_pack` packed."""
    data = zlib.decompress(memoryview(packed)[1:], _DEFLATE_WINDOW)
    if packed[:1] == _MARSHALLED:
        texts: tuple[tuple[str, ...], str] = marshal.loads(data)  # noqa: S302 - packed by _pack
        return texts
    *asks, answer = data.decode().split("\0")
    return tuple(asks), answer


class Entry:
    """One curated question with its sourced answer: an entry's fields, validated and kept compact.

    The question stays a string (every suggestion and list shows it); the other phrasings and
    the answer are packed (`_pack`) and unpacked when asked for.
    """

    __slots__ = (
        "_texts",
        "as_of",
        "es",
        "id",
        "question",
        "reviewed",
        "see_also",
        "sources",
        "tags",
    )
    id: str
    question: str
    _texts: bytes
    sources: tuple[SourceRef, ...]
    as_of: dt.date
    reviewed: dt.date
    tags: tuple[str, ...]
    see_also: tuple[str, ...]
    es: Translation | None

    def __init__(
        self,
        id: str,
        question: str,
        asks: tuple[str, ...],
        answer: str,
        sources: tuple[SourceRef, ...],
        as_of: dt.date,
        reviewed: dt.date,
        tags: tuple[str, ...] = (),
        see_also: tuple[str, ...] = (),
        es: Translation | None = None,
    ) -> None:
        """Keep already validated fields (validate_entry validates data from the files)."""
        values = {
            "id": id,
            "question": question,
            "_texts": _pack(asks, answer),
            "sources": sources,
            "as_of": as_of,
            "reviewed": reviewed,
            "tags": tags,
            "see_also": see_also,
            "es": es,
        }
        self.__setstate__(tuple(values[name] for name in self.__slots__))

    def texts(self) -> tuple[tuple[str, ...], str]:
        """Return the other phrasings and the answer, unpacked at once (for reading both)."""
        return _unpack(self._texts)

    @property
    def asks(self) -> tuple[str, ...]:
        """The other phrasings people use for the question."""
        return self.texts()[0]

    @property
    def answer(self) -> str:
        """The answer, as moderators wrote it."""
        return self.texts()[1]

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then every other phrasing."""
        return (self.question, *self.asks)

    def translation(self, language: str) -> Translation | None:
        """Return the entry in `language` (a TRANSLATION_LANGUAGES code), or None."""
        return self.es if language == "es" else None

    def localized(self, language: str) -> tuple[str, str]:
        """Return the question and answer in `language` (English where not translated)."""
        translation = self.translation(language)
        if translation is None:
            return self.question, self.answer
        return translation.question, translation.answer

    def fields(self) -> EntryFields:
        """Return the entry's fields, as validate_entry validated them."""
        asks, answer = self.texts()
        fields = EntryFields(
            id=self.id,
            question=self.question,
            asks=asks,
            answer=answer,
            sources=self.sources,
            as_of=self.as_of,
            reviewed=self.reviewed,
            tags=self.tags,
            see_also=self.see_also,
        )
        if self.es is not None:
            fields["es"] = self.es
        return fields

    def replace(self, **changes: Any) -> Entry:
        """Return a copy with some fields changed."""
        return Entry(**{**self.fields(), **changes})

    def __getstate__(self) -> tuple[Any, ...]:
        """Return the slots' values in order (for pickling, copying and comparing entries)."""
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"Entry is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Entry is immutable: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((self.id, self.question, self._texts))

    def __repr__(self) -> str:
        return f"Entry({', '.join(f'{key}={value!r}' for key, value in self.fields().items())})"


# Field names in the order moderators write them.
ENTRY_FIELDS = tuple(EntryFields.__annotations__)
TRANSLATION_FIELDS = tuple(item.name for item in fields(Translation))
SOURCE_FIELDS = tuple(item.name for item in fields(Source))
_ENTRY = TypeAdapter(EntryFields)
_SOURCE = TypeAdapter(Source)


def validate_entry(data: Any, shared: dict[Any, Any] | None = None) -> EntryFields:
    """Validate one entry's data into its fields (pydantic's ValidationError on a problem).

    With `shared`, a table kept for a whole load, values equal to ones met before (the id and
    see_also ids, dates, citations and their list, the tag list) are replaced by those, so
    each is kept once.
    """
    fields: EntryFields = _ENTRY.validate_python(data)
    if shared is not None:
        keep = shared.setdefault
        fields["id"] = keep(fields["id"], fields["id"])
        fields["as_of"] = keep(fields["as_of"], fields["as_of"])
        fields["reviewed"] = keep(fields["reviewed"], fields["reviewed"])
        sources = tuple(map(keep, fields["sources"], fields["sources"]))
        fields["sources"] = keep(sources, sources)
        if "tags" in fields:
            fields["tags"] = keep(fields["tags"], fields["tags"])
        if "see_also" in fields:
            fields["see_also"] = tuple(map(keep, fields["see_also"], fields["see_also"]))
    return fields


def validate_source(data: Any) -> Source:
    """Validate one source's data (pydantic's ValidationError on a problem)."""
    source: Source = _SOURCE.validate_python(data)
    return source


@dataclass(frozen=True)
class KnowledgeBase:
    """A complete, validated knowledge base; replaced whole, never mutated."""

    entries: Mapping[str, Entry]
    sources: Mapping[str, Source]
    # Which file (relative to the knowledge directory) holds each entry, for editing in place.
    files: Mapping[str, str] = field(default_factory=dict)
    # The languages every entry is written in, English (the entries' own fields) first: the
    # loader refuses a base with an entry missing one (knowledge.yaml declares them).
    languages: tuple[str, ...] = ("en",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def phrasings(self, language: str = "en") -> dict[str, tuple[str, ...]]:
        """Each entry's question and phrasings in `language` (entries without it left out).

        English ones are what the lexical index matches; the others are for a stage that
        compares meaning across languages (in the English lexical index they changed no English
        figure and answered no Spanish question: its stop words and word list are English).
        """
        if language == "en":
            return {entry_id: entry.phrasings for entry_id, entry in self.entries.items()}
        found = ((key, entry.translation(language)) for key, entry in self.entries.items())
        return {key: translation.phrasings for key, translation in found if translation}

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
