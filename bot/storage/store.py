"""The live knowledge base: replaced whole after validation, never edited in place.

Like discord.py's extension reload, a failed reload behaves as if it never happened: the
store keeps serving the engine it had.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from bot.core.decide import Engine, Thresholds
from bot.core.diff import Diff
from bot.core.loader import parse_knowledge
from bot.core.models import KnowledgeBase
from bot.storage.folder import KnowledgeFolder, fingerprint, read_knowledge_files

__all__ = ["KnowledgeStore"]


class KnowledgeStore:
    """Holds the engine for the current knowledge base and swaps it atomically."""

    def __init__(self, directory: Path, thresholds: Thresholds | None = None) -> None:
        self.directory = directory
        self.thresholds = thresholds or Thresholds()
        files = read_knowledge_files(directory)
        self._fingerprint: str | None = fingerprint(files)
        self._engine = Engine(parse_knowledge(files), self.thresholds)
        self.last_reload_ok = True
        # Called with each newly served knowledge base's engine (the bot adds its semantic
        # stage to it in the background).
        self.on_swap: Callable[[Engine], None] | None = None

    @property
    def engine(self) -> Engine:
        """The engine to use for the next message (read once per message)."""
        return self._engine

    @property
    def fingerprint(self) -> str | None:
        """`fingerprint` of the files being served; None when they are not known to be on disk."""
        return self._fingerprint

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base being served."""
        return self._engine.knowledge

    def reload(self, *, only_if_changed: bool = False) -> Diff:
        """Re-read the folder; on any problem raise KnowledgeError and keep the old base.

        With `only_if_changed`, files identical to those last loaded are not parsed again
        (a watcher sees its own process's writes too).
        """
        folder = KnowledgeFolder(self.directory)  # a missing folder is not a failed reload
        try:
            files = dict(folder)
            current = fingerprint(files)
            if only_if_changed and current == self._fingerprint:
                self.last_reload_ok = True  # the files are again exactly those being served
                return Diff()
            engine = Engine(parse_knowledge(files), self.thresholds)
        except Exception:
            self.last_reload_ok = False
            raise
        return self._swap(engine, current)

    def replace(self, knowledge: KnowledgeBase, files: Mapping[str, str] | None = None) -> Diff:
        """Serve an already validated knowledge base from the next message on.

        `files` are the texts it was parsed from, when they are the folder's content: a watcher
        then knows the folder holds nothing newer (no second parse of the same change).
        """
        engine = Engine(knowledge, self.thresholds)  # built fully before the swap
        return self._swap(engine, fingerprint(files) if files is not None else None)

    def upgrade(self, old: Engine, new: Engine) -> bool:
        """Serve `new` (the same knowledge, another stage) only if `old` is still served.

        A reload that landed meanwhile wins: its own upgrade follows it.
        """
        if self._engine is not old:
            return False
        self._engine = new
        return True

    def _swap(self, engine: Engine, current: str | None) -> Diff:
        diff = Diff.between(self._engine.knowledge, engine.knowledge)
        self._engine = engine
        self._fingerprint = current
        self.last_reload_ok = True
        if self.on_swap is not None:
            self.on_swap(engine)
        return diff
