"""What tests ask the fake: recorded requests, waits, and fault injection."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .models import RecordedRequest
from .routing import _Fault, _method_matches, _path_matches
from .wire import JSON


class Queries:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    def requests_matching(
        self,
        method: str | None = None,
        path_pattern: str | re.Pattern[str] | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        status: int | None = None,
        since: int = 0,
    ) -> list[RecordedRequest]:
        """Completed requests matching method/path (see `_path_matches`), status and predicate."""
        return [
            r
            for r in self.requests[since:]
            if r.status is not None
            and _method_matches(method, r.method)
            and _path_matches(path_pattern, r.path, r.route)
            and (status is None or r.status == status)
            and (predicate is None or predicate(r))
        ]

    async def wait_for_request(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str] | None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
        *,
        status: int | None = None,
        since: int = 0,
    ) -> RecordedRequest:
        """First matching completed request (already recorded ones count; use `since=mark()`)."""

        def find() -> RecordedRequest | None:
            found = self.requests_matching(
                method, path_pattern, predicate, status=status, since=since
            )
            return found[0] if found else None

        result: RecordedRequest = await self.wait_until(
            find, timeout=timeout, what=f"{method} {path_pattern}"
        )
        return result

    async def wait_for_requests(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str] | None,
        count: int,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
        *,
        status: int | None = None,
        since: int = 0,
    ) -> list[RecordedRequest]:
        """Wait until at least `count` matching requests completed; returns all matches."""

        def find() -> list[RecordedRequest] | None:
            found = self.requests_matching(
                method, path_pattern, predicate, status=status, since=since
            )
            return found if len(found) >= count else None

        result: list[RecordedRequest] = await self.wait_until(
            find, timeout=timeout, what=f"{count}x {method} {path_pattern}"
        )
        return result

    def mark(self) -> int:
        """Index to pass as `since=` so later waits ignore earlier requests."""
        return len(self.requests)

    def channel_messages(self, channel: Any, *, include_ephemeral: bool = False) -> list[JSON]:
        """Messages in a channel, oldest first."""
        cid = self.get_channel(channel).id
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == cid
            and (include_ephemeral or m["id"] not in self.ephemeral_message_ids)
        ]

    def bot_messages(self, channel: Any = None, *, include_ephemeral: bool = True) -> list[JSON]:
        """Messages authored by the bot (REST sends, interaction responses, follow-ups)."""
        cid = None if channel is None else self.get_channel(channel).id
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == self.bot_user.id
            and (cid is None or m["channel_id"] == cid)
            and (include_ephemeral or m["id"] not in self.ephemeral_message_ids)
        ]

    async def wait_for_message(
        self,
        channel: Any = None,
        *,
        author: Any = None,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,
    ) -> JSON:
        """First stored message (default author: the bot) in `channel` matching `predicate`."""
        author_id = self.bot_user.id if author is None else self.get_user(author).id
        cid = None if channel is None else self.get_channel(channel).id

        def find() -> JSON | None:
            for m in self.messages.values():
                if (
                    m["author"]["id"] == author_id
                    and (cid is None or m["channel_id"] == cid)
                    and (predicate is None or predicate(m))
                ):
                    return m
            return None

        result: JSON = await self.wait_until(find, timeout=timeout, what="message")
        return result

    @staticmethod
    def _replies_to_predicate(message: JSON | str | int) -> Callable[[RecordedRequest], bool]:
        target = str(message["id"] if isinstance(message, Mapping) else message)

        def check(rec: RecordedRequest) -> bool:
            body = rec.json if isinstance(rec.json, Mapping) else {}
            reference = body.get("message_reference") or {}
            # discord.py sends snowflakes in request bodies as ints: compare as strings
            return str(reference.get("message_id")) == target

        return check

    def replies_to(
        self, message: JSON | str | int, *, status: int | None = 200
    ) -> list[RecordedRequest]:
        """POST /channels/{id}/messages requests replying to `message` (payload or id)."""
        return self.requests_matching(
            "POST",
            "/channels/{channel_id}/messages",
            self._replies_to_predicate(message),
            status=status,
        )

    async def wait_for_reply(
        self, message: JSON | str | int, timeout: float = 5.0, *, status: int | None = 200
    ) -> RecordedRequest:
        """Wait for the bot's REST reply (message_reference) to `message`."""
        return await self.wait_for_request(
            "POST",
            "/channels/{channel_id}/messages",
            self._replies_to_predicate(message),
            timeout,
            status=status,
        )

    def rate_limit_next(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str],
        retry_after: float = 0.25,
        count: int = 1,
        global_: bool = False,
    ) -> None:
        """Answer the next `count` matching requests with a realistic 429 (Via header included)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        self._faults.append(
            _Fault(method, path_pattern, count, 429, body, retry_after=retry_after, global_=global_)
        )

    def fail_next(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str],
        status: int = 500,
        count: int = 1,
        *,
        code: int = 0,
        message: str | None = None,
        body: JSON | None = None,
    ) -> None:
        """Answer the next `count` matching requests with `status` (5xx, or e.g. 403/50013)."""
        payload = body or {"message": message or f"{status}: fake failure", "code": code}
        self._faults.append(_Fault(method, path_pattern, count, status, payload))

    def clear_faults(self) -> None:
        self._faults.clear()

    def _take_fault(self, method: str, path: str, route: str | None) -> _Fault | None:
        for fault in self._faults:
            if (
                fault.remaining > 0
                and _method_matches(fault.method, method)
                and _path_matches(fault.pattern, path, route)
            ):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None
