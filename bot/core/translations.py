"""The knowledge base's languages: which ones it declares, and entries whose translation lags.

English is written in an entry's own fields; every other declared language in a block named
by its code (`es:`). `knowledge.yaml` declares the languages, so a base can be English only
(no file) while one is being translated, and validation then names each entry still missing
a language once it is declared.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.models import TRANSLATION_LANGUAGES, Entry, KnowledgeBase
from bot.core.validation import Checker, Item

__all__ = [
    "KNOWLEDGE_FILE",
    "LANGUAGES_KEY",
    "LANGUAGE_NAMES",
    "TranslationGap",
    "check_translated",
    "declared_language_problems",
    "declared_languages",
    "translation_gaps",
]

KNOWLEDGE_FILE = "knowledge.yaml"
LANGUAGES_KEY = "languages"
PRIMARY = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def declared_language_problems(data: Any) -> Iterator[tuple[int | None, str, str]]:
    """Yield (list index or None, problem, fix) for a `languages:` value that is not valid.

    Valid: a list starting with `en`, then distinct codes of TRANSLATION_LANGUAGES.
    """
    known = ", ".join(TRANSLATION_LANGUAGES)
    if not isinstance(data, list) or not data:
        yield None, "must be a list of language codes", f"Write `languages: [en, {known}]`."
        return
    if data[0] != PRIMARY:
        yield 0, "must start with `en`", "English is every entry's own fields: list it first."
    for index, code in enumerate(data[1:], start=1):
        if code not in TRANSLATION_LANGUAGES:
            yield index, f"has an unknown language `{code}`", f"Known languages: en, {known}."
        elif code in data[:index]:
            yield index, f"lists `{code}` twice", "Keep one."


def parse_languages(data: Any) -> tuple[str, ...]:
    """Return the codes of a `languages:` value that declared_language_problems accepts."""
    return tuple(str(code) for code in data)


def declared_languages(checker: Checker, files: Mapping[str, str]) -> tuple[str, ...]:
    """Return the languages `knowledge.yaml` declares (English alone without the file)."""
    if KNOWLEDGE_FILE not in files:
        return (PRIMARY,)
    document = checker.parse_yaml(KNOWLEDGE_FILE, files[KNOWLEDGE_FILE])
    if document is None:
        return (PRIMARY,)
    item = Item(KNOWLEDGE_FILE, document.node, document.data)
    for other in document.data.keys() - {LANGUAGES_KEY}:
        checker.add(
            KNOWLEDGE_FILE,
            item.line_of((other,)),
            f"has an unknown top-level key `{other}`",
            f"Only `{LANGUAGES_KEY}:` belongs here.",
        )
    declared = document.data.get(LANGUAGES_KEY)
    problems = list(declared_language_problems(declared))
    for index, message, hint in problems:
        path = (LANGUAGES_KEY,) if index is None else (LANGUAGES_KEY, index)
        checker.add(KNOWLEDGE_FILE, item.line_of(path), message, hint, None, LANGUAGES_KEY)
    return (PRIMARY,) if problems else parse_languages(declared)


def check_translated(
    checker: Checker, item: Item, entry: Entry, languages: tuple[str, ...]
) -> None:
    """Report each declared language the entry is not written in."""
    for language in languages[1:]:
        if entry.translation(language) is None:
            name = LANGUAGE_NAMES.get(language, language)
            checker.add(
                item.file,
                item.line,
                f"is missing: the entry has no {name} version",
                f"Add an `{language}:` block (question, asks, answer, reviewed) as the "
                f"entry's last field: {KNOWLEDGE_FILE} declares `{language}`.",
                entry.id,
                language,
            )


@dataclass(frozen=True, slots=True)
class TranslationGap:
    """An entry whose translation is missing or was checked before its English last changed."""

    file: str
    entry_id: str
    language: str
    missing: bool

    def __str__(self) -> str:
        name = LANGUAGE_NAMES.get(self.language, self.language)
        where = f"{self.file}: entry `{self.entry_id}`"
        if self.missing:
            return (
                f"{where} has no {name} version. Fix: add an `{self.language}:` block "
                "(question, asks, answer, reviewed); see knowledge/README.md."
            )
        return (
            f"{where}, `{self.language} → reviewed` is older than the English `reviewed`. "
            f"Fix: check the {name} against the English answer, then update "
            f"`{self.language} → reviewed`."
        )


def translation_gaps(knowledge: KnowledgeBase) -> list[TranslationGap]:
    """Entries whose translations are stale, or missing in a language some entries have.

    Warnings for moderators, not problems: a stale translation still says what was checked,
    and a language being translated need not be declared until every entry has it.
    """
    entries = knowledge.entries.values()
    begun = [
        language
        for language in TRANSLATION_LANGUAGES
        if any(entry.translation(language) is not None for entry in entries)
    ]
    gaps: list[TranslationGap] = []
    for entry_id, entry in knowledge.entries.items():
        file = knowledge.files.get(entry_id, "?")
        for language in begun:
            translation = entry.translation(language)
            if translation is None or translation.reviewed < entry.reviewed:
                gaps.append(TranslationGap(file, entry_id, language, translation is None))
    return gaps
