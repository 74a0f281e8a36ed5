"""Matching a question to knowledge-base entries: the lexical stage and the semantic stage."""
