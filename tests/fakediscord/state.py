"""The in-memory world: default guild, adding users and channels, permissions, change events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from .models import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Overwrite, _lookup
from .wire import JSON, ChannelType, Perm


class World:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    def _build_default_world(self, *, bot_name: str, guild_name: str) -> None:
        self.bot_user = self.add_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        owner = self.add_user("owner", global_name="Guild Owner")
        guild_id = self._ids.next()
        guild = FakeGuild(id=guild_id, name=guild_name, owner_id=owner.id)
        guild.roles[guild_id] = FakeRole(
            id=guild_id, name="@everyone", permissions=Perm.DEFAULT_EVERYONE
        )
        self.guilds[guild_id] = guild
        self.guild = guild
        moderator = self.add_role("Moderator", permissions=0, position=1, hoist=True)
        admin = self.add_role("Admin", permissions=Perm.MANAGE_GUILD, position=2, hoist=True)
        bot_role = self.add_role(
            bot_name,
            permissions=Perm.DEFAULT_EVERYONE | Perm.MANAGE_MESSAGES | Perm.MANAGE_THREADS,
            position=3,
            managed=True,
            tags={"bot_id": self.bot_user.id},
        )
        self.add_member(self.bot_user, roles=[bot_role])
        self.add_member(owner)
        self.add_member(self.add_user("alice", global_name="Alice"))
        self.add_member(self.add_user("mod", global_name="Mo Derator"), roles=[moderator])
        self.add_member(self.add_user("admin", global_name="Ad Min"), roles=[admin])
        help_channel = self.add_channel("help", topic="Ask questions here", position=0)
        self.add_channel("general", position=1)
        self.add_channel(
            "mod-log",
            position=2,
            overwrites=[
                Overwrite(guild_id, 0, deny=Perm.VIEW_CHANNEL),
                Overwrite(moderator.id, 0, allow=Perm.VIEW_CHANNEL),
                Overwrite(admin.id, 0, allow=Perm.VIEW_CHANNEL),
                Overwrite(self.bot_user.id, 1, allow=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES),
            ],
        )
        self.add_thread("help-thread", help_channel, owner="alice")

    def add_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None
    ) -> FakeUser:
        """Create a user (not a member of any guild until `add_member`)."""
        user = FakeUser(id=self._ids.next(), username=username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_role(
        self,
        name: str,
        *,
        permissions: int = 0,
        position: int | None = None,
        guild: Any = None,
        hoist: bool = False,
        managed: bool = False,
        mentionable: bool = False,
        tags: JSON | None = None,
    ) -> FakeRole:
        """Create a role in `guild` (default: the main guild)."""
        g = self.get_guild(guild)
        role = FakeRole(
            id=self._ids.next(),
            name=name,
            permissions=permissions,
            position=len(g.roles) if position is None else position,
            hoist=hoist,
            managed=managed,
            mentionable=mentionable,
            tags=tags,
        )
        g.roles[role.id] = role
        return role

    def add_member(
        self, user: Any, *, roles: Iterable[Any] = (), nick: str | None = None, guild: Any = None
    ) -> FakeMember:
        """Make `user` a member of `guild` (default: the main guild) with `roles`."""
        g = self.get_guild(guild)
        u = self.get_user(user)
        member = FakeMember(
            user_id=u.id, roles=[self.get_role(r, guild=g).id for r in roles], nick=nick
        )
        g.members[u.id] = member
        return member

    def add_channel(
        self,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        topic: str | None = None,
        position: int | None = None,
        parent: Any = None,
        overwrites: Iterable[Overwrite] = (),
        guild: Any = None,
    ) -> FakeChannel:
        """Create a guild channel."""
        g = self.get_guild(guild)
        channel = FakeChannel(
            id=self._ids.next(),
            type=type,
            name=name,
            guild_id=g.id,
            position=len(g.channel_ids) if position is None else position,
            parent_id=None if parent is None else self.get_channel(parent).id,
            topic=topic,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        g.channel_ids.append(channel.id)
        return channel

    def add_thread(
        self, name: str, parent: Any, *, owner: Any = None, private: bool = False
    ) -> FakeChannel:
        """Create a (public by default) thread under `parent`."""
        parent_channel = self.get_channel(parent)
        thread = FakeChannel(
            id=self._ids.next(),
            type=ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD,
            name=name,
            guild_id=parent_channel.guild_id,
            parent_id=parent_channel.id,
            owner_id=self.get_user(owner if owner is not None else self.bot_user).id,
        )
        self.channels[thread.id] = thread
        if thread.guild_id is not None:
            self.guilds[thread.guild_id].channel_ids.append(thread.id)
        return thread

    def dm_channel(self, user: Any) -> FakeChannel:
        """Get or create the DM channel between the bot and `user`."""
        u = self.get_user(user)
        for channel in self.channels.values():
            if channel.is_dm and channel.recipient_ids == [u.id]:
                return channel
        channel = FakeChannel(id=self._ids.next(), type=ChannelType.DM, recipient_ids=[u.id])
        self.channels[channel.id] = channel
        return channel

    # lookups: accept snowflakes (int/str), names, or the objects themselves

    def get_guild(self, ref: Any = None) -> FakeGuild:
        if ref is None:
            return self.guild
        return ref if isinstance(ref, FakeGuild) else _lookup("guild", self.guilds, ref)

    def get_user(self, ref: Any) -> FakeUser:
        if isinstance(ref, FakeMember):
            return self.users[ref.user_id]
        return ref if isinstance(ref, FakeUser) else _lookup("user", self.users, ref)

    def get_channel(self, ref: Any) -> FakeChannel:
        if isinstance(ref, FakeChannel):
            return ref
        return _lookup("channel", self.channels, str(ref).lstrip("#"))

    def get_role(self, ref: Any, *, guild: Any = None) -> FakeRole:
        if isinstance(ref, FakeRole):
            return ref
        return _lookup("role", self.get_guild(guild).roles, ref)

    def get_member(self, user: Any, *, guild: Any = None) -> FakeMember:
        return self.get_guild(guild).members[self.get_user(user).id]

    def _guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return None if channel.guild_id is None else self.guilds[channel.guild_id]

    def permissions_for(self, user: Any, channel: Any = None, *, guild: Any = None) -> int:
        """Resolve a member's permission bitfield (guild-level if `channel` is None).

        Follows Discord's algorithm: owner/Administrator get everything; then @everyone, role
        and member overwrites of the channel (threads use their parent's overwrites).
        """
        u = self.get_user(user)
        ch = None if channel is None else self.get_channel(channel)
        if ch is not None and ch.is_dm:
            return Perm.DM
        g = self._guild_of(ch) if ch is not None else self.get_guild(guild)
        assert g is not None
        if u.id == g.owner_id:
            return Perm.ALL
        member = g.members.get(u.id)
        if member is None:
            return 0
        perms = g.everyone.permissions
        for role_id in member.roles:
            role = g.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        if ch is None:
            return perms
        if ch.is_thread and ch.parent_id is not None:
            ch = self.channels[ch.parent_id]
        overwrites = {(o.type, o.id): o for o in ch.overwrites}
        everyone = overwrites.get((0, g.id))
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            o = overwrites.get((0, role_id))
            if o is not None:
                allow |= o.allow
                deny |= o.deny
        perms = (perms & ~deny) | allow
        mo = overwrites.get((1, u.id))
        if mo is not None:
            perms = (perms & ~mo.deny) | mo.allow
        return perms

    def permissions_str(self, user: Any, channel: Any = None) -> str:
        """`permissions_for` as the decimal string Discord puts in interactions."""
        return str(self.permissions_for(user, channel))

    def _notify(self) -> None:
        """Wake every `wait_until` (a fresh Event per change so no waiter misses one)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_until(
        self, predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every fake state change)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(repr(r) for r in self.requests[-8:])
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; last requests: {recent}"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.5))
