"""The fused engine (the default: lexical and semantic stages) on the whole labelled set.

English and Spanish items alike. Met targets are plain assertions; unmet ones are strict
xfails beside measured floors (2026-12-08, 857 items), as in test_evaluation.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core.decide import Engine, Mode
from bot.semantic import SemanticRuntime
from tests.core.test_evaluation import evaluation, items, knowledge

pytestmark = pytest.mark.timeout(900)  # the first use encodes the phrasings

ACCURACY_FLOOR = {
    ("en", Mode.ASK): 0.66,
    ("en", Mode.LISTEN): 0.59,
    ("es", Mode.ASK): 0.27,
    ("es", Mode.LISTEN): 0.16,
}
OFFERED_FLOOR = {"en": 0.86, "es": 0.73}


@pytest.fixture(scope="module")
def reports(shipped_semantic_dir: Path) -> dict[tuple[str, Mode], Any]:
    runtime = SemanticRuntime(shipped_semantic_dir)
    engine = runtime.upgrade(Engine(knowledge()))
    runtime.close()
    assert engine.semantic is not None
    return {
        (lang, mode): evaluation().evaluate(
            engine, tuple(item for item in items() if item.lang == lang), mode
        )
        for lang in ("en", "es")
        for mode in Mode
    }


@pytest.mark.parametrize("mode", list(Mode))
def test_at_most_one_confident_wrong_answer(
    reports: dict[tuple[str, Mode], Any], mode: Mode
) -> None:
    wrong = [o for lang in ("en", "es") for o in reports[lang, mode].outcomes if o.confident_wrong]
    assert len(wrong) <= 1, [f"{o.item.q!r} -> {o.decision.entry_id}" for o in wrong]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("mode", list(Mode))
def test_every_personal_situation_is_routed(
    reports: dict[tuple[str, Mode], Any], lang: str, mode: Mode
) -> None:
    report = reports[lang, mode]
    missed = [o.item.q for o in report.misses if o.item.expect == "legal"]
    assert report.legal_recall.value == 1.0, missed


@pytest.mark.parametrize(("lang", "mode"), list(ACCURACY_FLOOR))
def test_answer_accuracy_does_not_fall(
    reports: dict[tuple[str, Mode], Any], lang: str, mode: Mode
) -> None:
    accuracy = reports[lang, mode].answer_accuracy
    assert (accuracy.value or 0.0) >= ACCURACY_FLOOR[lang, mode], str(accuracy)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_right_entry_is_answered_or_offered(
    reports: dict[tuple[str, Mode], Any], lang: str
) -> None:
    recall = reports[lang, Mode.ASK].answer_recall
    assert (recall.value or 0.0) >= OFFERED_FLOOR[lang], str(recall)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_chat_is_left_alone_when_overheard(reports: dict[tuple[str, Mode], Any], lang: str) -> None:
    silence = reports[lang, Mode.LISTEN].silence
    assert (silence.value or 0.0) >= 0.95, str(silence)


@pytest.mark.xfail(strict=True, reason="target not met yet: ask-mode accuracy is about 68% (en)")
def test_ask_mode_answers_nine_in_ten(reports: dict[tuple[str, Mode], Any]) -> None:
    accuracy = reports["en", Mode.ASK].answer_accuracy
    assert (accuracy.value or 0.0) >= 0.90, str(accuracy)


@pytest.mark.xfail(strict=True, reason="target not met yet: Spanish ask-mode accuracy about 28%")
def test_spanish_ask_mode_answers_most(reports: dict[tuple[str, Mode], Any]) -> None:
    accuracy = reports["es", Mode.ASK].answer_accuracy
    assert (accuracy.value or 0.0) >= 0.85, str(accuracy)
