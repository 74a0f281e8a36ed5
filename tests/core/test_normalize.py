"""normalize() gives exactly what the plain sequence of passes gives, on real and random text.

The fast paths (ASCII, no apostrophe, lexicon by words) must never change a result: index and
queries would then disagree with the phrasings the loader checked for repeats.
"""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import yaml

from bot.core import normalize as module
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[2]

_NON_WORD = re.compile(r"[^\w]+|_")
_LEXICON_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, module._LEXICON), key=len, reverse=True)) + r")\b"
)


def reference(text: str) -> str:
    """normalize() as it was written before its fast paths: every pass, in order."""
    text = unicodedata.normalize("NFKC", text).translate(module._APOSTROPHES).casefold()
    if "." in text or "," in text:
        text = module._US.sub(" usa ", text) if "u." in text else text
        text = module._ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
        text = module._THOUSANDS.sub("", text)
    if "'" in text or "nt" in text:
        text = module._CONTRACTION.sub(module._expand, text)
    text = " ".join(_NON_WORD.sub(" ", text).split())
    return _LEXICON_WORDS.sub(lambda match: module._LEXICON[match.group(0)], text)


def real_texts() -> list[str]:
    knowledge = load_knowledge(ROOT / "knowledge")
    texts = [p for entry in knowledge.entries.values() for p in entry.phrasings]
    texts += [entry.answer for entry in knowledge.entries.values()]
    items = yaml.safe_load((ROOT / "evaluation" / "questions.yaml").read_text("utf-8"))["items"]
    return texts + [str(item["q"]) for item in items]


_PIECES = (
    *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    *" .,!?'’‘`´ʼ_-:;()\n\t\u00a0",
    *"éÉßİıﬁ²½ⅣＡ１٣",
    *(" cant ", " won't ", " aint ", " can't ", "n't ", "'s ", "'re ", "'d ", " it's "),
    *(" U.S. ", " u.s.a ", " u. s. ", " e.g. ", " 1,000 ", " 2.500 ", " 10,00 "),
    *(" green cards ", " green card ", " greencard ", " gc ", " govt ", " gov ", " GC's "),
    *(" lgbtq ", " Green Cards ", " green  cards ", " green_cards ", " potus ", " thru "),
    *(" want ", " content ", " isn't ", " cant's ", " aint't "),
)


def test_normalize_matches_the_plain_passes_on_real_text() -> None:
    for text in real_texts():
        assert module.normalize(text) == reference(text), text


def test_normalize_matches_the_plain_passes_on_random_text() -> None:
    rng = random.Random(1996)
    for _ in range(20000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        assert module.normalize(text) == reference(text), repr(text)


def test_normalizer_gives_what_normalize_gives() -> None:
    rng = random.Random(2012)
    texts = real_texts() + [
        "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(20000)
    ]
    normalizer, forgetful = module.Normalizer(), module.Normalizer()
    forgetful._LIMIT = 8  # forgets its chunks every few texts
    for text in texts + texts:  # the second time from remembered chunks
        expected = module.normalize(text)
        assert normalizer(text) == expected, repr(text)
        assert forgetful(text) == expected, repr(text)
        assert normalizer.words(text) == expected.split(), repr(text)
