"""REST routes: users, the application, commands, channels, messages, guilds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .models import FakeChannel, FakeGuild, RecordedFile, RecordedRequest
from .routing import _HTTPError, _Reply
from .validation import _err, _validate_files, _validate_message_body
from .wire import _USER_MENTION, JSON, ChannelType, _now_iso


class Rest:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    async def _r_get_me(self, rec: RecordedRequest) -> _Reply:
        data = self.bot_user.to_payload()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US", bio="")
        return 200, data, {}

    async def _r_get_user(self, rec: RecordedRequest) -> _Reply:
        if rec.params["user_id"] not in self.users:
            raise _HTTPError(404, 10013, "Unknown User")
        return 200, self.users[rec.params["user_id"]].to_payload(), {}

    async def _r_open_dm(self, rec: RecordedRequest) -> _Reply:
        recipient = str((rec.json or {}).get("recipient_id"))
        if recipient not in self.users:
            raise _HTTPError(400, 50035, "Invalid Form Body")
        return 200, self.channel_payload(self.dm_channel(recipient)), {}

    async def _r_gateway(self, rec: RecordedRequest) -> _Reply:
        return 200, {"url": self.gateway_url}, {}

    async def _r_gateway_bot(self, rec: RecordedRequest) -> _Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}, {}

    async def _r_app_info(self, rec: RecordedRequest) -> _Reply:
        owner = self.users[self.guild.owner_id].to_payload()
        return (
            200,
            {
                "id": self.application_id,
                "name": self.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "bot": self.bot_user.to_payload(),
                "owner": owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            },
            {},
        )

    def _command_store(self, rec: RecordedRequest) -> tuple[dict[str, JSON], str | None]:
        if rec.params["application_id"] != self.application_id:
            raise _HTTPError(404, 10002, "Unknown Application")
        guild_id = rec.params.get("guild_id")
        if guild_id is None:
            return self.global_commands, None
        if guild_id not in self.guilds:
            raise _HTTPError(403, 50001, "Missing Access")
        return self.guild_commands.setdefault(guild_id, {}), guild_id

    def _command_object(
        self, body: Mapping[str, Any], guild_id: str | None, existing: JSON | None
    ) -> JSON:
        cmd: JSON = {
            "id": existing["id"] if existing else self._ids.next(),
            "application_id": self.application_id,
            "version": self._ids.next(),
            "type": body.get("type", 1),
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": list(body.get("options") or []),
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "nsfw": body.get("nsfw", False),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if guild_id is not None:
            cmd["guild_id"] = guild_id
        return cmd

    @staticmethod
    def _command_key(body: Mapping[str, Any]) -> str:
        return f"{body.get('type', 1)}:{body['name']}"

    async def _r_list_commands(self, rec: RecordedRequest) -> _Reply:
        store, _ = self._command_store(rec)
        return 200, list(store.values()), {}

    async def _r_bulk_commands(self, rec: RecordedRequest) -> _Reply:
        store, guild_id = self._command_store(rec)
        old = dict(store)
        store.clear()
        for body in rec.json or []:
            key = self._command_key(body)
            store[key] = self._command_object(body, guild_id, old.get(key))
        self._notify()
        return 200, list(store.values()), {}

    async def _r_upsert_command(self, rec: RecordedRequest) -> _Reply:
        store, guild_id = self._command_store(rec)
        key = self._command_key(rec.json)
        existed = key in store
        store[key] = self._command_object(rec.json, guild_id, store.get(key))
        return (200 if existed else 201), store[key], {}

    def _find_command(self, store: dict[str, JSON], command_id: str) -> tuple[str, JSON]:
        for key, cmd in store.items():
            if cmd["id"] == command_id:
                return key, cmd
        raise _HTTPError(404, 10063, "Unknown application command")

    async def _r_get_command(self, rec: RecordedRequest) -> _Reply:
        store, _ = self._command_store(rec)
        return 200, self._find_command(store, rec.params["command_id"])[1], {}

    async def _r_edit_command(self, rec: RecordedRequest) -> _Reply:
        store, guild_id = self._command_store(rec)
        key, cmd = self._find_command(store, rec.params["command_id"])
        del store[key]
        merged = {**cmd, **(rec.json or {})}
        store[self._command_key(merged)] = self._command_object(merged, guild_id, cmd)
        return 200, store[self._command_key(merged)], {}

    async def _r_delete_command(self, rec: RecordedRequest) -> _Reply:
        store, _ = self._command_store(rec)
        key, _cmd = self._find_command(store, rec.params["command_id"])
        del store[key]
        return 204, None, {}

    def _channel_or_404(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _HTTPError(404, 10003, "Unknown Channel")
        return channel

    def _message_or_404(self, channel_id: str, message_id: str) -> JSON:
        msg = self.messages.get(message_id)
        if msg is None or msg["channel_id"] != channel_id:
            raise _HTTPError(404, 10008, "Unknown Message")
        return msg

    async def _r_get_channel(self, rec: RecordedRequest) -> _Reply:
        return 200, self.channel_payload(self._channel_or_404(rec.params["channel_id"])), {}

    async def _r_no_content(self, rec: RecordedRequest) -> _Reply:
        self._channel_or_404(rec.params["channel_id"])
        return 204, None, {}

    async def _r_history(self, rec: RecordedRequest) -> _Reply:
        channel = self._channel_or_404(rec.params["channel_id"])
        limit = int(rec.query.get("limit", 50))
        msgs = self.channel_messages(channel)
        if "before" in rec.query:
            msgs = [m for m in msgs if int(m["id"]) < int(rec.query["before"])]
        if "after" in rec.query:
            msgs = [m for m in msgs if int(m["id"]) > int(rec.query["after"])][:limit]
        return 200, [self._rest_message(m) for m in reversed(msgs[-limit:])], {}

    async def _r_get_message(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        return 200, self._rest_message(msg), {}

    def _reference_from(self, channel: FakeChannel, body: Mapping[str, Any]) -> JSON | None:
        ref = body.get("message_reference")
        if not ref:
            return None
        ref_id = str(ref.get("message_id"))
        if ref_id not in self.messages and ref.get("fail_if_not_exists", True):
            raise _HTTPError(
                400,
                50035,
                "Invalid Form Body",
                {"message_reference": _err("REPLIES_UNKNOWN_MESSAGE", "Unknown message")},
            )
        return {
            "type": ref.get("type", 0),
            "message_id": ref_id,
            "channel_id": str(ref.get("channel_id") or channel.id),
            "guild_id": channel.guild_id,
        }

    async def _r_create_message(self, rec: RecordedRequest) -> _Reply:
        channel = self._channel_or_404(rec.params["channel_id"])
        body = rec.json or {}
        _validate_message_body(body, n_files=len(rec.files))
        _validate_files([len(f.data) for f in rec.files])
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord answers a repeated nonce with the message it already created (no new
            # MESSAGE_CREATE); discord.py sends nonce + enforce_nonce on every send.
            for existing in self.channel_messages(channel):
                if existing.get("nonce") == nonce and existing["author"]["id"] == self.bot_user.id:
                    return 200, self._rest_message(existing), {}
        msg = self._build_message(
            channel=channel,
            author=self.bot_user.to_payload(),
            content=str(body.get("content") or ""),
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(channel, body, rec.files),
            flags=int(body.get("flags") or 0),
            reference=self._reference_from(channel, body),
            tts=bool(body.get("tts")),
            nonce=body.get("nonce"),
            allowed_mentions=body.get("allowed_mentions"),
            enforce_allowed_mentions=True,
        )
        self._store_message(msg)
        await self.dispatch("MESSAGE_CREATE", msg)
        return 200, self._rest_message(msg), {}

    def _apply_edit(
        self, msg: JSON, body: Mapping[str, Any], files: Sequence[RecordedFile]
    ) -> None:
        _validate_message_body(body, n_files=len(files), edit=True)
        channel = self.channels[msg["channel_id"]]
        if "content" in body:
            msg["content"] = str(body["content"] or "")
            guild = self._guild_of(channel)
            if msg["author"]["id"] == self.bot_user.id:
                users, roles, everyone = self._pings(
                    msg["content"], body.get("allowed_mentions"), None
                )
            else:
                users, roles = _USER_MENTION.findall(msg["content"]), []
                everyone = msg["mention_everyone"]
            msg["mentions"] = self._mentions_payload(users, guild)
            msg["mention_roles"] = [r for r in roles if guild and r in guild.roles]
            msg["mention_everyone"] = everyone
        for key in ("embeds", "components"):
            if key in body:
                msg[key] = list(body[key] or [])
        if "flags" in body and body["flags"] is not None:
            # only SUPPRESS_EMBEDS may be toggled; the loading flag (128) clears on edit
            msg["flags"] = (msg["flags"] & ~4 & ~128) | (int(body["flags"]) & 4)
        else:
            msg["flags"] &= ~128
        if "attachments" in body or files:
            keep = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in msg["attachments"] if a["id"] in keep]
            msg["attachments"] = kept + self._attachments_from(channel, body, files)
        msg["edited_timestamp"] = _now_iso()
        self._notify()

    async def _r_edit_message(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        body = rec.json or {}
        if msg["author"]["id"] != self.bot_user.id and set(body) - {"flags"}:
            raise _HTTPError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, body, rec.files)
        await self.dispatch("MESSAGE_UPDATE", msg)
        return 200, self._rest_message(msg), {}

    async def _delete_message(self, msg: JSON) -> None:
        self.messages.pop(msg["id"], None)
        if msg["id"] in self.ephemeral_message_ids:
            self.ephemeral_message_ids.discard(msg["id"])
            return
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        self._notify()
        await self.dispatch("MESSAGE_DELETE", data)

    async def _r_delete_message(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        await self._delete_message(msg)
        return 204, None, {}

    @staticmethod
    def _emoji(raw: str) -> JSON:
        if ":" in raw:
            name, _, emoji_id = raw.partition(":")
            return {"id": emoji_id, "name": name}
        return {"id": None, "name": raw}

    def _reaction_event(self, msg: JSON, emoji: JSON, user_id: str) -> JSON:
        data: JSON = {
            "user_id": user_id,
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        return data

    async def _r_add_reaction(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        emoji = self._emoji(rec.params["emoji"])
        for reaction in msg["reactions"]:
            if reaction["emoji"] == emoji:
                if self.bot_user.id not in reaction["_users"]:
                    reaction["_users"].append(self.bot_user.id)
                    reaction["count"] += 1
                reaction["me"] = True
                break
        else:
            msg["reactions"].append(
                {
                    "emoji": emoji,
                    "count": 1,
                    "me": True,
                    "burst_count": 0,
                    "me_burst": False,
                    "count_details": {"burst": 0, "normal": 1},
                    "burst_colors": [],
                    "_users": [self.bot_user.id],
                }
            )
        data = self._reaction_event(msg, emoji, self.bot_user.id)
        guild = self.guilds.get(msg.get("guild_id", ""))
        if guild is not None:
            data["member"] = self.member_payload(self.bot_user, guild=guild)
        data["message_author_id"] = msg["author"]["id"]
        await self.dispatch("MESSAGE_REACTION_ADD", data)
        return 204, None, {}

    async def _r_remove_reaction(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        emoji = self._emoji(rec.params["emoji"])
        user_id = rec.params.get("user_id", self.bot_user.id)
        for reaction in list(msg["reactions"]):
            if reaction["emoji"] == emoji and user_id in reaction["_users"]:
                reaction["_users"].remove(user_id)
                reaction["count"] -= 1
                reaction["me"] = self.bot_user.id in reaction["_users"]
                if reaction["count"] <= 0:
                    msg["reactions"].remove(reaction)
        await self.dispatch("MESSAGE_REACTION_REMOVE", self._reaction_event(msg, emoji, user_id))
        return 204, None, {}

    async def _r_get_reactions(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        emoji = self._emoji(rec.params["emoji"])
        for reaction in msg["reactions"]:
            if reaction["emoji"] == emoji:
                return 200, [self.users[u].to_payload() for u in reaction["_users"]], {}
        return 200, [], {}

    async def _r_clear_reactions(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        if "emoji" in rec.params:
            emoji = self._emoji(rec.params["emoji"])
            msg["reactions"] = [r for r in msg["reactions"] if r["emoji"] != emoji]
        else:
            msg["reactions"] = []
        return 204, None, {}

    async def _r_create_thread(self, rec: RecordedRequest) -> _Reply:
        parent = self._channel_or_404(rec.params["channel_id"])
        body = rec.json or {}
        private = body.get("type") == ChannelType.PRIVATE_THREAD
        thread = FakeChannel(
            id=rec.params.get("message_id") or self._ids.next(),
            type=ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD,
            name=str(body.get("name") or "thread"),
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
        )
        self.channels[thread.id] = thread
        if thread.guild_id is not None:
            self.guilds[thread.guild_id].channel_ids.append(thread.id)
        payload = self.channel_payload(thread)
        await self.dispatch("THREAD_CREATE", {**payload, "newly_created": True})
        return 201, payload, {}

    def _guild_or_404(self, guild_id: str) -> FakeGuild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise _HTTPError(404, 10004, "Unknown Guild")
        return guild

    async def _r_get_guild(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        data = self.guild_payload(guild)
        if rec.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return 200, data, {}

    async def _r_guild_channels(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        chans = [self.channels[c] for c in guild.channel_ids if not self.channels[c].is_thread]
        return 200, [self.channel_payload(c) for c in chans], {}

    async def _r_guild_roles(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        return 200, [r.to_payload() for r in guild.roles.values()], {}

    async def _r_list_members(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        limit = int(rec.query.get("limit", 1))
        after = int(rec.query.get("after", 0))
        ids = sorted((uid for uid in guild.members if int(uid) > after), key=int)[:limit]
        return 200, [guild.members[u].to_payload(self.users[u]) for u in ids], {}

    async def _r_get_member(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        member = guild.members.get(rec.params["user_id"])
        if member is None:
            raise _HTTPError(404, 10007, "Unknown Member")
        return 200, member.to_payload(self.users[member.user_id]), {}

    async def _r_member_role(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        member = guild.members.get(rec.params["user_id"])
        if member is None:
            raise _HTTPError(404, 10007, "Unknown Member")
        role_id = rec.params["role_id"]
        if role_id not in guild.roles:
            raise _HTTPError(404, 10011, "Unknown Role")
        if rec.method == "PUT" and role_id not in member.roles:
            member.roles.append(role_id)
        elif rec.method == "DELETE" and role_id in member.roles:
            member.roles.remove(role_id)
        data = member.to_payload(self.users[member.user_id])
        data["guild_id"] = guild.id
        await self.dispatch("GUILD_MEMBER_UPDATE", data)
        return 204, None, {}
