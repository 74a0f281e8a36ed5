"""Test-side builders: members posting messages, slash commands, clicks, modal submits."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from .models import FakeChannel, FakeGuild, FakeInteraction, FakeRole, FakeUser, RecordedRequest
from .validation import text_inputs
from .wire import ATTACHMENT_SIZE_LIMIT, JSON, Perm


class Events:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    def _author_payload(self, author: Any, webhook_id: Any) -> JSON:
        if webhook_id is not None:
            return {
                "id": str(webhook_id),
                "username": "Webhook" if author is None else str(author),
                "discriminator": "0000",
                "avatar": None,
                "bot": True,
                "global_name": None,
                "public_flags": 0,
            }
        return self.get_user(author).to_payload()

    async def message_create(
        self,
        channel_id: Any,
        author_id: Any,
        content: str,
        *,
        mentions_bot: bool = False,
        webhook_id: Any = None,
        reference_message_id: Any = None,
        mention_everyone: bool = False,
        guild: bool = True,
        embeds: Sequence[JSON] | None = None,
        attachments: Sequence[JSON] | None = None,
        components: Sequence[JSON] | None = None,
        mentions: Iterable[Any] = (),
        ping_reply: bool = True,
        dispatch: bool = True,
    ) -> JSON:
        """A user (or webhook) posts a message; dispatched as MESSAGE_CREATE and stored.

        `channel_id`/`author_id` accept snowflakes, names ("general", "alice") or objects.
        `guild=False` (with channel_id None) posts in the author's DM with the bot.
        `mentions_bot` prepends ``<@bot>`` unless the content already has it. A reply
        (`reference_message_id`) pings the replied author like Discord's default.
        Returns the canonical payload (before per-session Message Content redaction).
        """
        if channel_id is None:
            if guild:
                raise ValueError("channel_id is required for guild messages")
            channel = self.dm_channel(author_id)
        else:
            channel = self.get_channel(channel_id)
        author = self._author_payload(author_id, webhook_id)
        bot_mention = f"<@{self.bot_user.id}>"
        if mentions_bot and bot_mention not in content and f"<@!{self.bot_user.id}>" not in content:
            content = f"{bot_mention} {content}"
        extra = [self.get_user(m).id for m in mentions]
        reference = None
        if reference_message_id is not None:
            ref_id = str(reference_message_id)
            reference = {"type": 0, "message_id": ref_id, "channel_id": channel.id}
            if channel.guild_id is not None:
                reference["guild_id"] = channel.guild_id
            if ping_reply and ref_id in self.messages:
                extra.append(self.messages[ref_id]["author"]["id"])
        att = []
        for a in attachments or []:
            att_id = str(a.get("id") or self._ids.next())
            data = a.get("data")
            filename = str(a.get("filename", "file.txt"))
            url = f"{self.http_base}/attachments/{channel.id}/{att_id}/{filename}"
            if isinstance(data, bytes):
                self.attachments[att_id] = (data, a.get("content_type"))
            entry = {
                "id": att_id,
                "filename": filename,
                "url": url,
                "proxy_url": url,
                "size": len(data) if isinstance(data, bytes) else int(a.get("size", 0)),
            }
            entry.update({k: v for k, v in a.items() if k not in ("data", "id")})
            entry.setdefault("content_type", None)
            att.append(entry)
        msg = self._build_message(
            channel=channel,
            author=author,
            content=content,
            embeds=embeds,
            components=components,
            attachments=att,
            reference=reference,
            webhook_id=None if webhook_id is None else str(webhook_id),
            mention_everyone=mention_everyone,
            extra_mentions=extra,
        )
        self._store_message(msg)
        if dispatch:
            await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    def seed_message(
        self,
        channel_id: Any,
        author_id: Any,
        content: str = "",
        *,
        components: Sequence[JSON] | None = None,
        embeds: Sequence[JSON] | None = None,
    ) -> JSON:
        """Store a message that predates the connection (e.g. an old persistent-view panel)."""
        channel = self.get_channel(channel_id)
        author = self.get_user(author_id)
        msg = self._build_message(
            channel=channel,
            author=author.to_payload(),
            content=content,
            embeds=embeds,
            components=components,
        )
        return self._store_message(msg)

    def _new_interaction(
        self,
        itype: int,
        data: JSON | None,
        *,
        user_id: Any,
        channel_id: Any,
        guild: bool,
        locale: str,
        message: JSON | None = None,
    ) -> FakeInteraction:
        user = self.get_user(user_id)
        if guild:
            channel = self.get_channel("general" if channel_id is None else channel_id)
        else:
            channel = self.dm_channel(user) if channel_id is None else self.get_channel(channel_id)
        g = self._guild_of(channel)
        payload: JSON = {
            "id": self._ids.next(),
            "application_id": self.application_id,
            "type": itype,
            "token": "fake-" + secrets.token_urlsafe(32),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": channel.id,
        }
        if data is not None:
            payload["data"] = data
        channel_data = self.channel_payload(channel)
        if g is not None:
            if user.id not in g.members:
                raise KeyError(f"{user.username} is not a member of {g.name}")
            perms = self.permissions_for(user, channel)
            channel_data["permissions"] = str(perms)
            payload.update(
                guild_id=g.id,
                guild={"id": g.id, "locale": g.locale, "features": list(g.features)},
                guild_locale=g.locale,
                member=g.members[user.id].to_payload(user, permissions=perms),
                app_permissions=str(self.permissions_for(self.bot_user, channel)),
                context=0,
                authorizing_integration_owners={"0": g.id},
            )
        else:
            channel_data["permissions"] = str(Perm.DM)
            payload.update(
                user=user.to_payload(),
                app_permissions=str(Perm.DM),
                context=1,
                authorizing_integration_owners={"0": "0"},
            )
        payload["channel"] = channel_data
        if message is not None:
            payload["message"] = self._rest_message(message)
        inter = FakeInteraction(
            id=payload["id"],
            token=payload["token"],
            type=itype,
            payload=payload,
            user_id=user.id,
            channel_id=channel.id,
            guild_id=None if g is None else g.id,
            created_at=time.monotonic(),
            message_id=None if message is None else message["id"],
        )
        self.interactions[inter.id] = inter
        return inter

    def _registered_command(
        self, name: str, guild_id: str | None, ctype: int = 1
    ) -> tuple[JSON | None, str | None]:
        """The synced command for `name` (guild-scoped first), and its guild_id if guild-scoped."""
        key = f"{ctype}:{name}"
        if guild_id is not None and key in self.guild_commands.get(guild_id, {}):
            return self.guild_commands[guild_id][key], guild_id
        return self.global_commands.get(key), None

    @staticmethod
    def _infer_option_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        return 3

    def _resolve_option(
        self,
        opt_type: int,
        value: Any,
        resolved: JSON,
        guild: FakeGuild | None,
        channel: FakeChannel,
        invoker: FakeUser,
    ) -> Any:
        """Fill `resolved` for user/channel/role/mentionable options and return the wire value.

        Values may be names or objects; resolved members/channels carry permission strings
        (the member's, and the invoking user's in the channel, as Discord sends them).
        """
        if opt_type in (6, 9):  # user, mentionable
            with contextlib.suppress(KeyError):
                user = self.get_user(value)
                resolved.setdefault("users", {})[user.id] = user.to_payload()
                if guild is not None and user.id in guild.members:
                    member = guild.members[user.id].to_payload(
                        permissions=self.permissions_for(user, channel)
                    )
                    resolved.setdefault("members", {})[user.id] = member
                return user.id
        if opt_type in (8, 9) and guild is not None:  # role, mentionable
            with contextlib.suppress(KeyError):
                role = self.get_role(value, guild=guild)
                resolved.setdefault("roles", {})[role.id] = role.to_payload()
                return role.id
        if opt_type == 7:  # channel
            with contextlib.suppress(KeyError):
                ch = self.get_channel(value)
                data = self.channel_payload(ch)
                data["permissions"] = self.permissions_str(invoker, ch)
                resolved.setdefault("channels", {})[ch.id] = data
                return ch.id
        if opt_type == 11:  # attachment: value is (filename, bytes[, content_type])
            filename, data, *rest = value
            att_id = self._ids.next()
            url = f"{self.http_base}/attachments/{channel.id}/{att_id}/{filename}"
            content_type = rest[0] if rest else None
            self.attachments[att_id] = (bytes(data), content_type)
            resolved.setdefault("attachments", {})[att_id] = {
                "id": att_id,
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": content_type,
            }
            return att_id
        if isinstance(value, (FakeUser, FakeChannel, FakeRole)):
            return value.id
        return value

    def _build_options(
        self,
        options: Mapping[str, Any] | Sequence[JSON] | None,
        definitions: Sequence[JSON] | None,
        resolved: JSON,
        guild: FakeGuild | None,
        channel: FakeChannel,
        invoker: FakeUser,
        focused: str | None = None,
    ) -> list[JSON]:
        if options is None:
            return []
        if not isinstance(options, Mapping):
            return [dict(o) for o in options]
        defs = {d["name"]: d for d in definitions or [] if isinstance(d, Mapping)}
        out: list[JSON] = []
        for name, value in options.items():
            opt_type = int(defs[name]["type"]) if name in defs else self._infer_option_type(value)
            if name == focused:
                out.append({"name": name, "type": opt_type, "value": str(value), "focused": True})
                continue
            wire = self._resolve_option(opt_type, value, resolved, guild, channel, invoker)
            out.append({"name": name, "type": opt_type, "value": wire})
        return out

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None,
        *,
        channel: FakeChannel,
        invoker: Any,
        focused: str | None = None,
        command_guild_id: Any = None,
    ) -> JSON:
        parts = name.split()
        guild = self._guild_of(channel)
        lookup_guild = (
            str(command_guild_id) if command_guild_id is not None else (guild.id if guild else None)
        )
        cmd, cmd_guild = self._registered_command(parts[0], lookup_guild)
        if command_guild_id is not None:
            cmd_guild = str(command_guild_id)
        definitions: Sequence[JSON] | None = None if cmd is None else cmd.get("options")
        resolved: JSON = {}
        # walk the definitions down the subcommand path (group -> subcommand)
        path_defs: list[JSON | None] = []
        for part in parts[1:]:
            found = next((d for d in definitions or [] if d.get("name") == part), None)
            path_defs.append(found)
            definitions = None if found is None else found.get("options")
        user = self.get_user(invoker)
        leaf = self._build_options(options, definitions, resolved, guild, channel, user, focused)
        for part, found in reversed(list(zip(parts[1:], path_defs, strict=True))):
            default_kind = 1 if part == parts[-1] else 2  # subcommand vs group
            kind = int(found["type"]) if found is not None else default_kind
            leaf = [{"name": part, "type": kind, "options": leaf}]
        data: JSON = {
            "id": cmd["id"] if cmd else self._ids.next(),
            "name": parts[0],
            "type": 1,
            "options": leaf,
        }
        if cmd_guild is not None:
            data["guild_id"] = cmd_guild
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None = None,
        *,
        user_id: Any,
        channel_id: Any = None,
        guild: bool = True,
        locale: str = "en-US",
        command_guild_id: Any = None,
    ) -> JSON:
        """A user runs a slash command (INTERACTION_CREATE type 2); returns the payload.

        `name` may be a path: "group sub" or "cmd sub". `options` is {name: value} (types come
        from the synced command if the bot ran tree.sync(), else inferred from Python types;
        users/channels/roles may be given by name and get `resolved` data), or raw option dicts.
        `data.guild_id` is set when the command was synced to the guild (discord.py routes by it)
        or when `command_guild_id` is given. Channel defaults to "general" (guild) or the DM.
        """
        channel = self._interaction_channel(user_id, channel_id, guild)
        data = self._command_data(
            name, options, channel=channel, invoker=user_id, command_guild_id=command_guild_id
        )
        inter = self._new_interaction(
            2, data, user_id=user_id, channel_id=channel.id, guild=guild, locale=locale
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user_id: Any = "alice",
        channel_id: Any = None,
        guild: bool = True,
        locale: str = "en-US",
    ) -> JSON:
        """A user types into an autocomplete option (INTERACTION_CREATE type 4)."""
        channel = self._interaction_channel(user_id, channel_id, guild)
        data = self._command_data(name, options, channel=channel, invoker=user_id, focused=focused)
        inter = self._new_interaction(
            4, data, user_id=user_id, channel_id=channel.id, guild=guild, locale=locale
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def context_menu(
        self,
        name: str,
        target: Any,
        *,
        kind: Literal["user", "message"] = "message",
        user_id: Any,
        channel_id: Any = None,
        guild: bool = True,
    ) -> JSON:
        """A user runs a user/message context-menu command on `target`."""
        channel = self._interaction_channel(user_id, channel_id, guild)
        g = self._guild_of(channel)
        ctype = 3 if kind == "message" else 2
        cmd, cmd_guild = self._registered_command(name, g.id if g else None, ctype)
        resolved: JSON = {}
        if kind == "message":
            msg = self.messages[str(target["id"] if isinstance(target, Mapping) else target)]
            target_id = msg["id"]
            resolved["messages"] = {target_id: self._rest_message(msg)}
        else:
            invoker = self.get_user(user_id)
            target_id = self._resolve_option(6, target, resolved, g, channel, invoker)
        data: JSON = {
            "id": cmd["id"] if cmd else self._ids.next(),
            "name": name,
            "type": ctype,
            "target_id": target_id,
            "resolved": resolved,
        }
        if cmd_guild is not None:
            data["guild_id"] = cmd_guild
        inter = self._new_interaction(
            2, data, user_id=user_id, channel_id=channel.id, guild=guild, locale="en-US"
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    def _interaction_channel(self, user_id: Any, channel_id: Any, guild: bool) -> FakeChannel:
        if channel_id is not None:
            return self.get_channel(channel_id)
        return self.get_channel("general") if guild else self.dm_channel(user_id)

    async def component_click(
        self,
        message: JSON | Any,
        custom_id: str,
        *,
        user_id: Any,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        channel_id: Any = None,
    ) -> JSON:
        """A user clicks a button / picks select values on `message` (payload or id).

        An id the fake has never seen gets a synthetic bot message carrying that button, so a
        persistent view can be exercised without first posting its panel.
        """
        if isinstance(message, Mapping):
            msg = dict(message)
        elif str(message) in self.messages:
            msg = self.messages[str(message)]
        else:
            channel = self.get_channel("general" if channel_id is None else channel_id)
            button = {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id}
            msg = self._build_message(
                channel=channel,
                author=self.bot_user.to_payload(),
                components=[{"type": 1, "components": [button]}],
            )
            msg["id"] = str(message)
            self._store_message(msg)
        channel = self.channels[msg["channel_id"]]
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type in (3, 5, 6, 7, 8):
            data["values"] = [str(v) for v in values or []]
        inter = self._new_interaction(
            3,
            data,
            user_id=user_id,
            channel_id=channel.id,
            guild=channel.guild_id is not None,
            locale="en-US",
            message=msg,
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def modal_submit(
        self,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        user_id: Any,
        channel_id: Any = None,
        guild: bool = True,
        message: JSON | Any = None,
        labels: bool = False,
    ) -> JSON:
        """A user submits a modal: `fields` maps text-input custom_id -> value.

        `labels=True` sends the newer Label (type 18) wrapping instead of action rows.
        Like Discord, refuses (ValueError) a value longer than the shown box's `max_length`.
        """
        self._check_modal_values(custom_id, fields)
        channel = self._interaction_channel(user_id, channel_id, guild)
        comps: list[JSON] = []
        for cid, value in fields.items():
            text_input = {"type": 4, "custom_id": cid, "value": value}
            comps.append(
                {"type": 18, "component": text_input}
                if labels
                else {"type": 1, "components": [text_input]}
            )
        msg = None
        if message is not None:
            msg = message if isinstance(message, Mapping) else self.messages[str(message)]
        inter = self._new_interaction(
            5,
            {"custom_id": custom_id, "components": comps},
            user_id=user_id,
            channel_id=channel.id,
            guild=guild,
            locale="en-US",
            message=None if msg is None else dict(msg),
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    def _check_modal_values(self, custom_id: str, fields: Mapping[str, str]) -> None:
        shown = [
            inter.response_data
            for inter in self.interactions.values()
            if inter.response_type == 9
            and (inter.response_data or {}).get("custom_id") == custom_id
        ]
        if not shown:
            return
        for box in text_inputs(shown[-1] or {}):
            value = fields.get(str(box.get("custom_id")), "")
            limit = box.get("max_length")
            if limit is not None and len(value) > int(limit):
                raise ValueError(
                    f"Discord sends no {len(value)} characters from a box of max_length {limit}"
                )

    async def wait_for_interaction_response(
        self, interaction: JSON | str, timeout: float = 5.0
    ) -> FakeInteraction:
        """Wait until the bot acknowledged `interaction` (callback accepted); returns its state."""
        iid = str(interaction["id"] if isinstance(interaction, Mapping) else interaction)

        def done() -> FakeInteraction | None:
            inter = self.interactions[iid]
            return inter if inter.response_type is not None else None

        result: FakeInteraction = await self.wait_until(
            done, timeout=timeout, what=f"interaction {iid} response"
        )
        return result

    async def wait_for_interaction_callback(
        self, interaction: JSON | str, timeout: float = 5.0
    ) -> RecordedRequest:
        """The recorded POST .../callback request for `interaction` (first one)."""
        iid = str(interaction["id"] if isinstance(interaction, Mapping) else interaction)
        return await self.wait_for_request(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            lambda r: r.params.get("interaction_id") == iid,
            timeout,
        )

    async def wait_for_followup(
        self, interaction: JSON | str, count: int = 1, timeout: float = 5.0
    ) -> list[JSON]:
        """Wait for `count` follow-up messages on `interaction`; returns them."""
        iid = str(interaction["id"] if isinstance(interaction, Mapping) else interaction)

        def done() -> list[JSON] | None:
            inter = self.interactions[iid]
            if len(inter.followup_ids) < count:
                return None
            return [self.messages[m] for m in inter.followup_ids if m in self.messages]

        result: list[JSON] = await self.wait_until(
            done, timeout=timeout, what=f"follow-ups of {iid}"
        )
        return result
