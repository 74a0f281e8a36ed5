"""Route table entries, injected faults, and Discord-shaped HTTP errors."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from .models import RecordedRequest
from .wire import _TEMPLATE_PARAM, API_PREFIX, JSON


@dataclass
class _Fault:
    method: str | None
    pattern: str | re.Pattern[str]
    remaining: int
    status: int
    body: JSON
    retry_after: float = 0.0
    global_: bool = False


@dataclass
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Callable[[RecordedRequest], Awaitable[_Reply]]
    auth: bool


_Reply = tuple[int, Any, dict[str, str]]

_ALLOWED_CALLBACKS: Final[dict[int, frozenset[int]]] = {
    2: frozenset({4, 5, 9, 12}),  # application command
    3: frozenset({4, 5, 6, 7, 9, 12}),  # message component
    4: frozenset({8}),  # autocomplete
    5: frozenset({4, 5, 6, 7}),  # modal submit (6/7 only when opened from a message)
}
"""Which callback types Discord accepts per interaction type (others get 400)."""


class _HTTPError(Exception):
    """Raised inside route handlers to answer with a Discord-shaped error."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: JSON = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


def _template_regex(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in _TEMPLATE_PARAM.finditer(template):
        parts.append(re.escape(template[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts))


def _path_matches(pattern: str | re.Pattern[str] | None, path: str, route: str | None) -> bool:
    """Match a request path: exact path, route template, ``{param}`` template, or regex."""
    if pattern is None:
        return True
    if isinstance(pattern, re.Pattern):
        return pattern.fullmatch(path) is not None
    if pattern.startswith(API_PREFIX):
        pattern = pattern[len(API_PREFIX) :]
    if pattern in (path, route):
        return True
    if _TEMPLATE_PARAM.search(pattern):
        return _template_regex(pattern).fullmatch(path) is not None
    try:
        return re.fullmatch(pattern, path) is not None
    except re.error:
        return False


def _method_matches(method: str | None, actual: str) -> bool:
    return method is None or method == "*" or method.upper() == actual.upper()
