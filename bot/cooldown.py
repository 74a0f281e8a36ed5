"""Quiet rate limits keyed by anything hashable (a user, a channel and entry pair)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["Cooldown"]


class Cooldown:
    """Allows one event per key every `seconds`; remembers at most `capacity` keys."""

    def __init__(
        self, seconds: float, *, capacity: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._capacity = capacity
        self._clock = clock
        self._last: OrderedDict[Hashable, float] = OrderedDict()

    def hit(self, key: Hashable) -> bool:
        """Record an event for `key`; False if it came too soon after the previous one."""
        if self.seconds <= 0:
            return True
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self._capacity:
            self._last.popitem(last=False)
        return True
