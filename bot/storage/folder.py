"""The knowledge folder on disk: its YAML files read exactly, and their fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.core.loader import KnowledgeError, Problem, decode_knowledge, parse_knowledge
from bot.core.models import KnowledgeBase

__all__ = [
    "KnowledgeFolder",
    "fingerprint",
    "load_knowledge",
    "read_knowledge_files",
]


class KnowledgeFolder(Mapping[str, str]):
    """The YAML files under a knowledge folder by path relative to it, each read when asked for.

    Texts are exact: bytes decoded as UTF-8 with newlines kept, so an edit and its undo can
    restore a file byte for byte. A file that is not UTF-8 is a located problem, not a crash:
    asking for its text raises KnowledgeError naming every such file.
    """

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise KnowledgeError(
                [Problem(str(directory), 0, "is not a folder", "Point to the knowledge/ folder.")]
            )
        self._paths = {
            path.relative_to(directory).as_posix(): path
            for path in sorted(
                p for pattern in ("*.yaml", "*.yml") for p in directory.rglob(pattern)
            )
        }

    def __getitem__(self, name: str) -> str:
        try:
            return self._paths[name].read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise KnowledgeError(self._not_utf8()) from None
        except FileNotFoundError:
            raise _vanished(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def _not_utf8(self) -> list[Problem]:
        problems: list[Problem] = []
        for name, path in self._paths.items():
            try:
                decode_knowledge(name, path.read_bytes())
            except KnowledgeError as error:
                problems += error.problems
            except FileNotFoundError:
                problems += _vanished(name).problems
        return problems


def _vanished(name: str) -> KnowledgeError:
    """Refuse a file deleted or renamed after the folder was listed (an editor's save, a pull).

    A refusal like any other, not a FileNotFoundError that would end the watcher's task.
    """
    return KnowledgeError(
        [Problem(name, 0, "was removed while being read", "Reload once the folder settles.")]
    )


def read_knowledge_files(directory: Path) -> dict[str, str]:
    """Read every YAML file under `directory` exactly, keyed by path relative to it."""
    folder = KnowledgeFolder(directory)
    return {name: folder[name] for name in folder}


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load and validate the knowledge base in `directory`, or raise KnowledgeError."""
    return parse_knowledge(read_knowledge_files(directory))


def fingerprint(files: Mapping[str, str]) -> str:
    """Identify a set of knowledge file texts (to notice whether anything changed)."""
    digest = hashlib.sha256()
    for name, text in sorted(files.items()):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()
