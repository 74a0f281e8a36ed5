"""Spanish: the es block's schema, the reply language, Spanish triage and Spanish replies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.core.decide import Decision, Engine, Kind
from bot.core.language import choose_language, detect_language, locale_language
from bot.core.loader import KnowledgeError, parse_knowledge
from bot.core.matching.semantic import TrainingSet
from bot.core.replies import ENGLISH, Organization, compose
from bot.core.translations import translation_gaps
from bot.core.triage import triage
from bot.i18n import catalog_for
from bot.storage.folder import load_knowledge
from tests.core.test_loader import SOURCES

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


ENTRY = """\
entries:
  - id: what-is-doma
    question: What is DOMA?
    asks:
      - doma?
      - defense of marriage act
      - what does the marriage law of 1996 do
      - why does doma block green cards
    answer: A 1996 federal law.
    sources:
      - nbc
    as_of: 2012-09-28
    reviewed: 2026-11-22
    es:
      question: ¿Qué es DOMA?
      asks:
        - que es doma
        - la ley de matrimonio de 1996
        - doma en español
        - por que doma bloqueaba la green card
      answer: Una ley federal de 1996.
      reviewed: 2026-12-07
"""
LANGUAGES = "languages: [en, es]\n"


def files(entry: str = ENTRY, languages: str | None = LANGUAGES) -> dict[str, str]:
    found = {"sources.yaml": SOURCES, "law.yaml": entry}
    if languages is not None:
        found["knowledge.yaml"] = languages
    return found


def problems(texts: dict[str, str]) -> list[tuple[str, int, str | None, str | None, str]]:
    with pytest.raises(KnowledgeError) as caught:
        parse_knowledge(texts)
    return [(p.file, p.line, p.entry, p.field, p.message) for p in caught.value.problems]


def without_es(entry: str) -> str:
    return entry[: entry.index("    es:\n")]


def test_the_es_block_is_loaded_and_the_languages_declared() -> None:
    knowledge = parse_knowledge(files())
    entry = knowledge.entries["what-is-doma"]
    assert knowledge.languages == ("en", "es")
    assert entry.localized("es") == ("¿Qué es DOMA?", "Una ley federal de 1996.")
    assert entry.localized("en") == ("What is DOMA?", "A 1996 federal law.")
    assert knowledge.phrasings("es")["what-is-doma"][1] == "que es doma"
    assert "que es doma" not in entry.phrasings  # English phrasings stay English
    assert entry.replace(answer="Another.").es == entry.es


def test_a_declared_language_missing_from_an_entry_is_named_with_file_and_line() -> None:
    found = problems(files(without_es(ENTRY)))
    assert found == [
        ("law.yaml", 2, "what-is-doma", "es", "is missing: the entry has no Spanish version")
    ]


def test_without_the_declaration_an_english_only_base_loads() -> None:
    knowledge = parse_knowledge(files(without_es(ENTRY), languages=None))
    assert knowledge.languages == ("en",)


def test_a_too_long_spanish_answer_is_located() -> None:
    long = ENTRY.replace("Una ley federal de 1996.", "x" * 901)
    [(file, line, entry, field, message)] = problems(files(long))
    answer_line = ENTRY.splitlines().index("      answer: Una ley federal de 1996.") + 1
    assert (file, line, entry, field) == ("law.yaml", answer_line, "what-is-doma", "es → answer")
    assert message == "is 901 characters; the limit is 900"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (("¿Qué es DOMA?", "Qué es DOMA"), "es → question", "must end with a question mark"),
        (("¿Qué es DOMA?", "¿" + "a" * 150 + "?"), "es → question", "the limit is 150"),
        (("doma en español", "que es doma"), "es → asks", "has “que es doma” twice"),
        (("      reviewed: 2026-12-07\n", ""), "es → reviewed", "is missing"),
        (("    es:\n", "    es:\n      tags: [law]\n"), "es → tags", "is not a known field"),
    ],
)
def test_each_problem_of_the_es_block_is_explained(
    change: tuple[str, str], field: str, message: str
) -> None:
    found = problems(files(ENTRY.replace(*change)))
    assert [(f, m) for _, _, _, f, m in found if field == f and message in m], found


def test_a_spanish_phrasing_in_two_entries_is_a_problem() -> None:
    second = """\
  - id: windsor
    question: What did Windsor decide?
    asks:
      - windsor case
      - united states v windsor
      - supreme court 2013 marriage ruling
      - when did the court strike section 3
    answer: It struck down section 3.
    sources: [nbc]
    as_of: 2013-06-26
    reviewed: 2026-11-22
    es:
      question: ¿Qué decidió Windsor?
      asks:
        - caso windsor
        - que es doma
        - fallo de la corte suprema de 2013
        - cuando tumbaron la seccion 3
      answer: Anuló la sección 3.
      reviewed: 2026-12-07
"""
    found = problems(files(ENTRY + second))
    assert [(entry, field, m) for _, _, entry, field, m in found] == [
        ("windsor", "es → asks", "repeats the phrasing “que es doma” in entry `what-is-doma`")
    ]


def test_validate_warns_of_spanish_reviewed_before_the_english() -> None:
    knowledge = parse_knowledge(
        files(ENTRY.replace("reviewed: 2026-11-22", "reviewed: 2027-01-05"))
    )
    [gap] = translation_gaps(knowledge)
    assert (gap.entry_id, gap.missing) == ("what-is-doma", False)
    assert "es → reviewed" in str(gap)
    assert translation_gaps(parse_knowledge(files())) == []


def test_the_shipped_knowledge_base_is_bilingual() -> None:
    knowledge = load_knowledge(ROOT / "knowledge")
    assert knowledge.languages == ("en", "es")
    assert all(entry.es is not None for entry in knowledge.entries.values())


# --- the reply language ----------------------------------------------------------------------

LANGUAGE_CASES = yaml.safe_load((DATA / "languages.yaml").read_text("utf-8"))["messages"]


def test_the_detector_reads_nearly_all_of_our_own_list() -> None:
    right = [
        case for case in LANGUAGE_CASES if (detect_language(case["text"]) or "none") == case["lang"]
    ]
    assert len(right) >= len(LANGUAGE_CASES) - 2


@pytest.mark.parametrize("text", ["ok", "lol", "y DOMA?", "DOMA?", "uafa", "ICE", "thx", "jajaja"])
def test_short_messages_never_decide_the_language(text: str) -> None:
    assert detect_language(text) is None
    assert choose_language(text, interaction_locale="es-ES") == "es"
    assert choose_language(text, interaction_locale="en-US", guild_locale="es-419") == "en"
    assert choose_language(text, guild_locale="es-419") == "es"
    assert choose_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "mi partner tiene court date",
        "mi partner tiene court date mañana",
        "mi partner tiene court date next week",
        "el partner de mi hermano tiene court date",
    ],
)
def test_spanglish_with_spanish_grammar_stays_spanish(text: str) -> None:
    assert choose_language(text, interaction_locale="en-US") == "es"


def test_a_clear_message_wins_over_the_locale() -> None:
    assert choose_language("¿Quién es Janet Napolitano?", interaction_locale="en-US") == "es"
    assert choose_language("who announced the guidance", interaction_locale="es-ES") == "en"


def test_locales_map_to_the_languages_the_bot_speaks() -> None:
    assert [locale_language(x) for x in ("es-ES", "es-419", "en-GB", "fr", None)] == [
        "es",
        "es",
        "en",
        None,
        None,
    ]
    assert choose_language("ok", interaction_locale="fr", guild_locale="es-ES") == "es"


# --- Spanish triage ----------------------------------------------------------------------------

TRIAGE = yaml.safe_load((DATA / "spanish_triage.yaml").read_text("utf-8"))


@pytest.mark.parametrize("text", TRIAGE["legal"])
def test_every_spanish_personal_situation_goes_to_the_contact_page(text: str) -> None:
    assert triage(text).legal, triage(text).signals


@pytest.mark.parametrize("text", TRIAGE["general"])
def test_spanish_general_questions_are_not_personal(text: str) -> None:
    assert not triage(text).legal, triage(text).signals


def test_accents_make_no_difference_to_triage() -> None:
    assert triage("orden de deportación de mi esposa").legal
    assert triage("orden de deportacion de mi esposa").legal


# --- Spanish replies -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Engine:
    return Engine(load_knowledge(ROOT / "knowledge"))


def test_a_spanish_answer_has_spanish_labels_dates_and_the_sources(shipped: Engine) -> None:
    spanish = catalog_for("es")
    reply = compose(
        Decision(Kind.ANSWER, "what-is-doma", 90.0), shipped.knowledge, Organization(), spanish
    )
    answer = reply.answer
    assert answer is not None and reply.language == "es"
    assert answer.question == shipped.knowledge.entries["what-is-doma"].es.question  # type: ignore[union-attr]
    assert answer.footer == "Al 13 de diciembre de 2022 · Información, no asesoría legal."
    text = reply.text()
    assert "\n\nFuentes:\n- [Defense of Marriage Act" in text
    assert "— U.S. Congress (via govinfo.gov), 21 de septiembre de 1996" in text


def test_the_english_reply_is_unchanged(shipped: Engine) -> None:
    reply = compose(Decision(Kind.ANSWER, "what-is-doma", 90.0), shipped.knowledge, Organization())
    assert reply.language == "en" and reply.catalog is ENGLISH
    assert reply.answer is not None
    assert reply.answer.footer == "As of 13 Dec 2022 · Information, not legal advice."
    assert "\n\nSources:\n- [Defense of Marriage Act" in reply.text()


def test_spanish_suggestions_legal_route_and_misses(shipped: Engine) -> None:
    spanish = catalog_for("es")
    knowledge = shipped.knowledge
    suggest = compose(
        Decision(Kind.SUGGEST, None, 45.0, ("what-is-doma", "windsor-2013")),
        knowledge,
        Organization(),
        spanish,
    )
    assert suggest.message.startswith("No estoy seguro")
    first = suggest.suggestions[0].question
    assert first == "¿Qué es la Ley de Defensa del Matrimonio (DOMA)?"
    legal = compose(Decision(Kind.LEGAL), knowledge, Organization(), spanish)
    assert legal.message.startswith("No puedo aconsejarte sobre tu caso, pero Immigration Equality")
    assert "no publiques detalles migratorios" in legal.message
    assert legal.text().endswith("Información, no asesoría legal.")
    miss = compose(Decision(Kind.NONE), knowledge, Organization(), spanish)
    assert miss.message.startswith("No encontré eso")


def test_a_spanish_personal_situation_is_routed_end_to_end(shipped: Engine) -> None:
    text = "Mi esposa tiene una orden de deportación, ¿qué podemos hacer?"
    decision = shipped.decide(text)
    assert decision.kind is Kind.LEGAL
    reply = compose(decision, shipped.knowledge, Organization(), catalog_for(choose_language(text)))
    assert reply.language == "es" and reply.contact is not None


def test_a_date_the_spanish_way() -> None:
    assert catalog_for("es").format_date(dt.date(2012, 9, 28)) == "28 de septiembre de 2012"


def test_the_semantic_classifier_trains_on_the_spanish_phrasings_too() -> None:
    knowledge = load_knowledge(ROOT / "knowledge")
    training = TrainingSet.build(knowledge, ["hola"], ["mi caso"])
    pairs = set(zip(training.texts, training.labels, strict=True))
    spanish = knowledge.phrasings("es")
    assert len(spanish) == len(knowledge.entries)
    for entry_id, phrasings in spanish.items():
        assert {(phrasing, entry_id) for phrasing in phrasings} <= pairs
    english = [(p, e) for e, ps in knowledge.phrasings("en").items() for p in ps]
    assert list(pairs & set(english)) and training.texts[: len(english)] == tuple(
        p for p, _ in english
    )  # English first, in the order it had before translations
