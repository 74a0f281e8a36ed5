"""The engine's decision for one message: answer, suggest, legal route, or nothing.

A wrong answer about deportation can hurt someone, so an answer needs a clear winner: a high
score *and* a clear lead over the next entry. Anything less is offered as "did you mean"
choices when someone asked the bot directly, and is silence when the bot merely overheard.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.matching import Match, Matcher
from bot.core.matching.semantic import OUT_OF_SCOPE, PERSONAL, SemanticStage
from bot.core.models import KnowledgeBase
from bot.core.normalize import visible
from bot.core.policy import Thresholds
from bot.core.question import Question, asked_kinds
from bot.core.triage import Triage, triage

__all__ = ["Decision", "Engine", "Kind", "Mode", "Thresholds"]


class Kind(StrEnum):
    """What the bot does with a message."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    LEGAL = "legal"
    NONE = "none"


class Mode(StrEnum):
    """How the message reached the bot."""

    ASK = "ask"  # addressed to the bot: mention, /ask, !ask, DM, console
    LISTEN = "listen"  # overheard in a help channel


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one message; `matches` are the top candidates, best first."""

    kind: Kind
    entry_id: str | None = None
    score: float = 0.0
    suggestions: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    signals: tuple[str, ...] = ()


class Engine:
    """Decides what to do with messages, over one immutable knowledge base."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        thresholds: Thresholds | None = None,
        matcher: Matcher | None = None,
        *,
        semantic: SemanticStage | None = None,
        semantic_status: str = "off: not started",
    ) -> None:
        """`matcher` and `semantic`, when given, must have been built from `knowledge`.

        Without `semantic` the engine runs on the lexical stage alone (at startup, until the
        vectors are ready, or when the model cannot load: `semantic_status` says which).
        """
        self.knowledge = knowledge
        self.thresholds = thresholds or Thresholds()
        self.matcher = matcher if matcher is not None else Matcher(knowledge)
        self.semantic = semantic
        self.semantic_status = "on" if semantic is not None else semantic_status
        # Entry id -> the kinds of answer its phrasings ask for, read when first needed.
        self._kinds: dict[str, frozenset[str]] = {}

    def with_semantic(self, semantic: SemanticStage | None, status: str = "on") -> Engine:
        """Return this engine's knowledge and lexical index with `semantic` (or without one)."""
        return Engine(
            self.knowledge, self.thresholds, self.matcher, semantic=semantic, semantic_status=status
        )

    def decide(self, text: str | Question, mode: Mode = Mode.ASK) -> Decision:
        """Decide what to do with one message.

        The core's steps run in order, each once: read the question, triage it, match it,
        then apply the policy (the fused one when the semantic stage is on).
        """
        limits = self.thresholds
        if isinstance(text, str):
            text = visible(text).strip()[: limits.max_chars]
            if not any(character.isalnum() for character in text):
                return Decision(Kind.NONE)
            question = Question.read(text, self.matcher.tuning)
        else:
            question = text
        verdict = triage(question)
        if (
            (mode is Mode.LISTEN or "thanks" in verdict.signals)
            and not verdict.legal
            and not question.asks
        ):
            return Decision(Kind.NONE, signals=verdict.signals)
        matches = tuple(self.matcher.search(question, limit=max(limits.suggestions, 5)))
        if self.semantic is not None:
            return self._decide_fused(question, mode, verdict, matches)
        top = matches[0] if matches else None
        score = top.score if top else 0.0
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        needed = limits.listen if mode is Mode.LISTEN else limits.answer
        clear = (
            top is not None
            and score >= needed
            and (score - runner_up >= limits.margin or score >= limits.certain)
            and limits.rests_on_topic(top)
        )
        if verdict.legal:
            # A general entry may come along as background, only when it clearly applies: it
            # is unasked for, so it needs the bar of an unprompted answer ("court date" is not
            # a question about the date of the memo).
            background = top.entry_id if top and clear and score >= limits.listen else None
            return Decision(Kind.LEGAL, background, score, (), matches, verdict.signals)
        if not question.asks and "personal" in verdict.signals:
            # Someone telling the bot about themselves ("I just got back from the marriage
            # equality rally") asked nothing: neither an answer nor choices fit.
            return Decision(Kind.NONE, None, score, (), matches, verdict.signals)
        other_kind = self._answers_kind_asked(question.kinds, matches) if top and clear else None
        if top and clear and other_kind is None:
            return Decision(Kind.ANSWER, top.entry_id, score, (), matches, verdict.signals)
        offered = [match.entry_id for match in matches if limits.may_suggest(match, score)]
        if other_kind is not None:
            offered = [other_kind, *(entry for entry in offered if entry != other_kind)]
        choices = tuple(offered[: limits.suggestions])
        if mode is Mode.ASK and choices:
            return Decision(Kind.SUGGEST, None, score, choices, matches, verdict.signals)
        return Decision(Kind.NONE, None, score, (), matches, verdict.signals)

    def _decide_fused(
        self, question: Question, mode: Mode, verdict: Triage, lexical: tuple[Match, ...]
    ) -> Decision:
        """One policy on the fused confidence: Rasa's threshold plus ambiguity threshold.

        An answer needs the confidence of its mode and a lead over the runner-up; "did you
        mean" offers the fused top 3 above the suggestion floor (ask mode only). Chat that the
        classifier finds likeliest out of scope gets nothing; a personal situation it
        recognises goes to the contact page like one the triage rules found.
        """
        assert self.semantic is not None  # noqa: S101 (the caller checked)
        calibration = self.semantic.calibration
        probabilities = self.semantic.probabilities(question.text)
        scored = self.semantic.fuse(probabilities, lexical)
        phrasing = {m.entry_id: m for m in lexical}
        matches = tuple(
            Match(
                s.entry_id,
                round(100 * s.confidence, 1),
                phrasing[s.entry_id].phrasing
                if s.entry_id in phrasing
                else self.knowledge.entries[s.entry_id].question,
            )
            for s in scored[:5]
        )
        best = scored[0].confidence if scored else 0.0
        runner_up = scored[1].confidence if len(scored) > 1 else 0.0
        score = round(100 * best, 1)
        needed = calibration.listen if mode is Mode.LISTEN else calibration.answer
        clear = bool(scored) and best >= needed and best - runner_up >= calibration.lead
        if verdict.legal or probabilities.get(PERSONAL, 0.0) >= calibration.personal:
            signals = verdict.signals if verdict.legal else (*verdict.signals, "semantic personal")
            background = scored[0].entry_id if clear and best >= calibration.listen else None
            return Decision(Kind.LEGAL, background, score, (), matches, signals)
        out_of_scope = max(probabilities, key=probabilities.__getitem__) == OUT_OF_SCOPE
        if out_of_scope or (not question.asks and "personal" in verdict.signals):
            return Decision(Kind.NONE, None, score, (), matches, verdict.signals)
        if clear:
            return Decision(Kind.ANSWER, scored[0].entry_id, score, (), matches, verdict.signals)
        choices = tuple(s.entry_id for s in scored if s.confidence >= calibration.suggest)
        if mode is Mode.ASK and choices:
            return Decision(
                Kind.SUGGEST,
                None,
                score,
                choices[: self.thresholds.suggestions],
                matches,
                verdict.signals,
            )
        return Decision(Kind.NONE, None, score, (), matches, verdict.signals)

    def _answers_kind_asked(self, asked: frozenset[str], matches: tuple[Match, ...]) -> str | None:
        """Return a close runner-up that answers the kind of question asked, if the winner does not.

        "What day did they announce it exactly" shares more words with "the exact text of the
        announcement" than with "when was it announced"; but nobody asks "when" of the first
        entry, and someone does of the second. Then the winner answers another question: the
        member chooses (ask mode) or the bot stays quiet (listen mode).
        """
        if not asked or asked & self._entry_kinds(matches[0].entry_id):
            return None
        window = matches[0].score - self.thresholds.suggest_window
        return next(
            (
                match.entry_id
                for match in matches[1 : self.thresholds.suggestions]
                if match.score >= window and asked & self._entry_kinds(match.entry_id)
            ),
            None,
        )

    def _entry_kinds(self, entry_id: str) -> frozenset[str]:
        kinds = self._kinds.get(entry_id)
        if kinds is None:
            phrasings = self.knowledge.entries[entry_id].phrasings
            kinds = self._kinds[entry_id] = frozenset[str]().union(*map(asked_kinds, phrasings))
        return kinds
