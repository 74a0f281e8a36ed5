"""Moderator commands (`/kb`): edit, reload, audit and review the knowledge base."""

from __future__ import annotations

from bot.client import FamilyTies
from bot.exts.moderation._cog import KnowledgeAdmin


async def setup(bot: FamilyTies) -> None:
    """Load the cog."""
    await bot.add_cog(KnowledgeAdmin(bot))
