"""Gateway and REST payload shapes built from the world."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .models import FakeChannel, FakeGuild, RecordedFile
from .wire import _ROLE_MENTION, _USER_MENTION, JSON, Intents, _now_iso


class Payloads:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    def user_payload(self, user: Any) -> JSON:
        return self.get_user(user).to_payload()

    def member_payload(
        self, user: Any, *, guild: Any = None, with_user: bool = True, channel: Any = None
    ) -> JSON:
        """Member object; with `channel`, includes the interaction-style `permissions` string."""
        g = self.get_guild(guild)
        u = self.get_user(user)
        perms = None if channel is None else self.permissions_for(u, channel)
        return g.members[u.id].to_payload(u if with_user else None, permissions=perms)

    def channel_payload(self, channel: Any) -> JSON:
        ch = self.get_channel(channel)
        if ch.is_dm:
            return {
                "id": ch.id,
                "type": ch.type,
                "last_message_id": ch.last_message_id,
                "flags": 0,
                "recipients": [self.users[r].to_payload() for r in ch.recipient_ids],
            }
        data: JSON = {
            "id": ch.id,
            "type": ch.type,
            "guild_id": ch.guild_id,
            "name": ch.name,
            "parent_id": ch.parent_id,
            "last_message_id": ch.last_message_id,
            "rate_limit_per_user": ch.rate_limit_per_user,
            "flags": 0,
        }
        if ch.is_thread:
            count = sum(1 for m in self.messages.values() if m["channel_id"] == ch.id)
            data.update(
                owner_id=ch.owner_id,
                message_count=count,
                total_message_sent=count,
                member_count=1,
                thread_metadata={
                    "archived": ch.archived,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": ch.created_at,
                    "locked": ch.locked,
                    "create_timestamp": ch.created_at,
                },
            )
        else:
            data.update(
                position=ch.position,
                permission_overwrites=[o.to_payload() for o in ch.overwrites],
                topic=ch.topic,
                nsfw=ch.nsfw,
                default_auto_archive_duration=1440,
            )
        return data

    def guild_payload(self, guild: Any = None) -> JSON:
        """REST-shaped guild object (no channels/members)."""
        g = self.get_guild(guild)
        return {
            "id": g.id,
            "name": g.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": g.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": g.locale,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "features": list(g.features),
            "roles": [r.to_payload() for r in g.roles.values()],
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
        }

    def guild_create_payload(self, guild: Any = None, *, intents: int | None = None) -> JSON:
        """GUILD_CREATE: full guild; without GUILD_MEMBERS only the bot's member is included."""
        g = self.get_guild(guild)
        members_allowed = intents is None or bool(intents & Intents.GUILD_MEMBERS)
        member_ids = [uid for uid in g.members if members_allowed or uid == self.bot_user.id]
        channels = [self.channels[cid] for cid in g.channel_ids]
        data = self.guild_payload(g)
        data.update(
            joined_at=g.joined_at,
            large=False,
            unavailable=False,
            member_count=len(g.members),
            voice_states=[],
            members=[g.members[uid].to_payload(self.users[uid]) for uid in member_ids],
            channels=[self.channel_payload(c) for c in channels if not c.is_thread],
            threads=[self.channel_payload(c) for c in channels if c.is_thread],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def _mentions_payload(self, user_ids: Iterable[str], guild: FakeGuild | None) -> list[JSON]:
        out: list[JSON] = []
        seen: set[str] = set()
        for uid in user_ids:
            if uid in seen or uid not in self.users:
                continue
            seen.add(uid)
            data = self.users[uid].to_payload()
            if guild is not None and uid in guild.members:
                data["member"] = guild.members[uid].to_payload()
            out.append(data)
        return out

    def _build_message(
        self,
        *,
        channel: FakeChannel,
        author: JSON,
        content: str = "",
        embeds: Sequence[Any] | None = None,
        components: Sequence[Any] | None = None,
        attachments: Sequence[JSON] | None = None,
        flags: int = 0,
        message_type: int | None = None,
        reference: JSON | None = None,
        webhook_id: str | None = None,
        application_id: str | None = None,
        interaction_metadata: JSON | None = None,
        tts: bool = False,
        mention_everyone: bool = False,
        extra_mentions: Iterable[str] = (),
        nonce: Any = None,
        allowed_mentions: Mapping[str, Any] | None = None,
        enforce_allowed_mentions: bool = False,
    ) -> JSON:
        """Build a canonical message (gateway shape: guild_id + member for guild messages).

        With `enforce_allowed_mentions` (bot-sent messages) `mentions`, `mention_roles` and
        `mention_everyone` follow the request's allowed_mentions like Discord's pings do.
        """
        guild = self._guild_of(channel)
        if enforce_allowed_mentions:
            ref_id = (reference or {}).get("message_id")
            ref_author = self.messages[ref_id]["author"]["id"] if ref_id in self.messages else None
            mention_ids, role_ids, mention_everyone = self._pings(
                content, allowed_mentions, ref_author
            )
            mention_ids += list(extra_mentions)
        else:
            mention_ids = [*_USER_MENTION.findall(content), *extra_mentions]
            role_ids = _ROLE_MENTION.findall(content)
        role_ids = [r for r in role_ids if guild and r in guild.roles]
        msg: JSON = {
            "id": self._ids.next(),
            "channel_id": channel.id,
            "author": author,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": mention_everyone,
            "mentions": self._mentions_payload(mention_ids, guild),
            "mention_roles": role_ids,
            "attachments": list(attachments or []),
            "embeds": [dict(e) for e in embeds or []],
            "reactions": [],
            "pinned": False,
            "type": (19 if reference else 0) if message_type is None else message_type,
            "flags": flags,
            "components": list(components or []),
        }
        if nonce is not None:
            msg["nonce"] = nonce
        if webhook_id is not None:
            msg["webhook_id"] = webhook_id
        if application_id is not None:
            msg["application_id"] = application_id
        if interaction_metadata is not None:
            msg["interaction_metadata"] = interaction_metadata
        if reference is not None:
            msg["message_reference"] = reference
            ref_id = reference.get("message_id")
            if ref_id in self.messages:
                msg["referenced_message"] = self._rest_message(self.messages[ref_id])
        if guild is not None:
            msg["guild_id"] = guild.id
            author_id = author.get("id")
            if webhook_id is None and author_id in guild.members:
                msg["member"] = guild.members[author_id].to_payload()
        return msg

    @staticmethod
    def _pings(
        content: str, allowed: Mapping[str, Any] | None, replied_author: str | None
    ) -> tuple[list[str], list[str], bool]:
        """Who a bot message pings: Discord's allowed_mentions rules (absent = ping all)."""
        users = _USER_MENTION.findall(content)
        roles = _ROLE_MENTION.findall(content)
        everyone = "@everyone" in content or "@here" in content
        if allowed is None:
            return [*users, *([replied_author] if replied_author else [])], roles, everyone
        parse = set(allowed.get("parse") or [])
        if "users" not in parse:
            listed = {str(u) for u in allowed.get("users") or []}
            users = [u for u in users if u in listed]
        if "roles" not in parse:
            listed = {str(r) for r in allowed.get("roles") or []}
            roles = [r for r in roles if r in listed]
        if allowed.get("replied_user") and replied_author:
            users.append(replied_author)
        return users, roles, everyone and "everyone" in parse

    def _store_message(self, msg: JSON, *, ephemeral: bool = False) -> JSON:
        self.messages[msg["id"]] = msg
        if ephemeral:
            self.ephemeral_message_ids.add(msg["id"])
        channel = self.channels.get(msg["channel_id"])
        if channel is not None and not ephemeral:
            channel.last_message_id = msg["id"]
        self._notify()
        return msg

    @staticmethod
    def _rest_message(msg: JSON) -> JSON:
        """REST responses carry neither guild_id nor member."""
        data = copy.deepcopy(msg)
        data.pop("guild_id", None)
        data.pop("member", None)
        return data

    def _attachments_from(
        self, channel: FakeChannel, body: Mapping[str, Any], files: Sequence[RecordedFile]
    ) -> list[JSON]:
        """Turn uploaded files into attachment objects whose URLs the fake serves."""
        out: list[JSON] = []
        described = {
            str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, Mapping)
        }
        for index, f in enumerate(files):
            att_id = self._ids.next()
            url = f"{self.http_base}/attachments/{channel.id}/{att_id}/{f.filename}"
            self.attachments[att_id] = (f.data, f.content_type)
            meta = described.get(str(index), {})
            out.append(
                {
                    "id": att_id,
                    "filename": f.filename,
                    "size": len(f.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": f.content_type,
                    "description": meta.get("description"),
                    "flags": 0,
                }
            )
        return out
