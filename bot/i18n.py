"""The message catalogues: one gettext `.po` file per language, English as the message ids.

Read at start-up with Babel (`read_po`), not compiled to `.mo`: the catalogue is a few dozen
messages, reading it takes milliseconds, and the file reviewers edit is then the one the bot
reads (no build step to forget). Update it after changing messages with
`pybabel extract -F babel.cfg -k locale_str -o bot/locales/familyties.pot .` then
`pybabel update -i bot/locales/familyties.pot -d bot/locales -D familyties`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po

from bot.core.language import LANGUAGES
from bot.core.replies import ENGLISH, Catalog

__all__ = [
    "DOMAIN",
    "LOCALES_DIR",
    "MessageCatalog",
    "catalog_for",
    "catalogs",
]

DOMAIN = "familyties"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"


class MessageCatalog:
    """One language's messages (English id -> translation) and its way of writing dates."""

    def __init__(self, language: str, messages: Mapping[str, str]) -> None:
        self.language = language
        self._messages = dict(messages)

    def gettext(self, message: str) -> str:
        """Return the translation, or the English message where there is none yet."""
        return self._messages.get(message) or message

    def translation(self, message: str) -> str | None:
        """Return the translation, or None (Discord then shows the English)."""
        return self._messages.get(message) or None

    def format_date(self, date: dt.date) -> str:
        """Write a date in full, as this language does: `28 de septiembre de 2012`."""
        return str(format_date(date, format="long", locale=self.language))


def read_catalog(language: str, directory: Path = LOCALES_DIR) -> MessageCatalog:
    """Read a language's `.po` file (translated, non-fuzzy messages only)."""
    path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language, domain=DOMAIN)
    messages = {
        str(message.id): str(message.string)
        for message in po
        if message.id and message.string and not message.fuzzy and isinstance(message.id, str)
    }
    return MessageCatalog(language, messages)


@cache
def catalogs() -> dict[str, Catalog]:
    """Every language's catalogue, read once: English is the messages as written."""
    found: dict[str, Catalog] = {"en": ENGLISH}
    for language in LANGUAGES:
        if language != "en":
            found[language] = read_catalog(language)
    return found


def catalog_for(language: str) -> Catalog:
    """Return the catalogue of `language`, or English for a language without one."""
    return catalogs().get(language, ENGLISH)
