"""Build a YAML document's data straight from libyaml's events, as yaml.load would.

Valid knowledge files are read this way: no node trees (a node and two marks per scalar)
are built, which makes loading several times faster and smaller. Anything unusual, or any
problem, raises Unlocated, and the files are then read the usual way with node trees, whose
marks locate every problem (bot.core.validation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml import events

__all__ = ["SafeLoader", "Unlocated", "construct_fast"]


class SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml when present), keeping dates as text for pydantic to check.

    PyYAML's own date constructor raises a bare ValueError on "2012-13-01"; as text, a bad
    date becomes an ordinary, located problem.
    """


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map"})
_SEQ_TAGS = frozenset({None, "!", "tag:yaml.org,2002:seq"})
# Key tags whose meaning SafeConstructor gives in the mapping ("<<" merges, "=" is a value).
_SPECIAL_TAGS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class Unlocated(Exception):
    """The first pass met something it does not handle or a problem: run the locating pass."""


_NO_KEY = object()


_SHORT = 32  # longer plain scalars are not remembered (no implicit type is this long)
# Implicit types whose plain texts are single short words (tests/core/test_yaml_events.py checks
# that none is longer than _SHORT), and the first characters that only they claim: a longer
# plain scalar starting with one ("true love...", "no one...") is text.
_WORD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("bool", "null", "merge", "value", "yaml")
)
_TEXT_WHEN_LONG = frozenset(
    first
    for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
    if first and all(tag in _WORD_TAGS for tag, _ in resolvers)
)


def _scalar(loader: SafeLoader, event: Any) -> Any:
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
        raise Unlocated
    return loader.construct_object(yaml.ScalarNode(tag, value, event.start_mark, event.end_mark))


def construct_fast(source: str, listing: str | None = None) -> Iterator[Any]:
    """Build a document's data from libyaml's events, as yaml.load with SafeLoader would.

    Yields the document; with `listing`, yields instead each item of the document's top-level
    `listing` list as soon as it is built, then checks that the document holds that list
    alone. Plain mappings, sequences and
    scalars only: anchors, aliases, explicit collection tags, merge keys, repeated keys,
    several documents, another document shape or any YAML (or UTF-8) error raise Unlocated
    (the locating pass then reads the file the usual way). Scalars other than plain text go
    through the loader's own constructors, so ints, booleans and dates come out the same.
    """
    try:  # PyYAML's own reader checks a text's characters as it is made
        loader = SafeLoader(source)
    except yaml.YAMLError as error:
        raise Unlocated from error
    try:
        get_event = loader.get_event
        first_chars = loader.yaml_implicit_resolvers
        any_first = None in first_chars  # a resolver for every first character
        text_when_long = frozenset() if any_first else _TEXT_WHEN_LONG
        if (
            type(get_event()) is not events.StreamStartEvent
            or type(get_event()) is not events.DocumentStartEvent
        ):
            raise Unlocated
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
                    raise Unlocated
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
                    raise Unlocated
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
                    raise Unlocated
                value = container
                container, append, key = enclosing.pop()
            elif kind is events.DocumentEndEvent:
                break
            else:  # an alias, or anything unexpected
                raise Unlocated
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
                    raise Unlocated
                container[key] = value
                key = _NO_KEY
        if type(get_event()) is not events.StreamEndEvent:
            raise Unlocated
    except (yaml.YAMLError, TypeError, UnicodeDecodeError) as error:
        raise Unlocated from error
    finally:
        loader.dispose()
    if listing is None:
        yield document
    elif type(document) is not dict or document.keys() != {listing} or streamed is None:
        raise Unlocated
