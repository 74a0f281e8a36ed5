"""Settings: a YAML file for what a server configures, the environment for secrets and URLs.

Built by a function, never at import time, so tests and the console need no token. Every bad
or missing value is named at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from bot.core.decide import Thresholds
from bot.core.replies import Organization
from bot.paths import DEFAULT_KNOWLEDGE_DIR

__all__ = ["Settings", "SettingsError", "load_settings"]

DISCORD_API_BASE = "https://discord.com/api/v10"

_ORGANIZATION, _THRESHOLDS = Organization(), Thresholds()
ChannelRef = int | str  # an id, or a channel name (easier to write; ids survive renames)
Seconds = Annotated[float, Field(ge=0)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrganizationSettings(_Section):
    """Who people with a personal legal question are sent to."""

    name: str = _ORGANIZATION.name
    contact_url: Annotated[str, Field(pattern=r"^https?://\S+$")] = _ORGANIZATION.contact_url
    website: Annotated[str, Field(pattern=r"^https?://\S+$")] = _ORGANIZATION.website

    def to_core(self) -> Organization:
        """Convert to the core's plain value object."""
        return Organization(self.name, self.contact_url, self.website)


class CooldownSettings(_Section):
    """Quiet limits: a member asking very fast, the same answer repeated in a channel."""

    per_user_seconds: Seconds = 5.0
    per_channel_entry_seconds: Seconds = 120.0


class ThresholdSettings(_Section):
    """Matcher thresholds (0-100); the defaults were tuned on the evaluation set."""

    answer: Annotated[float, Field(ge=0, le=100)] = _THRESHOLDS.answer
    listen: Annotated[float, Field(ge=0, le=100)] = _THRESHOLDS.listen
    margin: Annotated[float, Field(ge=0, le=100)] = _THRESHOLDS.margin
    certain: Annotated[float, Field(ge=0, le=100)] = _THRESHOLDS.certain
    suggest: Annotated[float, Field(ge=0, le=100)] = _THRESHOLDS.suggest
    suggest_coverage: Annotated[float, Field(ge=0, le=1)] = _THRESHOLDS.suggest_coverage

    def to_core(self) -> Thresholds:
        """Convert to the core's plain value object."""
        return Thresholds(**self.model_dump())


class Settings(_Section):
    """Everything the bot needs to run; see config.example.yaml for the file form."""

    token: SecretStr | None = None
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    data_dir: Path = Path("data")
    help_channels: tuple[ChannelRef, ...] = ()
    command_prefix: Annotated[str, Field(min_length=1, max_length=5)] = "!"
    moderator_roles: tuple[int | str, ...] = ()
    mod_log_channel: ChannelRef | None = None
    command_guilds: tuple[int, ...] = ()  # sync slash commands to these guilds at once
    organization: OrganizationSettings = OrganizationSettings()
    cooldowns: CooldownSettings = CooldownSettings()
    thresholds: ThresholdSettings = ThresholdSettings()
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    stale_after_days: Annotated[int, Field(ge=1)] = 365
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    health_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    health_host: str = "127.0.0.1"
    shard_count: Annotated[int, Field(ge=1)] | None = None
    shard_ids: tuple[Annotated[int, Field(ge=0)], ...] | None = None
    discord_api_base: Annotated[str, Field(pattern=r"^https?://\S+$")] = DISCORD_API_BASE
    discord_gateway_url: Annotated[str, Field(pattern=r"^wss?://\S+$")] | None = None
    watch_knowledge: bool = True
    semantic: bool = True  # the sentence-embedding stage; off: the lexical stage alone

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None and (
            self.shard_count is None or any(i >= self.shard_count for i in self.shard_ids)
        ):
            raise ValueError("shard_ids need shard_count, and each id must be below it")
        return self


class SettingsError(Exception):
    """The configuration is unusable; the message names every problem."""


_ENV = {
    "DISCORD_TOKEN": "token",
    "DISCORD_API_BASE": "discord_api_base",
    "DISCORD_GATEWAY_URL": "discord_gateway_url",
    "FAMILYTIES_KNOWLEDGE": "knowledge_dir",
    "FAMILYTIES_DATA": "data_dir",
    "FAMILYTIES_HEALTH_PORT": "health_port",
    "FAMILYTIES_HEALTH_HOST": "health_host",
    "FAMILYTIES_LOG_FORMAT": "log_format",
    "FAMILYTIES_SEMANTIC": "semantic",
}


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Build settings from a YAML file (optional) and the environment, which wins."""
    env = os.environ if env is None else env
    path = path or (Path(env["FAMILYTIES_CONFIG"]) if env.get("FAMILYTIES_CONFIG") else None)
    values: dict[str, object] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text("utf-8")) or {}
        except OSError as error:
            raise SettingsError(f"cannot read config {path}: {error.strerror}") from error
        except yaml.YAMLError as error:
            raise SettingsError(f"config {path} is not valid YAML: {error}") from error
        if not isinstance(loaded, dict):
            raise SettingsError(f"config {path} must be a mapping of settings")
        if "token" in loaded:
            raise SettingsError(f"config {path}: put the token in DISCORD_TOKEN, not in a file")
        values.update(loaded)
    values.update({field: env[name] for name, field in _ENV.items() if env.get(name)})
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or 'config'}: {detail['msg']}"
            for detail in error.errors()
        )
        where = f" in {path}" if path else ""
        raise SettingsError(f"bad settings{where}: {problems}") from None
