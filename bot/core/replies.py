"""The reply model: built in one place, rendered by Discord and the console alike.

Every answer carries its sources and the date its facts hold for; a reply that would need
an answer without sources cannot be built (the loader guarantees each entry has some).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.decide import Decision, Kind
from bot.core.models import Entry, KnowledgeBase

__all__ = [
    "DISCLAIMER",
    "Answer",
    "Organization",
    "Reply",
    "SourceLine",
    "Suggestion",
    "compose",
]

DISCLAIMER = "Information, not legal advice."


@dataclass(frozen=True, slots=True)
class Organization:
    """Who people are sent to for their own case."""

    name: str = "Immigration Equality"
    contact_url: str = "https://www.immigrationequality.org/contact-us/"
    website: str = "https://www.immigrationequality.org/"


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One cited source, as people see it."""

    title: str
    publisher: str
    date: dt.date
    url: str
    quote: str | None = None

    def markdown(self) -> str:
        """`[title](url) — publisher, 28 Sep 2012`."""
        return f"[{self.title}]({self.url}) — {self.publisher}, {format_date(self.date)}"

    def as_dict(self) -> dict[str, str]:
        """Return the JSON shape of the CLI contract."""
        return {
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date.isoformat(),
            "url": self.url,
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A "did you mean" choice."""

    entry_id: str
    question: str


@dataclass(frozen=True, slots=True)
class Answer:
    """A knowledge-base entry ready to show: question, answer, sources and date."""

    entry_id: str
    question: str
    body: str
    sources: tuple[SourceLine, ...]
    as_of: dt.date

    @property
    def footer(self) -> str:
        """`As of 28 Sep 2012 · Information, not legal advice.`."""
        return f"As of {format_date(self.as_of)} · {DISCLAIMER}"

    def markdown(self) -> str:
        """Render the whole answer as Markdown (console, JSON `text`, plain fallbacks)."""
        sources = "\n".join(f"- {line.markdown()}" for line in self.sources)
        return f"**{self.question}**\n{self.body}\n\nSources:\n{sources}\n{self.footer}"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: a message, an answer (or background), choices, a contact link."""

    kind: Kind
    message: str
    answer: Answer | None = None
    suggestions: tuple[Suggestion, ...] = ()
    contact: Organization | None = None
    score: float = 0.0

    @property
    def entry_id(self) -> str | None:
        """The entry the reply rests on, if any."""
        return self.answer.entry_id if self.answer else None

    def text(self) -> str:
        """Render the reply as it would be posted, in Markdown."""
        parts = [self.message] if self.message else []
        if self.suggestions:
            parts.append("\n".join(f"- {choice.question}" for choice in self.suggestions))
        if self.answer:
            if self.kind is Kind.LEGAL:
                parts.append("Some general background:")
            parts.append(self.answer.markdown())
        elif self.kind is Kind.LEGAL:
            parts.append(DISCLAIMER)
        return "\n\n".join(parts)


def answer_for(entry: Entry, knowledge: KnowledgeBase) -> Answer:
    """Render one entry with its sources."""
    lines = []
    for ref in entry.sources:
        source = knowledge.sources[ref.id]
        lines.append(SourceLine(source.title, source.publisher, source.date, source.url, ref.quote))
    return Answer(entry.id, entry.question, entry.answer, tuple(lines), entry.as_of)


def compose(decision: Decision, knowledge: KnowledgeBase, organization: Organization) -> Reply:
    """Build the reply for a decision."""
    entry = knowledge.entries.get(decision.entry_id) if decision.entry_id else None
    answer = answer_for(entry, knowledge) if entry else None
    if decision.kind is Kind.ANSWER and answer:
        return Reply(Kind.ANSWER, "", answer, score=decision.score)
    if decision.kind is Kind.LEGAL:
        message = (
            f"I can't advise on your own situation, but {organization.name} can, privately: "
            f"{organization.contact_url}\n"
            "For your safety, please don't post immigration details (yours or your partner's) "
            "in public channels."
        )
        return Reply(Kind.LEGAL, message, answer, contact=organization, score=decision.score)
    if decision.kind is Kind.SUGGEST and decision.suggestions:
        choices = tuple(
            Suggestion(entry_id, knowledge.entries[entry_id].question)
            for entry_id in decision.suggestions
            if entry_id in knowledge.entries
        )
        return Reply(
            Kind.SUGGEST,
            "I'm not sure I understood. Did you mean:",
            None,
            choices,
            score=decision.score,
        )
    if "thanks" in decision.signals:
        return Reply(
            Kind.NONE,
            "You're welcome! Ask me anything about the 2012 guidance on same-sex partners, "
            "or browse the topics with `/topics`.",
        )
    return Reply(
        Kind.NONE,
        "I couldn't find that in what I know. Try other words, or browse the topics with "
        "`/topics`.",
        score=decision.score,
    )


def format_date(date: dt.date) -> str:
    """`28 Sep 2012`: unambiguous for readers on both sides of the Atlantic."""
    return f"{date.day} {date:%b %Y}"
