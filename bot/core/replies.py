"""The reply model: built in one place, rendered by Discord and the console alike.

Every answer carries its sources and the date its facts hold for; a reply that would need
an answer without sources cannot be built (the loader guarantees each entry has some).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from bot.core.decide import Decision, Kind
from bot.core.models import Entry, KnowledgeBase

__all__ = [
    "DISCLAIMER",
    "ENGLISH",
    "N_",
    "Answer",
    "Catalog",
    "Organization",
    "Reply",
    "SourceLine",
    "Suggestion",
    "compose",
]


def N_(message: str) -> str:
    """Mark a message for the catalogue where it is defined; it is translated where shown."""
    return message


DISCLAIMER = N_("Information, not legal advice.")


class Catalog(Protocol):
    """What members read in one language: its messages and its way of writing dates.

    Built outside the core from the language's gettext catalogue (bot/i18n.py); English is
    the messages as written here (they are the catalogue's message ids).
    """

    @property
    def language(self) -> str:
        """The language's code: "en", "es"."""

    def gettext(self, message: str) -> str:
        """Return `message` (English, as written in the code) in this language."""

    def format_date(self, date: dt.date) -> str:
        """Write a date as this language's readers expect."""


class _English:
    """The messages as written, dates as `28 Sep 2012`."""

    language = "en"

    def gettext(self, message: str) -> str:
        return message

    def format_date(self, date: dt.date) -> str:
        return format_date(date)


ENGLISH: Catalog = _English()


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

    def markdown(self, catalog: Catalog = ENGLISH) -> str:
        """`[title](url) — publisher, 28 Sep 2012`."""
        return f"[{self.title}]({self.url}) — {self.publisher}, {catalog.format_date(self.date)}"

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
    catalog: Catalog = ENGLISH  # the language it is shown in: labels and dates

    @property
    def language(self) -> str:
        """The language of the question and body."""
        return self.catalog.language

    @property
    def sources_label(self) -> str:
        """`Sources`, in the answer's language."""
        return self.catalog.gettext("Sources")

    @property
    def footer(self) -> str:
        """`As of 28 Sep 2012 · Information, not legal advice.`."""
        as_of = self.catalog.gettext("As of {date}").format(
            date=self.catalog.format_date(self.as_of)
        )
        return f"{as_of} · {self.catalog.gettext(DISCLAIMER)}"

    def markdown(self) -> str:
        """Render the whole answer as Markdown (console, JSON `text`, plain fallbacks)."""
        sources = "\n".join(f"- {line.markdown(self.catalog)}" for line in self.sources)
        return (
            f"**{self.question}**\n{self.body}\n\n{self.sources_label}:\n{sources}\n{self.footer}"
        )


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: a message, an answer (or background), choices, a contact link."""

    kind: Kind
    message: str
    answer: Answer | None = None
    suggestions: tuple[Suggestion, ...] = ()
    contact: Organization | None = None
    score: float = 0.0
    catalog: Catalog = ENGLISH  # the language the member reads it in

    @property
    def language(self) -> str:
        """The language of the reply ("en", "es")."""
        return self.catalog.language

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
                parts.append(self.catalog.gettext("Some general background:"))
            parts.append(self.answer.markdown())
        elif self.kind is Kind.LEGAL:
            parts.append(self.catalog.gettext(DISCLAIMER))
        return "\n\n".join(parts)


def answer_for(entry: Entry, knowledge: KnowledgeBase, catalog: Catalog = ENGLISH) -> Answer:
    """Render one entry with its sources, in the catalogue's language where it is written."""
    lines = []
    for ref in entry.sources:
        source = knowledge.sources[ref.id]
        lines.append(SourceLine(source.title, source.publisher, source.date, source.url, ref.quote))
    question, body = entry.localized(catalog.language)
    return Answer(entry.id, question, body, tuple(lines), entry.as_of, catalog)


def compose(
    decision: Decision,
    knowledge: KnowledgeBase,
    organization: Organization,
    catalog: Catalog = ENGLISH,
) -> Reply:
    """Build the reply for a decision, in the catalogue's language."""
    _ = catalog.gettext
    entry = knowledge.entries.get(decision.entry_id) if decision.entry_id else None
    answer = answer_for(entry, knowledge, catalog) if entry else None
    if decision.kind is Kind.ANSWER and answer:
        return Reply(Kind.ANSWER, "", answer, score=decision.score, catalog=catalog)
    if decision.kind is Kind.LEGAL:
        message = _(
            "I can't advise on your own situation, but {name} can, privately: {url}\n"
            "For your safety, please don't post immigration details (yours or your partner's) "
            "in public channels."
        ).format(name=organization.name, url=organization.contact_url)
        return Reply(
            Kind.LEGAL, message, answer, contact=organization, score=decision.score, catalog=catalog
        )
    if decision.kind is Kind.SUGGEST and decision.suggestions:
        choices = tuple(
            Suggestion(entry_id, knowledge.entries[entry_id].localized(catalog.language)[0])
            for entry_id in decision.suggestions
            if entry_id in knowledge.entries
        )
        return Reply(
            Kind.SUGGEST,
            _("I'm not sure I understood. Did you mean:"),
            None,
            choices,
            score=decision.score,
            catalog=catalog,
        )
    if "thanks" in decision.signals:
        return Reply(
            Kind.NONE,
            _(
                "You're welcome! Ask me anything about the 2012 guidance on same-sex partners, "
                "or browse the topics with `/topics`."
            ),
            catalog=catalog,
        )
    return Reply(
        Kind.NONE,
        _(
            "I couldn't find that in what I know. Try other words, or browse the topics with "
            "`/topics`."
        ),
        score=decision.score,
        catalog=catalog,
    )


def format_date(date: dt.date) -> str:
    """`28 Sep 2012`: unambiguous for readers on both sides of the Atlantic."""
    return f"{date.day} {date:%b %Y}"
