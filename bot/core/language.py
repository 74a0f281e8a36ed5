"""The language to reply in: the message's own when it is clear, else the member's locale.

Detection is lingua's (models shipped inside the package), restricted to English and Spanish
in low-accuracy mode: about 20 MB, against about 130 MB for the high-accuracy models, too much
for the bot's 300 MB budget. Low accuracy is weak on a few words alone, so two guards keep
short and mixed messages from flipping with a word: too few letters is never clear, and a
message whose grammar words belong to both languages ("mi partner tiene court date") is
mixed, not clear; a message lingua cannot settle is read by its grammar words alone when they
all belong to one language ("que es doma"). See README.md, "Languages", for the measurement.
"""

from __future__ import annotations

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

__all__ = [
    "CLEAR",
    "LANGUAGES",
    "choose_language",
    "detect_language",
    "locale_code",
    "locale_language",
]

LANGUAGES = ("en", "es")
# lingua's confidence (0-1) that a message is Spanish, at or beyond which (or its complement
# for English) the message is clear. Below it, low-accuracy mode misreads short messages.
CLEAR = 0.9
_MIN_LETTERS = 8  # "ok", "lol", "y DOMA?" say nothing about their language
_MIN_WORDS_ALONE = 3  # without a grammar word, "green card?" is a topic, not a language
_WORDS = re.compile(r"[^\W\d_]+")

# Words that carry a sentence's grammar in one language and are rare as words of the other
# (not names or loanwords: "green card", "partner", "la migra" cross over in chat).
_SPANISH_GRAMMAR = frozenset(
    """
    que qué es está están son soy estoy eres el los las del al por para pero con sin una unos
    unas como cómo cuando cuándo quien quién quienes donde dónde cual cuál cuanto cuánto mi mis
    tu tus su sus nuestro nuestra nosotros ellos ella él yo tiene tengo tienen puedo puede
    pueden hay hacer hago fue ser sobre también porque pues ya muy esto eso esta este
    """.split()  # noqa: SIM905 - a word list reads best as text
)
_ENGLISH_GRAMMAR = frozenset(
    """
    the what whats is are was were my your our their his her of and with without how who when
    where which why can could does do did about this that these those has have had got it its
    for from will would should there they them we you i im
    """.split()  # noqa: SIM905 - a word list reads best as text
)


@cache
def _detector() -> LanguageDetector:
    """Build the detector once (its models load on first use)."""
    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH)
        .with_low_accuracy_mode()
        .build()
    )


def detect_language(text: str) -> str | None:
    """Return "en" or "es" when `text` is clearly in that language, else None."""
    words = _WORDS.findall(text.casefold())
    if sum(map(len, words)) < _MIN_LETTERS:
        return None
    spanish_words = not _SPANISH_GRAMMAR.isdisjoint(words)
    english_words = not _ENGLISH_GRAMMAR.isdisjoint(words)
    if spanish_words and english_words:
        return None  # mixed: the locale decides, not whichever half lingua weighs more
    if not (spanish_words or english_words) and len(words) < _MIN_WORDS_ALONE:
        return None
    spanish = _detector().compute_language_confidence(text, Language.SPANISH)
    if spanish >= CLEAR and not english_words:
        return "es"
    if spanish <= 1 - CLEAR and not spanish_words:
        return "en"
    if spanish_words != english_words:  # lingua unsure; the grammar words are one language's
        return "es" if spanish_words else "en"
    return None


def locale_code(value: object) -> str | None:
    """Return a discord.py locale (`discord.Locale`, whose str is its code) as its code, or None."""
    return str(value) if value else None


def locale_language(locale: str | None) -> str | None:
    """Return the supported language of a Discord locale ("es-ES", "es-419", "en-US"), or None."""
    if not locale:
        return None
    language = str(locale).partition("-")[0].casefold()
    return language if language in LANGUAGES else None


def choose_language(
    text: str, *, interaction_locale: str | None = None, guild_locale: str | None = None
) -> str:
    """Return the reply language: the message's if clear, else the member's, the server's, English.

    Locales are Discord's codes (`str(interaction.locale)`, `str(guild.preferred_locale)`);
    one of a language the bot does not speak is skipped.
    """
    return (
        detect_language(text)
        or locale_language(interaction_locale)
        or locale_language(guild_locale)
        or "en"
    )
