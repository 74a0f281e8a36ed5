"""The written corpora the semantic stage learns besides the phrasings (package data)."""

from __future__ import annotations

from importlib import resources

__all__ = ["read_corpus"]


def read_corpus(name: str) -> tuple[str, ...]:
    """Return the lines of `bot/data/semantic/<name>.txt`, without blanks and `#` comments."""
    text = resources.files("bot").joinpath("data", "semantic", f"{name}.txt").read_text("utf-8")
    stripped = (line.strip() for line in text.splitlines())
    return tuple(line for line in stripped if line and not line.startswith("#"))
