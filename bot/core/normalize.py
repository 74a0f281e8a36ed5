"""Text normalisation shared by the validator, the matcher and triage.

One function turns any text into the comparable form, so a phrasing stored in the knowledge
base and a question typed in chat are always processed the same way.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

import snowballstemmer

__all__ = [
    "STOPWORDS",
    "Normalizer",
    "content_words",
    "normalize",
    "stem",
    "tokens",
    "visible",
]

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
# (\w++: a word is not searched for an apostrophe it cannot hold, letter after letter; the
# matches are the same, as an apostrophe is no word character.)
_CONTRACTION = re.compile(r"\b(?:can'?t|won'?t|ain'?t|(\w++)'(t|s|re|ve|ll|d|m))\b")


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
    # Not "admin": in a Discord server it is mostly the server's ("who is the admin here").
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
    "said": "say",
    "glbt": "lgbt",
}
_ACRONYM = re.compile(r"\b(?:[a-z]\.){2,}[a-z]?\b")
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
# Something each of the two must find to change anything: checked before the full pattern.
_MAY_BE_ACRONYM = re.compile(r"\.[a-z]\.")
_MAY_BE_THOUSANDS_COMMA, _MAY_BE_THOUSANDS_DOT = re.compile(r",\d\d\d"), re.compile(r"\.\d\d\d")

# Function words and chat filler: they carry no topic, so they must never make a match.
# "who", "when", "where" and "why" stay: they tell "who announced it" from "when".
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again all also am an and any anyone anything are as at be been
    before being below between both but by can could did do does doing done down during each
    else even ever every few for from further get gets getting go going got had has have
    having he her here hers him his how however i if in into is it its just know let like
    may me might more most much must my myself no nor not now of off on once one only or
    other our ours out over own please pls plz really same should so some someone
    something such than thank thanks that the their them then there these they this those
    though through thx to too under until up us very want was we were what whats whether
    which while whom whose will with would yes yet you your yours hi hello hey ok okay tell
    explain mean means meaning guys everyone anybody somebody u ur im basically like just
    actually literally kinda sorta gonna wanna lol omg tho yall rn idk btw anyway anyways
    well pretty stuff thing things something anything someone sure okay ok um uh hmm good
    morning night evening afternoon
    """.split()  # noqa: SIM905 - a word list reads best as text
)


# Words only: runs of word characters other than "_".
_WORD = re.compile(r"[^\W_]+")
# Without an apostrophe, _CONTRACTION can only match these three words.
_BARE_CONTRACTION = re.compile(r"\b(?:cant|wont|aint)\b")
_LEXICON_SINGLE = frozenset(key for key in _LEXICON if " " not in key)
_LEXICON_PAIRS: dict[tuple[str, str], str] = {
    (key.partition(" ")[0], key.partition(" ")[2]): value
    for key, value in _LEXICON.items()
    if " " in key
}
_LEXICON_FIRST = frozenset(first for first, _ in _LEXICON_PAIRS)
_LEXICON_SPACED = frozenset(value for value in _LEXICON.values() if " " in value)  # two words
_LEXICON_SINGLE_BOTH: frozenset[str | bytes] = frozenset(
    {*_LEXICON_SINGLE, *(word.encode() for word in _LEXICON_SINGLE)}
)
_W = TypeVar("_W", str, bytes)
_LEXICON_ASCII = frozenset(word.encode() for word in _LEXICON_SINGLE | _LEXICON_FIRST)
_LEXICON_PAIRS_ASCII = tuple((first.encode(), second.encode()) for first, second in _LEXICON_PAIRS)
# ASCII text: every byte but a letter or digit becomes a space.
_ASCII_WORDS = bytes(
    code if chr(code).isascii() and chr(code).isalnum() else ord(" ") for code in range(256)
)


def visible(text: str) -> str:
    """Drop invisible format characters (bidi controls, zero-width joiners and spaces).

    They carry no words, and must not change how long a message reads or how it is split.
    """
    if text.isascii():
        return text
    return "".join(character for character in text if unicodedata.category(character) != "Cf")


def normalize(text: str) -> str:
    """Return the comparable form: NFKC, casefolded, contractions expanded, words only.

    Not cached: members' messages, legal ones included, must not outlive their decision in
    a process-wide cache (words are cached, never whole texts).
    """
    # Each pass runs only when its trigger is present, and ASCII text skips what cannot change
    # it; the result is the plain sequence of passes' (tests/core/test_normalize.py checks).
    ascii_only = text.isascii()
    text = _local_passes(_us(_fold(text, ascii_only)))
    if ascii_only:
        found = text.encode("ascii").translate(_ASCII_WORDS).split()
        if _LEXICON_ASCII.isdisjoint(found) or not _has_lexicon(found, _LEXICON_PAIRS_ASCII):
            return b" ".join(found).decode("ascii")
        words = b" ".join(found).decode("ascii").split()  # one decode, not one per word
    else:
        words = _WORD.findall(text)
        if not _has_lexicon(words, _LEXICON_PAIRS):
            return " ".join(words)
    return " ".join(_replace_lexicon(words))


def _fold(text: str, ascii_only: bool) -> str:
    """NFKC (not needed for ASCII), apostrophes made one, casefolded."""
    if ascii_only:
        return (text.translate(_APOSTROPHES) if "`" in text else text).casefold()
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


def _us(text: str) -> str:
    """Read "U.S." as one word: the one pass whose matches may span whitespace ("u. s.")."""
    return _US.sub(" usa ", text) if "u." in text else text


def _may_be_thousands(text: str) -> bool:
    """Whether _THOUSANDS may match (its separator is searched for before the pattern)."""
    return ("," in text and _MAY_BE_THOUSANDS_COMMA.search(text) is not None) or (
        "." in text and _MAY_BE_THOUSANDS_DOT.search(text) is not None
    )


def _local_passes(text: str) -> str:
    """Acronyms, thousands separators and contractions: no match of theirs spans whitespace.

    So these passes give the same over a whole text as over each of its whitespace-separated
    chunks (a word boundary or a look-around at a chunk's edge sees whitespace either way).
    """
    if "." in text or "," in text:
        if "." in text and _MAY_BE_ACRONYM.search(text):
            text = _ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
        if _may_be_thousands(text):
            text = _THOUSANDS.sub("", text)
    if "'" in text:
        text = _CONTRACTION.sub(_expand, text)
    elif "nt" in text and ("cant" in text or "wont" in text or "aint" in text):
        text = _BARE_CONTRACTION.sub(lambda match: _IRREGULAR[match.group(0)], text)
    return text


class Normalizer:
    """normalize() for many texts of one knowledge base: its chunks' words are remembered.

    A chunk (text between whitespace, as "(DOMA)," or "can't") recurs across the phrasings and
    answers of a base, and what the passes after "U.S." make of it depends on it alone (see
    _local_passes). Owned by one load or index build, never process-wide, and it holds chunks,
    never whole texts. Results are exactly normalize()'s (tests/core/test_normalize.py).
    """

    _LIMIT = 1 << 18  # chunks remembered at most (then forgotten at once: a bound on memory)

    def __init__(self) -> None:
        self._words: dict[str, tuple[str, ...]] = {}  # chunk -> its words
        self._lexical: set[str] = set()  # chunks with a word the lexicon may replace

    def __call__(self, text: str) -> str:
        """Return normalize(text)."""
        return " ".join(self.words(text))

    def words(self, text: str) -> list[str]:
        """Return normalize(text).split(), without joining the words to split them again."""
        if not text.isascii():
            return normalize(text).split()
        if len(self._words) >= self._LIMIT:  # between texts: a text's chunks are all kept
            self._words.clear()
            self._lexical.clear()
        chunks = _us(_fold(text, True)).split()
        found = list(map(self._words.get, chunks))
        if None in found:
            self._fill(found, chunks)
        words = list(itertools.chain.from_iterable(found))  # type: ignore[arg-type]
        if self._lexical.isdisjoint(chunks) or not _has_lexicon(words, _LEXICON_PAIRS):
            return words
        replaced = _replace_lexicon(words)
        return replaced if _LEXICON_SPACED.isdisjoint(replaced) else " ".join(replaced).split()

    def _fill(self, found: list[tuple[str, ...] | None], chunks: list[str]) -> None:
        """Work out the words of the chunks not seen before (None in `found`) and keep them."""
        missing = found.index(None)
        while True:
            chunk = chunks[missing]
            words = self._words.get(chunk)  # (the same chunk may be missing twice)
            if words is None:
                parts = _local_passes(chunk).encode("ascii").translate(_ASCII_WORDS).split()
                words = self._words[chunk] = tuple(b" ".join(parts).decode("ascii").split())
                if not _LEXICON_ASCII.isdisjoint(parts):
                    self._lexical.add(chunk)
            found[missing] = words
            try:
                missing = found.index(None, missing + 1)
            except ValueError:
                return


def _has_lexicon(words: list[_W], pairs: Iterable[tuple[_W, _W]]) -> bool:
    """Whether a lexicon word, or both words of a lexicon pair, occur in `words`."""
    present = set(words)
    if not _LEXICON_SINGLE_BOTH.isdisjoint(present):
        return True
    return any(first in present and second in present for first, second in pairs)


def _replace_lexicon(words: list[str]) -> list[str]:
    """Replace lexicon words (and word pairs) left to right, as one regex pass would."""
    out = list(map(_LEXICON.get, words, words))  # word by word
    present = set(words)
    if not any(first in present and second in present for first, second in _LEXICON_PAIRS):
        return out
    # Then the pairs, left to right: a pair's second word is not the first of another pair.
    starts = sorted(index for first in _LEXICON_FIRST for index in _positions(words, first))
    seconds: list[int] = []
    for index in starts:
        if (seconds and seconds[-1] == index) or index + 1 == len(words):
            continue
        pair = _LEXICON_PAIRS.get((words[index], words[index + 1]))
        if pair is not None:
            out[index] = pair
            seconds.append(index + 1)
    for index in reversed(seconds):
        del out[index]
    return out


def _positions(words: list[str], word: str) -> list[int]:
    """Where `word` occurs in `words`."""
    found: list[int] = []
    index = -1
    try:
        while True:
            index = words.index(word, index + 1)
            found.append(index)
    except ValueError:
        return found


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem one normalised word (cached: the vocabulary of chat is small and repetitive)."""
    return str(_STEMMER.stemWord(word))


def tokens(normalized: str) -> list[str]:
    """Split normalised text into stemmed content tokens, dropping stop words."""
    return [stem(word) for word in normalized.split() if word not in STOPWORDS]


def content_words(normalized: str) -> list[str]:
    """Return the content words of normalised text, unstemmed, in order: no stop words."""
    return list(itertools.filterfalse(STOPWORDS.__contains__, normalized.split()))
