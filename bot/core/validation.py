"""Validate parsed knowledge files, and word every problem for the moderators who fix them.

Problems say file, line, entry, field and how to fix it, because the people reading them are
moderators, not programmers. Lines come from YAML node trees, which only the locating pass
builds; the first pass (bot.core.yaml_events) has none and gives up on any problem.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rapidfuzz import process

from bot.core.models import (
    ANSWER_MAX_CHARS,
    ENTRY_FIELDS,
    MIN_ASKS,
    QUESTION_MAX_CHARS,
    SOURCE_FIELDS,
    TRANSLATION_FIELDS,
    Entry,
    EntryFields,
    Source,
    validate_entry,
    validate_source,
)
from bot.core.normalize import normalize
from bot.core.yaml_events import SafeLoader, Unlocated, construct_fast

__all__ = [
    "SOURCES_FILE",
    "Checker",
    "Document",
    "Item",
    "KnowledgeError",
    "Problem",
    "decode_knowledge",
]

SOURCES_FILE = "sources.yaml"
_Valid = TypeVar("_Valid", EntryFields, Source)
# Hashes compared at once when looking for a repeat (bounds the temporary array).
_BLOCK = 1 << 16
_LIBYAML = issubclass(SafeLoader, getattr(yaml, "CSafeLoader", ()))
_SHOWN_CHARS = 80  # longest id or key a problem quotes back
_NESTING_HINT = "Entries are a list of fields: remove the extra `[`, `{` or `-` levels."


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


def decode_knowledge(name: str, data: bytes) -> str:
    """Decode a knowledge file's bytes exactly, or raise KnowledgeError saying where and how to fix.

    Uploads and files on disk alike: another encoding or a binary file is a located problem.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "It is saved as UTF-16: save it again as UTF-8."
        elif data.count(b"\0", 0, 4096):
            hint = "It looks like a binary file, not text: export it as YAML text in UTF-8."
        else:
            hint = "Save the file as UTF-8 (your editor's encoding setting)."
        raise KnowledgeError([Problem(name, line, "is not UTF-8 text", hint)]) from None


@dataclass(slots=True)
class Document:
    """One parsed file: its node tree (locating pass only) and its data."""

    name: str
    node: yaml.MappingNode | None  # None in the first pass, which keeps no nodes
    # The data; in the first pass, the items of its list as construct_fast builds them.
    data: Any


@dataclass(slots=True)
class Item:
    """One list item of a document with where it stands, before and after validation."""

    file: str
    node: yaml.Node | None  # None in the first pass: asking for a line means a problem
    data: Any
    value: Any = None

    @property
    def line(self) -> int:
        """The item's first line (the first pass has none: it gives up)."""
        if self.node is None:
            raise Unlocated
        return int(self.node.start_mark.line) + 1

    def line_of(self, path: tuple[int | str, ...]) -> int:
        """Find the line of the field at `path`, or of the nearest enclosing one."""
        node = self.node
        if node is None:
            raise Unlocated
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


class Checker:
    """Collects problems while the knowledge base is assembled.

    Without `locate` (the first pass) there are no node trees, and the first problem raises
    Unlocated instead of being collected.
    """

    def __init__(self, *, locate: bool = True) -> None:
        self.locate = locate
        self.problems: list[Problem] = []
        # Ids of items that failed validation: references to them are not reported again.
        self.broken: set[str] = set()
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
        """Collect a problem (the first pass gives up instead)."""
        if not self.locate:
            raise Unlocated
        self.problems.append(Problem(file, line, message, hint, entry, field))

    def parse_fast(self, name: str, text: str, key: str) -> Document:
        """First pass: the document's `key` list, item by item."""
        return Document(name, None, construct_fast(text, key))

    def parse_yaml(self, name: str, text: str) -> Document | None:
        """Locating pass: parse a whole text into its node tree and data, or report why not."""
        loader: SafeLoader | None = None
        try:
            loader = SafeLoader(text)  # PyYAML's own reader checks the characters here
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
            self.add(name, line, f"is not valid YAML ({what})", _yaml_hint(error))
            return None
        except yaml.reader.ReaderError as error:  # a character YAML forbids, such as a null byte
            # libyaml counts UTF-8 bytes, PyYAML's own reader characters.
            end = error.position
            line = (text.encode()[:end].count(b"\n") if _LIBYAML else text.count("\n", 0, end)) + 1
            self.add(
                name,
                line,
                f"has a control character YAML does not allow (#x{error.character:04x})",
                "Delete it: a stray byte, or a binary file saved as .yaml.",
            )
            return None
        except yaml.YAMLError as error:
            self.add(name, 0, f"is not valid YAML ({error})", "Save the file as UTF-8 text.")
            return None
        except RecursionError:  # the pure-Python composer recurses (libyaml stops at 1,000)
            self.add(name, 0, "nests lists or mappings too deeply", _NESTING_HINT)
            return None
        finally:
            if loader is not None:
                loader.dispose()
        if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
            self.add(name, 1, "must start with a top-level key", "Begin the file with `entries:`.")
            return None
        self._duplicate_keys(name, node, None)
        return Document(name, node, data)

    def _duplicate_keys(self, name: str, node: yaml.MappingNode, entry: str | None) -> None:
        seen: set[Any] = set()
        for key, _ in node.value:
            if key.value in seen:
                self.add(
                    name,
                    key.start_mark.line + 1,
                    f"has `{_shown(key.value)}` twice",
                    "Keep one; YAML silently drops the first.",
                    entry,
                    _shown(key.value),
                )
            seen.add(key.value)

    def items(self, name: str, document: Document | None, key: str) -> Iterator[Item]:
        """Yield the items of the document's `key` list, reporting a bad document shape."""
        if document is None:
            return
        if document.node is None:  # first pass: the data alone, no problem tolerated
            for data in document.data:
                yield Item(name, None, data)
            return
        for other in document.data.keys() - {key}:
            self.add(
                name,
                Item(name, document.node, None).line_of((other,)),
                f"has an unknown top-level key `{_shown(other)}`",
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
            yield Item(name, node, data)

    def sources(self, document: Document | None) -> dict[str, Source]:
        """Validate the sources file's sources, by id."""
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

    def entry(self, item: Item) -> Entry | None:
        """Validate an entry; in the first pass, keep its phrasings' hashes (see cross_check)."""
        fields = self._validate(item, partial(validate_entry, shared=self.shared), ENTRY_FIELDS)
        if fields is None:
            return None
        if not self.locate:
            keys = list(map(normalize, (fields["question"], *fields["asks"])))
            if not all(keys):
                raise Unlocated
            self.hashes.extend(map(hash, keys))
            if "es" in fields:  # each language's phrasings compared among themselves
                translated = [("es", normalize(text)) for text in fields["es"].phrasings]
                if not all(key for _, key in translated):
                    raise Unlocated
                self.hashes.extend(map(hash, translated))
        return Entry(**fields)

    def _validate(
        self,
        item: Item,
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

    def cross_check(self, entries: Mapping[str, Item], sources: Mapping[str, Source]) -> None:
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
                field = _field_name(path[: 1 if language == "en" else 2])
                if not key:
                    self.add(
                        name,
                        item.line_of(path),
                        "has a phrasing with no words",
                        "Write the question in words.",
                        entry_id,
                        field,
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
                        field,
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
                raise Unlocated


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
    return _shown(value) if value is not None else None


def _shown(value: Any) -> str | None:
    """Return a scalar as a problem quotes it, cut short; None for a list or mapping.

    Never str() of a collection from a file: aliases can make a few lines' data astronomically
    large when written out ("billion laughs"), and a 1 MB id would fill the message.
    """
    if isinstance(value, list | dict):
        return None
    text = str(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _yaml_hint(error: yaml.MarkedYAMLError) -> str:
    """How to fix a YAML error: most are layout; a tag or nesting says what to remove."""
    if isinstance(error, yaml.constructor.ConstructorError) and "tag" in (error.problem or ""):
        return "Remove the `!` tag: knowledge files hold only text, lists and fields."
    if "nesting depth" in (error.problem or ""):
        return _NESTING_HINT
    if "single document" in (error.context or ""):
        return "Keep one document per file: remove the `---` line and merge what follows."
    return (
        "Check the indentation (spaces, not tabs) near this line, and put text that "
        "contains `:` or `#` in quotes."
    )


def _field_name(path: tuple[int | str, ...]) -> str | None:
    if not path:
        return None
    words = [str(_shown(path[0]))]
    words += [
        f"item {part + 1}" if isinstance(part, int) else str(_shown(part)) for part in path[1:]
    ]
    return " → ".join(words)


def _closest(wrong: str, known: Mapping[str, Any], otherwise: str) -> str:
    match = process.extractOne(wrong, list(known), score_cutoff=60)
    return f"Did you mean `{match[0]}`?" if match else f"{otherwise}, or fix the id."


def _explain(detail: ErrorDetails, keys: tuple[str, ...]) -> tuple[str, str]:
    """Turn one pydantic error into words a moderator can act on."""
    kind = detail["type"]
    loc = detail["loc"]
    field = str(_shown(loc[0])) if loc else ""  # a key may be 1 MB
    ctx = detail.get("ctx", {})
    if field == "es" and len(loc) > 1:  # a field of the Spanish block: explained as its own
        keys, field = TRANSLATION_FIELDS, str(_shown(loc[1]))
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
