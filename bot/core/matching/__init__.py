"""Lexical matching of questions against a knowledge base's phrasings.

vocabulary (words, spelling) -> weights (IDF, English rarity) -> postings -> index (built once)
-> search (two-stage scoring) -> matcher (the facade the engine calls).
"""

from bot.core.matching.match import Match
from bot.core.matching.matcher import Matcher

__all__ = ["Match", "Matcher"]
