"""REST routes of interactions: callbacks, the original response, follow-ups."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from .models import FakeInteraction, RecordedFile, RecordedRequest
from .routing import _ALLOWED_CALLBACKS, _HTTPError, _Reply
from .validation import _err, _validate_files, _validate_message_body, _validate_modal
from .wire import JSON


class Interactions:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    def _interaction_by_token(self, token: str) -> FakeInteraction | None:
        for inter in self.interactions.values():
            if inter.token == token:
                return inter
        return None

    def _interaction_author(self, inter: FakeInteraction) -> JSON:
        return self.bot_user.to_payload()

    def _interaction_metadata(self, inter: FakeInteraction) -> JSON:
        meta: JSON = {
            "id": inter.id,
            "type": inter.type,
            "user": self.users[inter.user_id].to_payload(),
            "authorizing_integration_owners": dict(inter.payload["authorizing_integration_owners"]),
        }
        if inter.type == 2:
            meta["name"] = inter.payload["data"]["name"]
            meta["command_type"] = inter.payload["data"].get("type", 1)
        if inter.message_id is not None:
            meta["interacted_message_id"] = inter.message_id
        return meta

    def _interaction_message(
        self,
        inter: FakeInteraction,
        body: Mapping[str, Any],
        files: Sequence[RecordedFile],
        *,
        loading: bool = False,
    ) -> JSON:
        channel = self.channels[inter.channel_id]
        flags = int(body.get("flags") or 0) | (128 if loading else 0)
        if not loading:
            _validate_message_body(body, n_files=len(files))
            _validate_files([len(f.data) for f in files])
        return self._build_message(
            channel=channel,
            author=self._interaction_author(inter),
            content=str(body.get("content") or ""),
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(channel, body, files),
            flags=flags,
            message_type=20 if inter.type == 2 else 0,
            webhook_id=self.application_id,
            application_id=self.application_id,
            interaction_metadata=self._interaction_metadata(inter),
            tts=bool(body.get("tts")),
            allowed_mentions=body.get("allowed_mentions"),
            enforce_allowed_mentions=True,
        )

    async def _r_interaction_callback(self, rec: RecordedRequest) -> _Reply:
        inter = self.interactions.get(rec.params["interaction_id"])
        if inter is None or inter.token != rec.params["interaction_token"]:
            raise _HTTPError(404, 10062, "Unknown interaction")
        inter.callbacks.append(rec)
        if inter.response_type is not None:
            raise _HTTPError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter.created_at > self.interaction_ack_timeout:
            raise _HTTPError(404, 10062, "Unknown interaction")
        body = rec.json or {}
        rtype = int(body.get("type", 0))
        data: JSON = dict(body.get("data") or {})
        ephemeral = bool(int(data.get("flags") or 0) & 64)
        message: JSON | None = None
        if rtype not in _ALLOWED_CALLBACKS.get(inter.type, ()):
            allowed = sorted(_ALLOWED_CALLBACKS.get(inter.type, ()))
            raise _HTTPError(
                400,
                50035,
                "Invalid Form Body",
                {"type": _err("BASE_TYPE_CHOICES", f"Value must be one of {allowed}.")},
            )
        if rtype == 9:
            _validate_modal(data)
        if rtype in (4, 5):
            message = self._interaction_message(inter, data, rec.files, loading=rtype == 5)
            self._store_message(message, ephemeral=ephemeral)
            inter.original_message_id = message["id"]
        elif rtype in (6, 7):
            if inter.message_id is None or inter.message_id not in self.messages:
                raise _HTTPError(400, 40004, "Interaction has no message to update")
            inter.original_message_id = inter.message_id
            if rtype == 7:
                message = self.messages[inter.message_id]
                self._apply_edit(message, data, rec.files)
                ephemeral = message["id"] in self.ephemeral_message_ids
        inter.response_type = rtype
        inter.response_data = data
        self._notify()
        if message is not None and not ephemeral:
            await self.dispatch("MESSAGE_UPDATE" if rtype == 7 else "MESSAGE_CREATE", message)
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return 204, None, {}
        info: JSON = {"id": inter.id, "type": inter.type}
        if message is not None:
            info.update(
                response_message_id=message["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=ephemeral,
            )
        resource: JSON = {"type": rtype}
        if message is not None:
            resource["message"] = self._rest_message(message)
        return 200, {"interaction": info, "resource": resource}, {}

    def _webhook_interaction(self, rec: RecordedRequest) -> FakeInteraction:
        inter = self._interaction_by_token(rec.params["webhook_token"])
        if inter is None or rec.params["webhook_id"] != self.application_id:
            raise _HTTPError(404, 10015, "Unknown Webhook")
        return inter

    async def _r_execute_webhook(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        if inter.response_type is None:
            raise _HTTPError(404, 10015, "Unknown Webhook")
        body = rec.json or {}
        ephemeral = bool(int(body.get("flags") or 0) & 64)
        message = self._interaction_message(inter, body, rec.files)
        message["type"] = 0
        self._store_message(message, ephemeral=ephemeral)
        inter.followup_ids.append(message["id"])
        if not ephemeral:
            await self.dispatch("MESSAGE_CREATE", message)
        if rec.query.get("wait") in ("1", "true", "True"):
            return 200, self._rest_message(message), {}
        return 204, None, {}

    def _webhook_message(self, inter: FakeInteraction, message_id: str) -> JSON:
        if message_id == "@original":
            if inter.original_message_id is None or inter.original_message_id not in self.messages:
                raise _HTTPError(404, 10008, "Unknown Message")
            return self.messages[inter.original_message_id]
        if message_id not in self.messages or message_id not in (
            *inter.followup_ids,
            inter.original_message_id,
        ):
            raise _HTTPError(404, 10008, "Unknown Message")
        return self.messages[message_id]

    async def _r_webhook_get_message(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        return 200, self._rest_message(self._webhook_message(inter, rec.params["message_id"])), {}

    async def _r_webhook_edit_message(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        msg = self._webhook_message(inter, rec.params["message_id"])
        self._apply_edit(msg, rec.json or {}, rec.files)
        if msg["id"] not in self.ephemeral_message_ids:
            await self.dispatch("MESSAGE_UPDATE", msg)
        return 200, self._rest_message(msg), {}

    async def _r_webhook_delete_message(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        msg = self._webhook_message(inter, rec.params["message_id"])
        await self._delete_message(msg)
        return 204, None, {}
