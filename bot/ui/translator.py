"""Slash commands in the member's Discord language, from the same catalogues as the replies."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.language import locale_language
from bot.i18n import MessageCatalog, catalogs

__all__ = ["CatalogTranslator"]


class CatalogTranslator(app_commands.Translator):
    """Localise command names, descriptions and options for the catalogues' languages.

    Discord asks once per string and locale when commands are synced (`Spanish` covers both
    `es-ES` and `es-419`); a string without a translation stays English (None).
    Install it in `setup_hook`, before syncing: `await bot.tree.set_translator(...)`.
    """

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """Return `string` in the locale's language, or None to keep the English."""
        language = locale_language(str(locale.value))
        catalog = catalogs().get(language or "")
        if language == "en" or not isinstance(catalog, MessageCatalog):
            return None
        return catalog.translation(string.message)
