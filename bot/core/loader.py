"""Load the knowledge base from file texts: all or nothing, every problem reported at once.

Files are parsed with PyYAML's safe loader only. A knowledge base with any problem is never
returned, so a running bot keeps serving the one it has.

Two passes, because locating problems is costly and valid files have none: the first builds
the data straight from libyaml's events (bot.core.yaml_events) and gives up at the first sign
of any problem; the second does everything again with node trees, locating and reporting
every problem (bot.core.validation). The first pass may give up on more than the second
reports (then the second's result is used); it never accepts anything the second would reject.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.core.models import KnowledgeBase
from bot.core.translations import KNOWLEDGE_FILE, check_translated, declared_languages
from bot.core.validation import (
    SOURCES_FILE,
    Checker,
    Document,
    Item,
    KnowledgeError,
    Problem,
    decode_knowledge,
)
from bot.core.yaml_events import Unlocated

# What callers of parse_knowledge handle: its errors, the sources file's name, and the
# decoding of a file's bytes into the text it takes (an upload's, a file's on disk).
__all__ = ["SOURCES_FILE", "KnowledgeError", "Problem", "decode_knowledge", "parse_knowledge"]


def parse_knowledge(files: Mapping[str, str]) -> KnowledgeBase:
    """Validate file texts (name -> YAML) into a knowledge base, or raise KnowledgeError.

    Working on texts lets moderator edits be validated before anything touches the disk.
    """
    try:
        return _assemble(files, Checker(locate=False))
    except Unlocated:
        return _assemble(files, Checker(locate=True))


def _assemble(files: Mapping[str, str], checker: Checker) -> KnowledgeBase:
    """Parse, validate and cross-check; without `checker.locate`, give up on any problem."""
    documents: Iterable[tuple[str, Document | None]]
    if checker.locate:
        parsed = {
            name: checker.parse_yaml(name, text)
            for name, text in files.items()
            if name != KNOWLEDGE_FILE  # read by declared_languages
        }
        sources_document = parsed.pop(SOURCES_FILE, None)
        documents = parsed.items()
    else:  # item by item, as the event builder yields them
        sources_document = (
            checker.parse_fast(SOURCES_FILE, files[SOURCES_FILE], "sources")
            if SOURCES_FILE in files
            else None
        )
        documents = (
            (name, checker.parse_fast(name, files[name], "entries"))
            for name in files
            if name not in {SOURCES_FILE, KNOWLEDGE_FILE}
        )
    if SOURCES_FILE not in files:
        checker.add(SOURCES_FILE, 0, "is missing", "Create it with a `sources:` list.")
    sources = checker.sources(sources_document)
    languages = declared_languages(checker, files)
    entries: dict[str, Item] = {}
    for name, document in documents:
        for item in checker.items(name, document, "entries"):
            entry = checker.entry(item)
            if entry is None:
                continue
            check_translated(checker, item, entry, languages)
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
    checker.cross_check(entries, sources)
    if checker.problems:
        raise KnowledgeError(checker.problems)
    return KnowledgeBase(
        entries={entry_id: item.value for entry_id, item in entries.items()},
        sources={source.id: source for source in sources.values()},
        files={entry_id: item.file for entry_id, item in entries.items()},
        languages=languages,
    )
