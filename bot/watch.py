"""Follow the knowledge folder: when another process (or a person) changes it, reload.

Several bot processes can share one knowledge folder; a moderator's edit lands in one of them,
and the others pick it up here within a second or two: validate, then swap, or keep serving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, awatch

from bot.core.diff import Diff
from bot.core.loader import KnowledgeError
from bot.storage.store import KnowledgeStore

__all__ = ["watch_knowledge"]

log = logging.getLogger(__name__)


def _is_knowledge_file(change: Change, path: str) -> bool:
    name = Path(path).name
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


async def watch_knowledge(
    store: KnowledgeStore,
    on_reload: Callable[[Diff | KnowledgeError], None],
    *,
    stop: asyncio.Event,
    debounce_ms: int = 300,
) -> None:
    """Reload the store whenever its YAML files change, until `stop` is set."""
    async for _ in awatch(
        store.directory,
        watch_filter=_is_knowledge_file,
        debounce=debounce_ms,
        stop_event=stop,
        recursive=True,
    ):
        try:
            diff = await asyncio.to_thread(store.reload, only_if_changed=True)
        except KnowledgeError as error:
            log.warning(
                "knowledge files changed but do not validate (%d problems); still serving the "
                "previous version",
                len(error.problems),
            )
            on_reload(error)
            continue
        if diff:
            log.info("knowledge reloaded from disk: %s", diff.summary())
        on_reload(diff)
