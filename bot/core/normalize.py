"""Text normalisation shared by the validator, the matcher and triage.

One function turns any text into the comparable form, so a phrasing stored in the knowledge
base and a question typed in chat are always processed the same way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

__all__ = ["STOPWORDS", "content", "normalize", "sentences", "stem", "tokens"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

# Order matters: irregular forms before the generic suffix rules.
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bcan'?t\b", "can not"),
        (r"\bwon'?t\b", "will not"),
        (r"\bain'?t\b", "is not"),
        (r"\b(\w+)n't\b", r"\1 not"),
        (r"\b(it|what|that|who|where|how|there|here|he|she|when|why)'s\b", r"\1 is"),
        (r"\blet's\b", "let us"),
        (r"\b(\w+)'re\b", r"\1 are"),
        (r"\b(\w+)'ve\b", r"\1 have"),
        (r"\b(\w+)'ll\b", r"\1 will"),
        (r"\b(\w+)'d\b", r"\1 would"),
        (r"\bi'm\b", "i am"),
        (r"\b(\w+)'s\b", r"\1"),  # possessive: "boyfriend's visa" -> "boyfriend visa"
        (r"\b(\w+)s'(?=\s|$)", r"\1s"),
    )
)
# "U.S." must survive punctuation stripping without becoming the pronoun "us".
_US = re.compile(r"\bu\.\s?s\.?(?:\s?a\.?)?(?=\W|$)")
# Abbreviations and spellings chat uses for words the knowledge base writes out in full.
_LEXICON: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b"), replacement)
    for pattern, replacement in (
        (r"greencard|green cards|gc", "green card"),
        (r"admin|admins|administrations", "administration"),
        (r"govt|gov|goverment", "government"),
        (r"bf", "boyfriend"),
        (r"gf", "girlfriend"),
        (r"potus", "president"),
        (r"thru", "through"),
        (r"pls|plz", "please"),
        (r"ppl", "people"),
        (r"bc|cuz|coz", "because"),
        (r"dept", "department"),
        (r"immigrations", "immigration"),
        (r"lgbtq?\+?|glbt", "lgbt"),
    )
)
_ACRONYM = re.compile(r"\b(?:[a-z]\.){2,}[a-z]?\b")
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_NON_WORD = re.compile(r"[^\w]+|_")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

# Function words and chat filler: they carry no topic, so they must never make a match.
# "who", "when", "where" and "why" stay: they tell "who announced it" from "when".
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again all also am an and any anyone anything are as at be been
    before being below between both but by can could did do does doing done down during each
    else even ever every few for from further get gets getting go going got had has have
    having he her here hers him his how however i if in into is it its just know let like
    may me might more most much must my myself no nor not now of off on once one only or
    other our ours out over own please pls plz really same say says should so some someone
    something such than thank thanks that the their them then there these they this those
    though through thx to too under until up us very want was we were what whats whether
    which while whom whose will with would yes yet you your yours hi hello hey ok okay tell
    explain mean means meaning guys everyone anybody somebody u ur im basically like just
    actually literally kinda sorta gonna wanna lol omg tho yall rn idk btw anyway anyways
    well pretty stuff thing things something anything someone sure okay ok um uh hmm good
    morning night evening afternoon
    """.split()  # noqa: SIM905 - a word list reads best as text
)


def normalize(text: str) -> str:
    """Return the comparable form: NFKC, casefolded, contractions expanded, words only."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    text = _US.sub(" usa ", text)
    text = _ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
    text = _THOUSANDS.sub("", text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = " ".join(_NON_WORD.sub(" ", text).split())
    for pattern, replacement in _LEXICON:
        text = pattern.sub(replacement, text)
    return text


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem one normalised word (cached: the vocabulary of chat is small and repetitive)."""
    return str(_STEMMER.stemWord(word))


def tokens(normalized: str) -> list[str]:
    """Split normalised text into stemmed content tokens, dropping stop words."""
    return [stem(word) for word in normalized.split() if word not in STOPWORDS]


def content(normalized: str) -> str:
    """Keep only the content words of normalised text, unstemmed, for character similarity."""
    return " ".join(word for word in normalized.split() if word not in STOPWORDS)


def sentences(text: str) -> list[str]:
    """Split raw text into sentences so a question buried in a long message can be found."""
    return [part for part in (p.strip() for p in _SENTENCE_END.split(text)) if part]
