"""Fixtures shared by the core and end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.decide import Engine
from bot.semantic import SemanticRuntime
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shipped_semantic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the shipped base's phrasing vectors and classifier, built once.

    The real model encodes every phrasing (tens of seconds); tests that need the shipped
    base's semantic stage read it from here.
    """
    data = tmp_path_factory.mktemp("shipped-semantic")
    runtime = SemanticRuntime(data)
    upgraded = runtime.upgrade(Engine(load_knowledge(ROOT / "knowledge")))
    runtime.close()
    assert upgraded.semantic is not None, runtime.status
    return data
