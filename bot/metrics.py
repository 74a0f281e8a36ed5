"""Prometheus metrics, in a registry of their own (no global state shared between bots/tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.decide import Decision, Mode

__all__ = ["Metrics"]

# Answer latency buckets: the engine takes about a millisecond; Discord round trips far more.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """What operators watch: decisions, errors, latency, the knowledge base."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "familyties_decisions",
            "Replies decided, by kind (answer, suggest, legal, none)",
            ["kind", "mode"],
            registry=self.registry,
        )
        self._decided: dict[tuple[str, str], Counter] = {}
        self.errors = Counter(
            "familyties_errors",
            "Errors while handling a command or message",
            registry=self.registry,
        )
        self.latency = Histogram(
            "familyties_answer_latency_seconds",
            "Time from receiving a question to the reply being accepted by Discord",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.entries = Gauge(
            "familyties_knowledge_entries",
            "Entries in the knowledge base being served",
            registry=self.registry,
        )
        self.reloads = Counter(
            "familyties_knowledge_reloads",
            "Knowledge reloads, by result (ok, failed)",
            ["result"],
            registry=self.registry,
        )

    async def record_event(self, kind: str, mode: str, entry_id: str | None) -> None:
        """Count one decision (a `Recorder`); the labelled counter is looked up once."""
        child = self._decided.get((kind, mode))
        if child is None:
            child = self._decided[kind, mode] = self.decisions.labels(kind=kind, mode=mode)
        child.inc()

    async def record_decision(
        self, decision: Decision, mode: Mode, text: str, *, user_id: int | None
    ) -> bool:
        """Count the decision and keep nothing: metrics never hold text (a `Recorder`)."""
        await self.record_event(decision.kind.value, mode.value, decision.entry_id)
        return False

    def render(self) -> bytes:
        """Render every metric in the Prometheus text format."""
        return bytes(generate_latest(self.registry))
