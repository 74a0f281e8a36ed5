"""Edit knowledge YAML in place: an item is re-rendered and spliced into the text.

An edited item is rendered with ruamel.yaml's round-trip mode and put in place of its own
lines, so every other byte of the file (comments, quotes, blank lines, other items) stays
exactly as it was.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.core.editor import EditError
from bot.core.loader import parse_knowledge
from bot.core.models import ENTRY_FIELDS

__all__ = [
    "YamlFile",
    "append_to_list",
    "drop_link",
    "new_item",
    "set_field",
]

_FLOW_LISTS = frozenset({"tags", "see_also"})
_DATE_FIELDS = frozenset({"as_of", "reviewed", "date"})
# Split lines where ruamel.yaml counts them, so its line numbers index this list.
_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)|(?<=[\x85\u2028\u2029])")
_NEW_FILE_HEADER = "Entries added by moderators; move them to a theme file when one fits."


def _yaml() -> YAML:
    """Make a round-trip YAML in the house layout: `  - id:` items, fields by four spaces."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100_000  # never re-wrap a moderator's long line
    return yaml


def _split_lines(text: str) -> list[str]:
    return [line for line in _LINE_END.split(text) if line]


def _is_gap(line: str, column: int) -> bool:
    """Whether a line between items is layout (blank, or a comment at item level)."""
    stripped = line.strip()
    indent = len(line) - len(line.lstrip(" "))
    return not stripped or (stripped.startswith("#") and indent <= column)


def _body_end(lines: Sequence[str], start: int, end: int, column: int) -> int:
    while end > start + 1 and _is_gap(lines[end - 1], column):
        end -= 1
    return end


class YamlFile:
    """One knowledge file being edited: its text, its round-trip document, its items' lines."""

    def __init__(self, name: str, text: str | None, key: str, document: Any) -> None:
        self.name = name
        self.text = text or ""
        self.key = key
        self.document = document
        self.newline = "\r\n" if "\r\n" in self.text else "\n"
        listing = document.get(key) if isinstance(document, CommentedMap) else None
        self.items: list[Any] = list(listing) if isinstance(listing, CommentedSeq) else []
        self._listing = listing if isinstance(listing, CommentedSeq) else None

    @classmethod
    def load(cls, files: Mapping[str, str], name: str, key: str) -> YamlFile:
        """Read file `name` of `files` for editing its `key` list (a missing file is empty)."""
        text = files.get(name)
        if not text or not text.strip():
            return cls(name, text, key, None)
        try:
            document = _yaml().load(text)
        except YAMLError as error:
            parse_knowledge(files)  # raises the located problem when PyYAML agrees
            raise EditError(
                f"{name} can't be read for editing ({error}). Fix it by hand."
            ) from None
        if document is not None and not isinstance(document, CommentedMap):
            raise EditError(f"{name} does not start with `{key}:`. Fix it by hand first.")
        return cls(name, text, key, document)

    def item(self, index: int) -> Any:
        """Return an item to change, without the layout that follows it (kept by splicing)."""
        item = self.items[index]
        _strip_tail(item)
        return item

    def find(self, item_id: str) -> int | None:
        """Return the position of the item with this id, or None."""
        for index, item in enumerate(self.items):
            if isinstance(item, CommentedMap) and str(item.get("id", "")).strip() == item_id:
                return index
        return None

    def edit(self, changes: Mapping[int, Any]) -> str:
        """Return the text with the items at these positions replaced (or removed, for None)."""
        spans = self._spans()
        if spans is None or all(changes.get(index, 0) is None for index in range(len(spans))):
            return self._dump_whole(changes, None)
        lines = _split_lines(self.text)
        # From the bottom up, so the line numbers of the items above stay right.
        for index in sorted(changes, reverse=True):
            start, body_end, _ = spans[index]
            item = changes[index]
            if item is not None:
                lines[start:body_end] = self._render(item, spans[index][2])
            else:
                del lines[slice(*self._removal(lines, spans, index))]
        return "".join(lines)

    def _removal(
        self, lines: Sequence[str], spans: Sequence[tuple[int, int, int]], index: int
    ) -> tuple[int, int]:
        """Lines to delete with an item: the comments right above it and one blank gap."""
        start, end, column = spans[index]
        floor = spans[index - 1][1] if index else 0
        while start > floor and _is_gap(lines[start - 1], column) and lines[start - 1].strip():
            start -= 1
        if index:
            while start > floor and not lines[start - 1].strip():
                start -= 1
        else:
            while end < spans[1][0] and not lines[end].strip():
                end += 1
        return start, end

    def append(self, item: Any) -> str:
        """Return the text with `item` added after the last item, a blank line between."""
        spans = self._spans()
        if not spans:
            return self._dump_whole({}, item)
        lines = _split_lines(self.text)
        _, at, column = spans[-1]
        if not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += self.newline
        lines[at:at] = [self.newline, *self._render(item, column)]
        return "".join(lines)

    def _spans(self) -> list[tuple[int, int, int]] | None:
        """(first line, end of body, dash column) of each item; None when splicing won't do."""
        listing = self._listing
        if listing is None or not listing or listing.fa.flow_style():
            return None
        lines = _split_lines(self.text)
        starts: list[tuple[int, int]] = []
        for index in range(len(listing)):
            line = listing.lc.item(index)[0]
            if line >= len(lines) or not lines[line].lstrip(" ").startswith("-"):
                return None
            starts.append((line, len(lines[line]) - len(lines[line].lstrip(" "))))
        keys = list(self.document)
        following = keys[keys.index(self.key) + 1 :]
        end = self.document.lc.key(following[0])[0] if following else len(lines)
        spans: list[tuple[int, int, int]] = []
        for index, (line, column) in enumerate(starts):
            stop = starts[index + 1][0] if index + 1 < len(starts) else end
            spans.append((line, _body_end(lines, line, stop, column), column))
        return spans

    def _render(self, item: Any, column: int) -> list[str]:
        """Render one item alone, shifted to the file's indentation, without trailing layout."""
        root = CommentedMap()
        root[self.key] = CommentedSeq([item])
        buffer = io.StringIO()
        _yaml().dump(root, buffer)
        lines = _split_lines(buffer.getvalue())[1:]
        lines = lines[: _body_end(lines, 0, len(lines), 2)]
        shift = column - 2
        if shift:
            lines = [_shift(line, shift) for line in lines]
        return [self._newlines(line) for line in lines]

    def _newlines(self, text: str) -> str:
        return text.replace("\n", self.newline) if self.newline != "\n" else text

    def _dump_whole(self, changes: Mapping[int, Any], append: Any) -> str:
        """Re-emit the whole document: for new, empty or unusually laid out files."""
        document = self.document
        if document is None:
            document = CommentedMap()
            document.yaml_set_start_comment(_NEW_FILE_HEADER)
        listing = document.get(self.key)
        if not isinstance(listing, CommentedSeq):
            listing = CommentedSeq()
            document[self.key] = listing
        for index in sorted(changes, reverse=True):
            if changes[index] is None:
                del listing[index]
            else:
                listing[index] = changes[index]
        if append is not None:
            listing.append(append)
        if not listing:
            listing.fa.set_flow_style()  # `entries: []`, not a null
        buffer = io.StringIO()
        _yaml().dump(document, buffer)
        return self._newlines(buffer.getvalue())


def _shift(line: str, by: int) -> str:
    """Indent a non-blank line by `by` columns (negative: fewer), for files indented otherwise."""
    if not line.strip():
        return line
    if by > 0:
        return " " * by + line
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(-by, spaces) :]


def _date(value: Any) -> Any:
    """Dates as dates, so they are written bare (`2012-09-28`); bad ones left for validation."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value.strip())
        return value.strip()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _to_yaml(key: str, value: Any) -> Any:
    """Turn a plain value into the round-trip node it should be written as."""
    if key == "answer" and isinstance(value, str):
        lines = [line.rstrip() for line in value.replace("\r\n", "\n").split("\n")]
        return LiteralScalarString("\n".join(lines).strip("\n") + "\n")
    if key in _DATE_FIELDS:
        return _date(value)
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for name, item in value.items():
            mapping[name] = _to_yaml(str(name), item)
        return mapping
    if isinstance(value, list | tuple):
        listing = CommentedSeq(_to_yaml(key, item) for item in value)
        if key in _FLOW_LISTS:
            listing.fa.set_flow_style()
        else:
            listing.fa.set_block_style()
        return listing
    if isinstance(value, str):
        return value.strip()
    return value


def new_item(fields: Mapping[str, Any], order: tuple[str, ...]) -> CommentedMap:
    """Build a new item, fields in the documented order (unknown ones last, to be reported)."""
    item = CommentedMap()
    for key in sorted(fields, key=lambda k: order.index(k) if k in order else len(order)):
        if fields[key] is not None:
            item[key] = _to_yaml(key, fields[key])
    return item


def set_field(item: CommentedMap, key: str, value: Any) -> None:
    """Set one field in place, keeping the key's position and its list style."""
    if value is None:
        item.pop(key, None)
        return
    new = _to_yaml(key, value)
    old = item.get(key)
    if isinstance(old, CommentedSeq) and isinstance(new, CommentedSeq):
        if old.fa.flow_style():
            new.fa.set_flow_style()
        else:
            new.fa.set_block_style()
    if key in item:
        item[key] = new
        return
    rank = ENTRY_FIELDS.index(key) if key in ENTRY_FIELDS else len(ENTRY_FIELDS)
    position = len(item)
    for index, existing in enumerate(item):
        if existing in ENTRY_FIELDS and ENTRY_FIELDS.index(existing) > rank:
            position = index
            break
    item.insert(position, key, new)


def append_to_list(listing: CommentedSeq, value: Any) -> None:
    """Append to a block list, moving the layout after its last item (blank lines) below."""
    last = len(listing) - 1
    listing.append(value)
    if last < 0 or isinstance(listing[last], CommentedMap | CommentedSeq):
        return
    slot = listing.ca.items.get(last)
    token = slot[0] if slot else None
    if token is None or "\n" not in token.value:
        return
    own, _, rest = token.value.partition("\n")
    if not rest:
        return
    moved = copy.copy(token)
    moved.value = "\n" + rest
    listing.ca.items[last + 1] = [moved, None, None, None]
    if own.strip():
        token.value = own + "\n"
    else:
        slot[0] = None


def _strip_tail(node: Any) -> None:
    """Drop the blank lines and comments ruamel.yaml hangs on a node's last value.

    They are the layout before the next item; left on an edited item they would end up in
    its middle once a field is added after the last one.
    """
    if isinstance(node, CommentedMap) and node:
        last: Any = next(reversed(node))
        position = 2
    elif isinstance(node, CommentedSeq) and node:
        last, position = len(node) - 1, 0
    else:
        return
    slot = node.ca.items.get(last)
    token = slot[position] if slot else None
    if token is not None:
        own, newline, _ = token.value.partition("\n")
        if own.strip():
            token.value = own + newline
        else:
            slot[position] = None
    _strip_tail(node[last])


def drop_link(item: Any, entry_id: str) -> bool:
    """Remove `entry_id` from an item's `see_also`; return whether it was there."""
    links = item.get("see_also") if isinstance(item, CommentedMap) else None
    if not isinstance(links, CommentedSeq) or entry_id not in {str(x).strip() for x in links}:
        return False
    kept = [link for link in links if str(link).strip() != entry_id]
    if not kept:
        del item["see_also"]
        return True
    replacement = CommentedSeq(kept)
    if links.fa.flow_style():
        replacement.fa.set_flow_style()
    item["see_also"] = replacement
    return True
