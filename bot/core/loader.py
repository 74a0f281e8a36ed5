"""Load and validate the knowledge base: all or nothing, every problem reported at once.

Files are parsed with PyYAML's safe loader only. A knowledge base with any problem is never
returned, so a running bot keeps serving the one it has; the problems say file, line, entry,
field and how to fix it, because the people reading them are moderators, not programmers.

Two passes, because locating problems is costly and valid files have none: the first builds
the data straight from libyaml's events and keeps no YAML node trees (a node and two marks per
scalar: most of the load time and memory of a large base), one list item at a time, read from
a stream when loading a folder. At its first sign of any problem it gives up, and the second
pass does everything again with whole texts and node trees, locating and reporting every
problem. The first pass may give up on more than the second reports (then the second's result
is used); it never accepts anything the second would reject.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar

import numpy as np
import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rapidfuzz import process
from yaml import events

from bot.core.models import (
    ANSWER_MAX_CHARS,
    ENTRY_FIELDS,
    MIN_ASKS,
    QUESTION_MAX_CHARS,
    SOURCE_FIELDS,
    TRANSLATION_FIELDS,
    Entry,
    EntryFields,
    KnowledgeBase,
    NormalizedPhrasings,
    Source,
    paused_gc,
    release_free_memory,
    validate_entry,
    validate_source,
)
from bot.core.normalize import normalize
from bot.core.translations import (
    KNOWLEDGE_FILE,
    LANGUAGE_NAMES,
    LANGUAGES_KEY,
    declared_language_problems,
    parse_languages,
)

__all__ = [
    "SOURCES_FILE",
    "KnowledgeError",
    "KnowledgeFolder",
    "Problem",
    "load_knowledge",
    "parse_knowledge",
    "read_knowledge_files",
]

SOURCES_FILE = "sources.yaml"
_Valid = TypeVar("_Valid", EntryFields, Source)


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml when present), keeping dates as text for pydantic to check.

    PyYAML's own date constructor raises a bare ValueError on "2012-13-01"; as text, a bad
    date becomes an ordinary, located problem.
    """


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map"})
_SEQ_TAGS = frozenset({None, "!", "tag:yaml.org,2002:seq"})
# Key tags whose meaning SafeConstructor gives in the mapping ("<<" merges, "=" is a value).
_SPECIAL_TAGS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class _Unlocated(Exception):
    """The first pass met something it does not handle or a problem: run the locating pass."""


_NO_KEY = object()


# Hashes compared at once when looking for a repeat (bounds the temporary array).
_BLOCK = 1 << 16
_SHORT = 32  # longer plain scalars are not remembered (no implicit type is this long)
# Implicit types whose plain texts are single short words (tests/core/test_loader.py checks
# that none is longer than _SHORT), and the first characters that only they claim: a longer
# plain scalar starting with one ("true love...", "no one...") is text.
_WORD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("bool", "null", "merge", "value", "yaml")
)
_TEXT_WHEN_LONG = frozenset(
    first
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    if first and all(tag in _WORD_TAGS for tag, _ in resolvers)
)


def _scalar(loader: _SafeLoader, event: Any) -> Any:
    """Return a scalar event's value, as the loader's resolver and constructors make it."""
    value, tag = event.value, event.tag
    if tag is None or tag == "!":
        plain = event.implicit[0]
        first_chars = loader.yaml_implicit_resolvers
        tag = (
            loader.resolve(yaml.ScalarNode, value, event.implicit)
            if plain and (value[:1] in first_chars or None in first_chars)
            else _STR_TAG
        )
    if tag == _STR_TAG:
        return value
    if tag in _SPECIAL_TAGS:
        raise _Unlocated
    return loader.construct_object(yaml.ScalarNode(tag, value, event.start_mark, event.end_mark))


def _construct_fast(source: str | TextIO, listing: str | None = None) -> Iterator[Any]:
    """Build a document's data from libyaml's events, as yaml.load with _SafeLoader would.

    Yields the document; with `listing`, yields instead each item of the document's top-level
    `listing` list as soon as it is built, then checks that the document holds that list
    alone, so a large file's data is never all in memory. Plain mappings, sequences and
    scalars only: anchors, aliases, explicit collection tags, merge keys, repeated keys,
    several documents, another document shape or any YAML (or UTF-8) error raise _Unlocated
    (the locating pass then reads the file the usual way). Scalars other than plain text go
    through the loader's own constructors, so ints, booleans and dates come out the same.
    """
    loader = _SafeLoader(source)
    try:
        get_event = loader.get_event
        first_chars = loader.yaml_implicit_resolvers
        any_first = None in first_chars  # a resolver for every first character
        text_when_long = frozenset() if any_first else _TEXT_WHEN_LONG
        if (
            type(get_event()) is not events.StreamStartEvent
            or type(get_event()) is not events.DocumentStartEvent
        ):
            raise _Unlocated
        scalar_event, mapping_start, sequence_start, mapping_end, sequence_end = (
            events.ScalarEvent,
            events.MappingStartEvent,
            events.SequenceStartEvent,
            events.MappingEndEvent,
            events.SequenceEndEvent,
        )
        # The innermost open collection in locals (most events only add to it): itself (None
        # at the document's level), its append if it is a list that is not yielded, and its
        # pending key if it is a mapping; the enclosing ones' on a stack.
        container: Any = None
        append: Callable[[Any], None] | None = None
        key: Any = _NO_KEY
        enclosing: list[tuple[Any, Callable[[Any], None] | None, Any]] = []
        document: Any = None
        streamed: list[Any] | None = None  # the `listing` list, whose items are yielded
        # Short plain scalars seen (dates, numbers, words) -> their values: a plain scalar's
        # value depends on its text alone, and resolving it is most of its cost.
        short_plain: dict[str, Any] = {}
        while True:
            event = get_event()
            kind = type(event)
            value: Any
            if kind is scalar_event:
                if event.anchor is not None:
                    raise _Unlocated
                value = event.value
                if event.tag is None and (
                    not event.implicit[0] or (value[:1] not in first_chars and not any_first)
                ):
                    pass  # quoted, or plain text no implicit resolver claims: a string
                elif event.tag is None and len(value) <= _SHORT:
                    if value in short_plain:
                        value = short_plain[value]
                    else:
                        value = short_plain[value] = _scalar(loader, event)
                elif event.tag is None and value[:1] in text_when_long:
                    pass  # plain, too long for any type its first character may start
                else:
                    value = _scalar(loader, event)
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None or event.tag not in (
                    _MAP_TAGS if kind is mapping_start else _SEQ_TAGS
                ):
                    raise _Unlocated
                enclosing.append((container, append, key))
                if kind is mapping_start:
                    container, append = {}, None
                elif len(enclosing) == 2 and key == listing:  # the top mapping's `listing`
                    container = streamed = []
                    append = None
                else:
                    container = []
                    append = container.append
                key = _NO_KEY
                continue
            elif kind is mapping_end or kind is sequence_end:
                if key is not _NO_KEY:
                    raise _Unlocated
                value = container
                container, append, key = enclosing.pop()
            elif kind is events.DocumentEndEvent:
                break
            else:  # an alias, or anything unexpected
                raise _Unlocated
            if append is not None:
                append(value)
            elif container is None:
                document = value
            elif container is streamed:
                yield value
            elif key is _NO_KEY:
                key = value
            else:
                if key in container:  # an unhashable key raises TypeError
                    raise _Unlocated
                container[key] = value
                key = _NO_KEY
        if type(get_event()) is not events.StreamEndEvent:
            raise _Unlocated
    except (yaml.YAMLError, TypeError, UnicodeDecodeError) as error:
        raise _Unlocated from error
    finally:
        loader.dispose()
        if not isinstance(source, str):
            source.close()  # a stream is the builder's to close
    if listing is None:
        yield document
    elif type(document) is not dict or document.keys() != {listing} or streamed is None:
        raise _Unlocated


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the knowledge base, located and explained."""

    file: str
    line: int
    message: str
    hint: str = ""
    entry: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        about = ", ".join(
            part
            for part in (
                f"{'source' if self.file == SOURCES_FILE else 'entry'} `{self.entry}`"
                if self.entry
                else "",
                f"`{self.field}`" if self.field else "",
            )
            if part
        )
        text = f"{where}: {about + ' ' if about else ''}{self.message}"
        return f"{text}. Fix: {self.hint}" if self.hint else f"{text}."


class KnowledgeError(Exception):
    """The knowledge base did not validate; `problems` lists everything found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__(f"{len(self.problems)} problem(s) in the knowledge base")

    def report(self) -> str:
        """Every problem on its own line, for people."""
        return "\n".join(str(problem) for problem in self.problems)


class KnowledgeFolder(Mapping[str, str]):
    """The YAML files under a knowledge folder by path relative to it, each read when asked for.

    Texts are exact: bytes decoded as UTF-8 with newlines kept, so an edit and its undo can
    restore a file byte for byte. A file that is not UTF-8 is a located problem, not a crash:
    asking for its text raises KnowledgeError naming every such file. Loading a folder
    parses each file from a stream (`open`), so a large base's texts are never in memory.
    """

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise KnowledgeError(
                [Problem(str(directory), 0, "is not a folder", "Point to the knowledge/ folder.")]
            )
        self._paths = {
            path.relative_to(directory).as_posix(): path
            for path in sorted(
                p for pattern in ("*.yaml", "*.yml") for p in directory.rglob(pattern)
            )
        }

    def __getitem__(self, name: str) -> str:
        try:
            return self._paths[name].read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise KnowledgeError(self._not_utf8()) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def open_bytes(self, name: str) -> BinaryIO:
        """Open the file's bytes (to hash it without holding its text)."""
        return self._paths[name].open("rb")

    def open(self, name: str) -> TextIO:
        """Open the file's text as a stream, decoded as __getitem__ does (errors as it is read)."""
        return self._paths[name].open(encoding="utf-8", newline="")

    def _not_utf8(self) -> list[Problem]:
        problems = []
        for name, path in self._paths.items():
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(name, 0, "is not UTF-8 text", "Save the file as UTF-8."))
        return problems


def read_knowledge_files(directory: Path) -> dict[str, str]:
    """Read every YAML file under `directory` exactly, keyed by path relative to it."""
    folder = KnowledgeFolder(directory)
    return {name: folder[name] for name in folder}


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load and validate the knowledge base in `directory`, or raise KnowledgeError."""
    return parse_knowledge(KnowledgeFolder(directory))


def parse_knowledge(files: Mapping[str, str]) -> KnowledgeBase:
    """Validate file texts (name -> YAML) into a knowledge base, or raise KnowledgeError.

    Working on texts lets moderator edits be validated before anything touches the disk.
    """
    with paused_gc():
        knowledge = _parse(files)
    release_free_memory()  # what parsing freed (YAML data, texts) goes back with its pages
    return knowledge


def _parse(files: Mapping[str, str]) -> KnowledgeBase:
    try:
        return _assemble(files, _Checker(locate=False))
    except _Unlocated:
        return _assemble(files, _Checker(locate=True))


def _assemble(files: Mapping[str, str], checker: _Checker) -> KnowledgeBase:
    """Parse, validate and cross-check; without `checker.locate`, give up on any problem."""
    documents: Iterable[tuple[str, _Document | None]]
    if checker.locate:
        parsed = {name: checker.parse_yaml(name, text) for name, text in files.items()}
        sources_document = parsed.pop(SOURCES_FILE, None)
        parsed.pop(KNOWLEDGE_FILE, None)
        documents = parsed.items()
    else:  # one item at a time (see _construct_fast): a large base never holds it all twice
        source: Callable[[str], str | TextIO] = (
            files.open if isinstance(files, KnowledgeFolder) else files.__getitem__
        )
        sources_document = (
            checker.parse_fast(SOURCES_FILE, source(SOURCES_FILE), "sources")
            if SOURCES_FILE in files
            else None
        )
        documents = (
            (name, checker.parse_fast(name, source(name), "entries"))
            for name in files
            if name not in {SOURCES_FILE, KNOWLEDGE_FILE}
        )
    if SOURCES_FILE not in files:
        checker.add(SOURCES_FILE, 0, "is missing", "Create it with a `sources:` list.")
    sources = checker.sources(sources_document)
    languages = checker.languages(files)
    entries: dict[str, _Item] = {}
    for name, document in documents:
        for item in checker.items(name, document, "entries"):
            entry = checker.entry(item)
            if entry is None:
                continue
            checker.translated(item, entry, languages)
            if entry.id in entries:
                other = entries[entry.id]
                checker.add(
                    name,
                    item.line,
                    f"uses an id already used in {other.file} line {other.line}",
                    "Give one of the two entries another id.",
                    entry.id,
                    "id",
                )
                continue
            entries[entry.id] = item
            item.value = entry
            if not checker.locate:
                item.data = None  # the entry holds what it needs of the data
    if not entries and not checker.problems:
        checker.add("knowledge", 0, "has no entries", "Add a YAML file with an `entries:` list.")
    release_free_memory()  # the files' data is gone: its pages go before the cross-checks
    checker.cross_check(entries, sources)
    if checker.problems:
        raise KnowledgeError(checker.problems)
    return KnowledgeBase(
        entries={entry_id: item.value for entry_id, item in entries.items()},
        sources={source.id: source for source in sources.values()},
        files={entry_id: item.file for entry_id, item in entries.items()},
        languages=languages,
        normalized=checker.normalized,
    )


@dataclass(slots=True)
class _Document:
    name: str
    node: yaml.MappingNode | None  # None in the first pass, which keeps no nodes
    # The data; in the first pass, the items of its list as _construct_fast builds them.
    data: Any


@dataclass(slots=True)
class _Item:
    """One list item of a document with where it stands, before and after validation."""

    file: str
    node: yaml.Node | None  # None in the first pass: asking for a line means a problem
    data: Any
    value: Any = None

    @property
    def line(self) -> int:
        if self.node is None:
            raise _Unlocated
        return int(self.node.start_mark.line) + 1

    def line_of(self, path: tuple[int | str, ...]) -> int:
        """Find the line of the field at `path`, or of the nearest enclosing one."""
        node = self.node
        if node is None:
            raise _Unlocated
        line = int(node.start_mark.line) + 1
        for part in path:
            found = _child(node, part)
            if found is None:
                break
            key, node = found
            line = int((key or node).start_mark.line) + 1
        return line


def _child(node: yaml.Node, part: int | str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """Return (key node, value node) of a mapping key or (None, item) of a list index."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


class _Checker:
    """Collects problems while the knowledge base is assembled.

    Without `locate` (the first pass) there are no node trees, and the first problem raises
    _Unlocated instead of being collected.
    """

    def __init__(self, *, locate: bool = True) -> None:
        self.locate = locate
        self.problems: list[Problem] = []
        # Ids of items that failed validation: references to them are not reported again.
        self.broken: set[str] = set()
        # Each valid entry's normalised phrasings, for the index (see KnowledgeBase).
        self.normalized = NormalizedPhrasings()
        # Equal dates, tags, citations and ids are kept once (validate_entry).
        self.shared: dict[Any, Any] = {}
        # First pass: the hash of every normalised phrasing (see cross_check).
        self.hashes = array("q")

    def add(
        self,
        file: str,
        line: int,
        message: str,
        hint: str = "",
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        if not self.locate:
            raise _Unlocated
        self.problems.append(Problem(file, line, message, hint, entry, field))

    def parse_fast(self, name: str, source: str | TextIO, key: str) -> _Document:
        """First pass: the document's `key` list, item by item, from a text or a stream."""
        return _Document(name, None, _construct_fast(source, key))

    def parse_yaml(self, name: str, text: str) -> _Document | None:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                self.add(name, 0, "is empty", "Add content, or delete the file.")
                return None
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 0
            what = error.problem or error.context or "cannot be read"
            if error.context and error.context_mark and error.context_mark.line + 1 != line:
                what += f", {error.context} started on line {error.context_mark.line + 1}"
            self.add(
                name,
                line,
                f"is not valid YAML ({what})",
                "Check the indentation (spaces, not tabs) near this line, and put text that "
                "contains `:` or `#` in quotes.",
            )
            return None
        except yaml.YAMLError as error:
            self.add(name, 0, f"is not valid YAML ({error})", "Save the file as UTF-8 text.")
            return None
        finally:
            loader.dispose()
        if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
            self.add(name, 1, "must start with a top-level key", "Begin the file with `entries:`.")
            return None
        self._duplicate_keys(name, node, None)
        return _Document(name, node, data)

    def _duplicate_keys(self, name: str, node: yaml.MappingNode, entry: str | None) -> None:
        seen: set[Any] = set()
        for key, _ in node.value:
            if key.value in seen:
                self.add(
                    name,
                    key.start_mark.line + 1,
                    f"has `{key.value}` twice",
                    "Keep one; YAML silently drops the first.",
                    entry,
                    str(key.value),
                )
            seen.add(key.value)

    def items(self, name: str, document: _Document | None, key: str) -> Iterator[_Item]:
        """Yield the items of the document's `key` list, reporting a bad document shape."""
        if document is None:
            return
        if document.node is None:  # first pass: the data alone, no problem tolerated
            for data in document.data:
                yield _Item(name, None, data)
            return
        for other in document.data.keys() - {key}:
            self.add(
                name,
                _Item(name, document.node, None).line_of((other,)),
                f"has an unknown top-level key `{other}`",
                f"Only `{key}:` belongs here.",
            )
        found = _child(document.node, key)
        listing = found[1] if found else None
        if not isinstance(listing, yaml.SequenceNode) or not isinstance(
            document.data.get(key), list
        ):
            self.add(name, 1, f"has no `{key}:` list", f"Start the file with `{key}:`.")
            return
        for node, data in zip(listing.value, document.data[key], strict=True):
            if isinstance(node, yaml.MappingNode):
                self._duplicate_keys(name, node, _id_of(data))
            yield _Item(name, node, data)

    def languages(self, files: Mapping[str, str]) -> tuple[str, ...]:
        """Return the languages `knowledge.yaml` declares (English alone without the file)."""
        if KNOWLEDGE_FILE not in files:
            return ("en",)
        document = self.parse_yaml(KNOWLEDGE_FILE, files[KNOWLEDGE_FILE])
        if document is None:
            return ("en",)
        item = _Item(KNOWLEDGE_FILE, document.node, document.data)
        for other in document.data.keys() - {LANGUAGES_KEY}:
            self.add(
                KNOWLEDGE_FILE,
                item.line_of((other,)),
                f"has an unknown top-level key `{other}`",
                f"Only `{LANGUAGES_KEY}:` belongs here.",
            )
        declared = document.data.get(LANGUAGES_KEY)
        problems = list(declared_language_problems(declared))
        for index, message, hint in problems:
            path = (LANGUAGES_KEY,) if index is None else (LANGUAGES_KEY, index)
            self.add(KNOWLEDGE_FILE, item.line_of(path), message, hint, None, LANGUAGES_KEY)
        return ("en",) if problems else parse_languages(declared)

    def translated(self, item: _Item, entry: Entry, languages: tuple[str, ...]) -> None:
        """Report each declared language the entry is not written in."""
        for language in languages[1:]:
            if entry.translation(language) is None:
                name = LANGUAGE_NAMES.get(language, language)
                self.add(
                    item.file,
                    item.line,
                    f"is missing: the entry has no {name} version",
                    f"Add an `{language}:` block (question, asks, answer, reviewed) as the "
                    f"entry's last field: {KNOWLEDGE_FILE} declares `{language}`.",
                    entry.id,
                    language,
                )

    def sources(self, document: _Document | None) -> dict[str, Source]:
        sources: dict[str, Source] = {}
        for item in self.items(SOURCES_FILE, document, "sources"):
            source = self._validate(item, validate_source, SOURCE_FIELDS)
            if source is None:
                continue
            if source.id in sources:
                self.add(
                    SOURCES_FILE,
                    item.line,
                    "uses an id already used above",
                    "Give the source another id.",
                    source.id,
                    "id",
                )
            sources[source.id] = source
        return sources

    def entry(self, item: _Item) -> Entry | None:
        """Validate an entry and normalise its phrasings while they are at hand as strings."""
        fields = self._validate(item, partial(validate_entry, shared=self.shared), ENTRY_FIELDS)
        if fields is None:
            return None
        keys = list(map(normalize, (fields["question"], *fields["asks"])))
        self.normalized.add(fields["id"], keys)
        if not self.locate:  # repeats are found from the hashes (see cross_check)
            if not all(keys):
                raise _Unlocated
            self.hashes.extend(map(hash, keys))
            if "es" in fields:  # each language's phrasings compared among themselves
                translated = [("es", normalize(text)) for text in fields["es"].phrasings]
                if not all(key for _, key in translated):
                    raise _Unlocated
                self.hashes.extend(map(hash, translated))
        return Entry(**fields)

    def _validate(
        self,
        item: _Item,
        validate: Callable[[Any], _Valid],
        keys: tuple[str, ...],
    ) -> _Valid | None:
        if not isinstance(item.data, dict):
            self.add(
                item.file,
                item.line,
                "is not a mapping of fields",
                f"Write the item as `- id: ...` followed by its fields ({', '.join(keys)}).",
            )
            return None
        try:
            return validate(item.data)
        except ValidationError as error:
            self.broken.add(_id_of(item.data) or "")
            for detail in error.errors():
                message, hint = _explain(detail, keys)
                path = tuple(detail["loc"])
                self.add(
                    item.file,
                    item.line_of(path),
                    message,
                    hint,
                    _id_of(item.data),
                    _field_name(path),
                )
            return None

    def cross_check(self, entries: Mapping[str, _Item], sources: Mapping[str, Source]) -> None:
        """Check what single entries cannot: references and phrasings shared between entries.

        The first pass only needs to know that no two phrasings normalise alike: it keeps each
        one's hash (8 bytes, not a string in a dict), and any repeated hash, a repeat or
        (rarely) a collision, sends the work to the second pass, which compares the texts.
        """
        owners: dict[tuple[str, str], str] = {}
        for entry_id, item in entries.items():
            name = item.file
            entry: Entry = item.value
            for index, ref in enumerate(entry.sources):
                if ref.id not in sources and ref.id not in self.broken:
                    self.add(
                        name,
                        item.line_of(("sources", index)),
                        f"cites an unknown source `{ref.id}`",
                        _closest(ref.id, sources, f"Add it to {SOURCES_FILE}"),
                        entry_id,
                        "sources",
                    )
            for index, other in enumerate(entry.see_also):
                if other == entry_id or (other not in entries and other not in self.broken):
                    self.add(
                        name,
                        item.line_of(("see_also", index)),
                        "points to itself"
                        if other == entry_id
                        else f"points to an unknown entry `{other}`",
                        _closest(
                            other, {k: v for k, v in entries.items() if k != entry_id}, "Remove it"
                        ),
                        entry_id,
                        "see_also",
                    )
            if not self.locate:
                continue
            for language, path, phrasing in _phrasings(entry):
                key = normalize(phrasing)
                if not key:
                    self.add(
                        name,
                        item.line_of(path),
                        "has a phrasing with no words",
                        "Write the question in words.",
                        entry_id,
                        _field_name(path[: 1 if language == "en" else 2]),
                    )
                elif (language, key) in owners:
                    owner = owners[language, key]
                    where = "earlier in this entry" if owner == entry_id else f"in entry `{owner}`"
                    self.add(
                        name,
                        item.line_of(path),
                        f"repeats the phrasing “{phrasing}” {where}",
                        "Keep each phrasing in one entry only: the one that answers it.",
                        entry_id,
                        _field_name(path[: 1 if language == "en" else 2]),
                    )
                else:
                    owners[language, key] = entry_id
        if self.hashes:  # sorted in place: np.unique would copy them twice (a large base's peak)
            hashes = np.frombuffer(self.hashes, dtype=np.int64)
            hashes.sort()
            repeated = any(
                np.any(hashes[start : end - 1] == hashes[start + 1 : end])
                for start, end in _overlapping_blocks(hashes.size)
            )
            del hashes
            self.hashes = array("q")
            if repeated:
                raise _Unlocated


def _phrasings(entry: Entry) -> Iterator[tuple[str, tuple[int | str, ...], str]]:
    """Yield (language, path in the entry, text) of each phrasing, English first."""
    for index, phrasing in enumerate(entry.phrasings):
        yield "en", ("question",) if index == 0 else ("asks", index - 1), phrasing
    if entry.es is not None:
        for index, phrasing in enumerate(entry.es.phrasings):
            yield "es", ("es", "question") if index == 0 else ("es", "asks", index - 1), phrasing


def _overlapping_blocks(size: int) -> Iterator[tuple[int, int]]:
    """Cut range(size) into runs [start, end) of about _BLOCK, each from the previous one's last.

    Every pair of neighbours is then in one run.
    """
    for start in range(0, max(size - 1, 0), _BLOCK):
        yield start, min(start + _BLOCK + 1, size)


def _id_of(data: Any) -> str | None:
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def _field_name(path: tuple[int | str, ...]) -> str | None:
    if not path:
        return None
    words = [str(path[0])]
    words += [f"item {part + 1}" if isinstance(part, int) else str(part) for part in path[1:]]
    return " → ".join(words)


def _closest(wrong: str, known: Mapping[str, Any], otherwise: str) -> str:
    match = process.extractOne(wrong, list(known), score_cutoff=60)
    return f"Did you mean `{match[0]}`?" if match else f"{otherwise}, or fix the id."


def _explain(detail: ErrorDetails, keys: tuple[str, ...]) -> tuple[str, str]:
    """Turn one pydantic error into words a moderator can act on."""
    kind = detail["type"]
    loc = detail["loc"]
    field = str(loc[0]) if loc else ""
    ctx = detail.get("ctx", {})
    if field == "es" and len(loc) > 1:  # a field of the Spanish block: explained as its own
        keys, field = TRANSLATION_FIELDS, str(loc[1])
        if kind == "missing":
            return "is missing", f"Add `{field}:` to the `es:` block."
    if kind == "missing":
        return "is missing", f"Add `{field}:` to this item."
    if kind in {"extra_forbidden", "unexpected_keyword_argument"}:  # a model's, a dataclass's
        match = process.extractOne(field, keys, score_cutoff=60)
        suggestion = f"Did you mean `{match[0]}`? " if match else ""
        return "is not a known field", f"{suggestion}Known fields: {', '.join(keys)}."
    if kind == "string_too_long" and field == "question" and keys is TRANSLATION_FIELDS:
        return (
            f"is {len(str(detail['input']).strip())} characters; the limit is {QUESTION_MAX_CHARS}",
            "Shorten it: it is the title of the reply.",
        )
    if kind == "string_too_long" and field == "answer":
        length = len(str(detail["input"]).strip())
        return (
            f"is {length} characters; the limit is {ANSWER_MAX_CHARS}",
            "Shorten it, or move detail into another entry and link it with `see_also`.",
        )
    if kind == "too_short" and field == "asks":
        return (
            f"needs at least {MIN_ASKS} other phrasings",
            "Add other ways people really ask this question.",
        )
    if kind == "too_short":
        return "is empty", "Add at least one item."
    if kind in {"string_too_short", "string_too_long"}:
        return detail["msg"].lower(), "Write the text in plain words."
    if kind.startswith("date") or kind.startswith("datetime"):
        return "is not a date", "Write dates as YYYY-MM-DD, for example 2012-09-28."
    if kind == "string_pattern_mismatch":
        return (
            "is not a valid id",
            "Use lowercase letters, digits and hyphens, for example `what-is-doma`.",
        )
    if kind in {"list_type", "tuple_type"}:
        return "must be a list", "Put each item on its own line, starting with `- `."
    if kind == "string_type":
        return "must be text", "Put the text in quotes."
    if kind in {"model_type", "dict_type", "model_attributes_type", "dataclass_type"}:
        return "must be a set of fields", "Write it as `id: ...` with its fields below."
    if kind == "value_error" and field == "question" and keys is TRANSLATION_FIELDS:
        return "must end with a question mark", "Write it as a question: ¿...?"
    if kind == "value_error" and field == "asks" and keys is TRANSLATION_FIELDS:
        reason = str(ctx.get("error", detail["msg"]))
        return f"{reason} twice", "Keep each phrasing once."
    if kind == "value_error":
        reason = str(ctx.get("error", detail["msg"]))
        return f"is not valid: {reason}", "Write the full link, starting with https://."
    return detail["msg"], ""
