"""Scrubbing removes every personal detail of a written corpus, and nothing else."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.scrub import PLACEHOLDERS, scrub

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "personal_details.yaml"


@cache
def corpus() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return loaded


def leaks(detail: str, text: str) -> list[str]:
    """The parts of `detail` still in `text`: the detail itself, or any run of 3+ digits."""
    found = [detail] if detail.casefold() in text.casefold() else []
    return found + [run for run in re.findall(r"\d{3,}", detail) if run in text]


def test_the_corpus_is_large_and_bilingual() -> None:
    personal = corpus()["personal"]
    assert len(personal) >= 40
    assert sum(len(item["details"]) for item in personal) >= 50
    spanish = [i for i in personal if re.search(r"\b(?:mi|es|en|el|de)\b", i["text"])]
    assert len(spanish) >= 12


@pytest.mark.parametrize("item", corpus()["personal"], ids=lambda item: item["text"][:40])
def test_every_personal_detail_is_replaced(item: dict[str, Any]) -> None:
    scrubbed = scrub(item["text"])
    assert [leak for d in item["details"] for leak in leaks(d, scrubbed.text)] == []
    assert set(scrubbed.found) == set(item["kinds"])
    assert all(f"[{kind}]" in scrubbed.text for kind in item["kinds"])


@pytest.mark.parametrize("text", corpus()["ordinary"])
def test_ordinary_messages_are_unchanged(text: str) -> None:
    scrubbed = scrub(text)
    assert scrubbed.text == text
    assert not scrubbed.changed


def test_no_question_of_the_labelled_set_that_is_not_personal_changes() -> None:
    """Moderators read kept questions: scrubbing must not garble ordinary ones.

    A shared link is replaced by design (it may point at anything); nothing else changes.
    """
    items = yaml.safe_load((ROOT / "evaluation" / "questions.yaml").read_text())["items"]
    ordinary = [item["q"] for item in items if item["expect"] != "legal"]
    assert len(ordinary) > 400
    changed = {q: scrub(q) for q in ordinary if scrub(q).text != q}
    assert {kind for scrubbed in changed.values() for kind in scrubbed.found} <= {"url"}, changed


def test_scrubbing_twice_changes_nothing_more() -> None:
    for item in corpus()["personal"]:
        once = scrub(item["text"]).text
        assert scrub(once).text == once


def test_placeholders_name_every_kind_found() -> None:
    kinds = {kind for item in corpus()["personal"] for kind in scrub(item["text"]).found}
    assert {f"[{kind}]" for kind in kinds} <= PLACEHOLDERS
    assert {"[email]", "[phone]", "[a-number]", "[receipt]", "[date]", "[address]", "[url]"} <= {
        f"[{kind}]" for kind in kinds
    }
