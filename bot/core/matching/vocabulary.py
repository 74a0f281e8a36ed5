"""The knowledge base's words: their stems as tokens, its own misspellings, and typo correction.

Moderators add misspelt phrasings so that typed typos match; those are folded into the word
they misspell. A question's unknown word is mapped to the closest known word when it is close
enough to be a typo and not a real English word ("france" is not "finance").
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.matching.weights import zipf
from bot.core.normalize import STOPWORDS, stem
from bot.core.policy import MatchTuning

__all__ = ["STOPWORD", "UNKNOWN", "Vocabulary"]

UNKNOWN, STOPWORD = -1, -2  # token ids of a word no entry uses, and of a stop word
_NEW = -3  # a word the index build has not seen yet
_VARIANT_BLOCK = 1024  # words compared at once: bounds the similarity matrix's memory


class Vocabulary:
    """Words as written -> stems -> token ids, numbered in order of first appearance."""

    def __init__(self, tuning: MatchTuning) -> None:
        self.tuning = tuning
        self.tokens: dict[str, int] = {}  # stem -> token id
        self.surface: dict[str, str] = {}  # a word as written in the knowledge base -> stem
        # Every word seen -> its position in `surface` (stop words: STOPWORD), and each of
        # those words' token id: a block of words is indexed with one dict lookup each.
        self._surface_ids: dict[str, int] = dict.fromkeys(STOPWORDS, STOPWORD)
        self._surface_tokens: list[int] = []
        self.variants: dict[int, int] = {}  # a misspelt token -> the token it misspells
        self.surface_words: list[str] = []
        self.surface_stems: list[str] = []
        # Misspelt stop words must not be "corrected" into topic words ("wat" is "what").
        self.typo_choices: list[str] = []

    def positions(self, words: list[str]) -> npt.NDArray[np.int64]:
        """Return each word's position in `surface` (stop words: STOPWORD), adding new ones.

        New words are added in order of first appearance, with their stems if new.
        """
        found = map(self._surface_ids.get, words, itertools.repeat(_NEW))
        positions = np.fromiter(found, np.int64, len(words))
        new = np.flatnonzero(positions == _NEW).tolist()
        if new:
            for word in dict.fromkeys(map(words.__getitem__, new)):
                self._surface_ids[word] = len(self.surface)
                self.surface[word] = token = stem(word)
                self._surface_tokens.append(self.tokens.setdefault(token, len(self.tokens)))
            positions[new] = [self._surface_ids[words[index]] for index in new]
        return positions

    def position_tokens(self) -> npt.NDArray[np.int64]:
        """Each surface position's token id (while building)."""
        return np.array(self._surface_tokens, dtype=np.int64)

    def close(self) -> None:
        """End the build: keep the words in order, drop what only adding words needed."""
        self.surface_words = list(self.surface)
        del self._surface_ids, self._surface_tokens

    def fold_variants(self, counts: npt.NDArray[np.int64]) -> None:
        """Find the knowledge base's own misspellings (by `counts`, each token's uses)."""
        self.variants = self._spelling_variants(counts)
        self.surface_stems = [self.surface[word] for word in self.surface_words]
        short = self.tuning.min_typo_length
        stopwords = sorted(word for word in STOPWORDS if len(word) >= short)
        self.typo_choices = [*self.surface_words, *stopwords]

    def _spelling_variants(self, counts: npt.NDArray[np.int64]) -> dict[int, int]:
        """Map the knowledge base's own misspellings to the token of the word they misspell.

        Folded into the word they misspell, they match the correct spelling too, and a typo in
        a question is corrected to the word, not to another typo of it.
        """
        tuning = self.tuning
        english = {
            self.surface[word]
            for word in self.surface
            if word.isdigit() or zipf(word) >= tuning.variant_zipf
        }
        # A word used at least variant_ratio times can be misspelt; one English knows (or
        # that shares its stem with one English knows) is not a misspelling.
        choices = [
            word
            for word, token in self.surface.items()
            if counts[self.tokens[token]] >= tuning.variant_ratio
        ]
        candidates = [
            word
            for word, token_stem in self.surface.items()
            if token_stem not in english and len(word) >= tuning.variant_length
        ]
        choice_tokens = np.fromiter(
            (self.tokens[self.surface[word]] for word in choices),
            dtype=np.int64,
            count=len(choices),
        )
        # Typos seldom touch the first letter: each word is compared with the choices that
        # share its first letter only (in their order: ties go the same way).
        groups: dict[str, tuple[list[int], list[int]]] = {}  # letter -> candidates, choices
        for index, word in enumerate(candidates):
            groups.setdefault(word[0], ([], []))[0].append(index)
        for index, word in enumerate(choices):
            if word[0] in groups:
                groups[word[0]][1].append(index)
        targets: dict[int, int] = {}  # candidate -> the token it misspells
        for rows, columns_in in groups.values():
            if not columns_in:
                continue
            others = [choices[column] for column in columns_in]
            other_tokens = choice_tokens[columns_in]
            for start in range(0, len(rows), _VARIANT_BLOCK):
                block = rows[start : start + _VARIANT_BLOCK]
                similar = process.cdist(
                    [candidates[index] for index in block],
                    others,
                    scorer=fuzz.ratio,
                    score_cutoff=tuning.typo_cutoff_long,
                    dtype=np.uint8,
                    workers=-1,
                )
                for row, index in enumerate(block):
                    word = candidates[index]
                    token = self.tokens[self.surface[word]]
                    columns = np.flatnonzero(similar[row])
                    for column in columns[np.argsort(-similar[row, columns], kind="stable")]:
                        target, other = int(other_tokens[column]), others[column]
                        if (
                            target != token
                            and counts[target] >= tuning.variant_ratio * counts[token]
                            and abs(len(other) - len(word)) <= 1
                        ):
                            targets[index] = target
                            break
        variants: dict[int, int] = {}
        for index in sorted(targets):  # in the candidates' order: the first one's target wins
            token = self.tokens[self.surface[candidates[index]]]
            variants.setdefault(token, targets[index])
        return variants

    def correct(self, word: str) -> tuple[int, float]:
        """Map a word to a known token: exactly, by stem, or as a likely typo (UNKNOWN if none).

        Returns the token and how similar the word is to it (1.0 unless a typo).
        """
        tuning = self.tuning
        token_id = self.tokens.get(stem(word), UNKNOWN)
        token_id = self.variants.get(token_id, token_id)
        if (
            token_id >= 0
            or len(word) < tuning.min_typo_length
            or word.isdigit()
            or zipf(word) >= tuning.real_word_zipf
        ):
            return token_id, 1.0  # known, too short, or a real word (not a typo)
        cutoff = tuning.typo_cutoff_short if len(word) <= 4 else tuning.typo_cutoff_long
        found = process.extractOne(word, self.typo_choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        if found is None:
            return UNKNOWN, 1.0
        if found[2] >= len(self.surface_words):
            return STOPWORD, 1.0  # a misspelt stop word ("wht" -> "what")
        token_id = self.tokens[self.surface_stems[found[2]]]
        return self.variants.get(token_id, token_id), found[1] / 100.0
