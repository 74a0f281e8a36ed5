"""Matching a question to knowledge-base entries: the lexical stage and the semantic stage.

Lexical:
vocabulary (words, spelling) -> weights (IDF, English rarity) -> postings -> index (built once)
-> search (two-stage scoring) -> matcher (the facade the engine calls). Semantic: an intent
classifier over sentence embeddings of the phrasings (semantic.py), fused with the lexical scores.
"""

from bot.core.matching.match import Match
from bot.core.matching.matcher import Matcher

__all__ = ["Match", "Matcher"]
