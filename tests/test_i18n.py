"""The Spanish catalogue covers every member-facing message; slash commands are localised."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.i18n import catalog_for, read_catalog

# discord.py imports the stdlib `audioop`, deprecated on 3.11 (see tests/e2e/conftest.py).
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="'audioop' is deprecated", category=DeprecationWarning
    )
    import discord
    from discord import app_commands

    from bot.ui.translator import CatalogTranslator

ROOT = Path(__file__).resolve().parents[1]


def extracted_messages() -> set[str]:
    """The messages pybabel extracts from the code (the keywords the .pot is made with)."""
    keywords = {"_": None, "gettext": None, "N_": None, "locale_str": None}
    found = extract_from_dir(str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=keywords)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_the_spanish_catalogue_translates_every_extracted_message() -> None:
    spanish = read_catalog("es")
    messages = extracted_messages()
    assert len(messages) > 30
    assert sorted(m for m in messages if spanish.translation(m) is None) == []


def test_placeholders_survive_translation() -> None:
    spanish = read_catalog("es")
    for message in extracted_messages():
        for name in ("{name}", "{url}", "{date}", "{tag}", "{prefix}"):
            assert (name in message) == (name in spanish.gettext(message)), message


@pytest.mark.parametrize(
    "locale", [discord.Locale.spain_spanish, discord.Locale.latin_american_spanish]
)
async def test_slash_commands_are_localised_for_spanish_clients(locale: discord.Locale) -> None:
    translator = CatalogTranslator()
    context = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name, None
    )
    name = await translator.translate(app_commands.locale_str("ask"), locale, context)
    description = await translator.translate(
        app_commands.locale_str("Ask about the 2012 DHS guidance on same-sex partners"),
        locale,
        context,
    )
    option = await translator.translate(app_commands.locale_str("for"), locale, context)
    assert (name, option) == ("preguntar", "para")
    assert description is not None and description.startswith("Pregunta sobre la guía")


async def test_other_locales_and_unknown_strings_stay_english() -> None:
    translator = CatalogTranslator()
    context = app_commands.TranslationContext(app_commands.TranslationContextLocation.other, None)
    ask = app_commands.locale_str("ask")
    assert await translator.translate(ask, discord.Locale.french, context) is None
    assert await translator.translate(ask, discord.Locale.american_english, context) is None
    unknown = app_commands.locale_str("kb")
    assert await translator.translate(unknown, discord.Locale.spain_spanish, context) is None


def test_command_names_are_valid_discord_names() -> None:
    spanish = read_catalog("es")
    for name in ("ask", "topics", "about", "question", "private", "for", "tag"):
        translated = spanish.gettext(name)
        assert translated != name and translated == translated.lower() and " " not in translated


def test_english_is_the_messages_as_written() -> None:
    assert catalog_for("en").gettext("Sources") == "Sources"
    assert catalog_for("xx").language == "en"
