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

# Contractions, expanded in one pass: irregular forms first, then by suffix.
_IRREGULAR = {
    "can't": "can not",
    "cant": "can not",
    "won't": "will not",
    "wont": "will not",
    "ain't": "is not",
    "aint": "is not",
    "let's": "let us",
}
_SUFFIXES = {"re": "are", "ve": "have", "ll": "will", "d": "would", "m": "am"}
_IS_WORDS = frozenset(
    ["it", "what", "that", "who", "where", "how", "there", "here", "he", "she", "when", "why"]
)
_CONTRACTION = re.compile(r"\b(?:can'?t|won'?t|ain'?t|(\w+)'(t|s|re|ve|ll|d|m))\b")


def _expand(match: re.Match[str]) -> str:
    whole, word, suffix = match.group(0), match.group(1), match.group(2)
    if whole in _IRREGULAR:
        return _IRREGULAR[whole]
    if suffix == "t":
        return f"{word[:-1]} not" if word.endswith("n") else whole
    if suffix == "s":  # "what's" -> "what is"; a possessive loses its 's
        return f"{word} is" if word in _IS_WORDS else word
    return f"{word} {_SUFFIXES[suffix]}"


# "U.S." must survive punctuation stripping without becoming the pronoun "us".
_US = re.compile(r"\bu\.\s?s\.?(?:\s?a\.?)?(?=\W|$)")
# Abbreviations and spellings chat uses for words the knowledge base writes out in full.
_LEXICON = {
    "greencard": "green card",
    "green cards": "green card",
    "gc": "green card",
    "admin": "administration",
    "admins": "administration",
    "administrations": "administration",
    "govt": "government",
    "gov": "government",
    "goverment": "government",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "potus": "president",
    "thru": "through",
    "pls": "please",
    "plz": "please",
    "ppl": "people",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "dept": "department",
    "immigrations": "immigration",
    "lgbtq": "lgbt",
    "glbt": "lgbt",
}
_LEXICON_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _LEXICON), key=len, reverse=True)) + r")\b"
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


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Return the comparable form: NFKC, casefolded, contractions expanded, words only."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    # Each pass runs only when its trigger is present: most text has no dots or apostrophes,
    # and a large knowledge base normalises a million phrasings at load time.
    if "." in text or "," in text:
        text = _US.sub(" usa ", text) if "u." in text else text
        text = _ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
        text = _THOUSANDS.sub("", text)
    if "'" in text or "nt" in text:
        text = _CONTRACTION.sub(_expand, text)
    text = " ".join(_NON_WORD.sub(" ", text).split())
    return _LEXICON_WORDS.sub(lambda match: _LEXICON[match.group(0)], text)


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
