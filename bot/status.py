"""What `/status` reports: the ways the bot is degraded while still alive.

Why apart from /healthz: liveness decides restarts, and restarting never fixes a broken
knowledge file or a missing model; operators and moderators still need to see those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.loader import Problem

__all__ = ["PROBLEMS_SHOWN", "ServingState"]

PROBLEMS_SHOWN = 20  # problems listed in /status; the count is always whole


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _semantic_on() -> str | None:
    return None


@dataclass
class ServingState:
    """Which knowledge is served and why; the semantic stage reports through `semantic_off`."""

    since: dt.datetime | None = None  # serving a previous version since then
    problems: tuple[str, ...] = ()
    snapshot_saved_at: dt.datetime | None = None  # set while serving the last-good snapshot
    # Why semantic matching is off although asked for (e.g. "model not found"), or None.
    semantic_off: Callable[[], str | None] = field(default=_semantic_on)
    clock: Callable[[], dt.datetime] = field(default=_now, repr=False)

    def failed(self, problems: Sequence[Problem]) -> None:
        """Note that the files on disk do not validate (keeping the time it began)."""
        self.since = self.since or self.clock()
        self.problems = tuple(str(problem) for problem in problems)

    def serving_snapshot(self, problems: Sequence[Problem], saved_at: dt.datetime) -> None:
        """Start-up fell back to the last-good snapshot."""
        self.failed(problems)
        self.snapshot_saved_at = saved_at

    def recovered(self) -> None:
        """Note that valid files are served again."""
        self.since = None
        self.problems = ()
        self.snapshot_saved_at = None

    def report(
        self, *, reload_ok: bool, gateway: str, entries: int, semantic: str = "on"
    ) -> dict[str, Any]:
        """Build the /status body: `ready`, `degraded`, and one line per degradation.

        `semantic` is the bot's `semantic_status` ("on: <model>" or "off: <why>"), shown as is;
        it is a degradation only when `semantic_off` says so (off although asked for).
        """
        if reload_ok and self.since is not None:
            self.recovered()  # a /kb change saved since: the folder validated whole
        semantic_reason = self.semantic_off()
        degradations: list[str] = []
        if self.since is not None:
            what = "the last-good snapshot" if self.snapshot_saved_at else "the previous version"
            degradations.append(
                f"serving {what} since {self.since.isoformat(timespec='seconds')}: "
                f"{len(self.problems)} problem(s) in the knowledge files"
            )
        if semantic_reason is not None:
            degradations.append(f"semantic matching is off: {semantic_reason}")
        if gateway != "connected":
            degradations.append(f"gateway {gateway}")
        return {
            "ready": gateway == "connected" and entries > 0,
            "degraded": bool(degradations),
            "degradations": degradations,
            "knowledge": {
                "serving": (
                    "current files"
                    if self.since is None
                    else "last-good snapshot"
                    if self.snapshot_saved_at
                    else "previous version"
                ),
                "previous_since": self.since.isoformat(timespec="seconds") if self.since else None,
                "snapshot_saved_at": (
                    self.snapshot_saved_at.isoformat(timespec="seconds")
                    if self.snapshot_saved_at
                    else None
                ),
                "entries": entries,
                "problems": len(self.problems),
                "problem_list": list(self.problems[:PROBLEMS_SHOWN]),
            },
            "semantic": {"status": semantic, "degraded": semantic_reason is not None},
            "gateway": gateway,
        }
