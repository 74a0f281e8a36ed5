"""Follow the knowledge folder: when another process (or a person) changes it, reload.

Several bot processes can share one knowledge folder; a moderator's edit lands in one of them,
and the others pick it up here within a second or two: validate, then swap, or keep serving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from bot.core.editor import Reload

__all__ = ["watch_knowledge"]

log = logging.getLogger(__name__)


def _is_knowledge_file(change: Change, path: str) -> bool:
    name = Path(path).name
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


async def watch_knowledge(
    directory: Path,
    reload: Callable[[], Awaitable[Reload]],
    on_reload: Callable[[Reload], None],
    *,
    stop: asyncio.Event,
    debounce_ms: int = 300,
) -> None:
    """Call `reload` whenever the folder's YAML files change, until `stop` is set.

    `reload` validates, swaps and audits (the editor's, with the `disk` actor).
    """
    async for _ in awatch(
        directory,
        watch_filter=_is_knowledge_file,
        debounce=debounce_ms,
        stop_event=stop,
        recursive=True,
    ):
        try:
            outcome = await reload()
        except Exception:  # a disk or database fault must not end the watching
            log.exception("reloading the knowledge files after a change failed")
            continue
        if not outcome.ok:
            log.warning(
                "knowledge files changed but do not validate (%d problems); still serving the "
                "previous version",
                len(outcome.problems),
            )
        elif outcome.diff:
            log.info("knowledge reloaded from disk: %s", outcome.diff.summary())
        on_reload(outcome)
