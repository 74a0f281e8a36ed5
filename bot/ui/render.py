"""Turn the core's Reply into Discord messages: embeds, buttons, and safe mentions."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.core.decide import Kind
from bot.core.replies import ENGLISH, Answer, Catalog, Reply
from bot.ui.views import DeleteMessageButton, DeleteReplyButton, FeedbackButton, SuggestionButton

__all__ = ["NO_PINGS", "AnswerCards", "Rendered", "answer_embed", "feedback_view", "render"]

# Replies quote what people typed (which may contain @everyone): they must never ping anyone.
NO_PINGS = discord.AllowedMentions.none()
COLOUR = discord.Colour.from_rgb(88, 101, 242)
_FIELD_LIMIT, _TITLE_LIMIT, _CONTENT_LIMIT, _LABEL_LIMIT = 1024, 256, 2000, 80


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Rendered:
    """Keyword arguments for `send`/`reply`/`send_message`, never pinging anyone."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        """Build the keyword arguments every send method accepts."""
        kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS, "embeds": self.embeds}
        if self.content:
            kwargs["content"] = _cut(self.content, _CONTENT_LIMIT)
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs


def answer_embed(answer: Answer) -> discord.Embed:
    """Build the answer card: question, answer, linked sources, the date facts hold for."""
    embed = discord.Embed(
        title=_cut(answer.question, _TITLE_LIMIT), description=answer.body, colour=COLOUR
    )
    lines: list[str] = []
    for line in answer.sources:
        text = f"• {line.markdown(answer.catalog)}"
        if len("\n".join([*lines, text])) > _FIELD_LIMIT:
            break
        lines.append(text)
    embed.add_field(name=answer.sources_label, value="\n".join(lines), inline=False)
    embed.set_footer(text=answer.footer)
    return embed


def feedback_view(entry_id: str, catalog: Catalog = ENGLISH) -> discord.ui.View:
    """Build the Helpful / Not helpful buttons, which keep working after a restart."""
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton(entry_id, helpful=True, label=catalog.gettext("Helpful")))
    view.add_item(FeedbackButton(entry_id, helpful=False, label=catalog.gettext("Not helpful")))
    return view


class AnswerCards:
    """Each answer's card (embed and feedback buttons), built once and reused for every reply.

    Keyed by the `Answer` value itself, so an edited entry never shows its old card; the least
    recently used cards go beyond `capacity`. Share cards only with `Message.reply` /
    `Messageable.send`, which only read a View of dynamic items: interaction responses change
    a View (an ephemeral one gets a timeout), so they render without the cache.
    """

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._cards: OrderedDict[Answer, tuple[discord.Embed, discord.ui.View]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._cards)

    def card(self, answer: Answer) -> tuple[discord.Embed, discord.ui.View]:
        """Return the shared embed and buttons of `answer`, built on first use."""
        card = self._cards.get(answer)
        if card is None:
            card = (answer_embed(answer), feedback_view(answer.entry_id, answer.catalog))
            self._cards[answer] = card
            if len(self._cards) > self.capacity:
                self._cards.popitem(last=False)
        else:
            self._cards.move_to_end(answer)
        return card


def render(
    reply: Reply,
    cards: AnswerCards | None = None,
    *,
    asker: int | None = None,
    asker_message: int | None = None,
) -> Rendered:
    """Render any reply kind; `cards` reuses answer cards (for `Messageable.send` only).

    A reply posted in a channel for `asker` gets a Delete button (theirs or a moderator's);
    a personal situation told in `asker_message` also gets "Delete my message".
    """
    rendered = _render(reply, cards, shared_view=asker is None)
    if asker is None:
        return rendered
    view = rendered.view or discord.ui.View(timeout=None)
    catalog = reply.catalog
    if reply.kind is Kind.LEGAL and asker_message is not None:
        label = catalog.gettext("Delete my message")
        view.add_item(DeleteMessageButton(asker, asker_message, label=label))
    view.add_item(DeleteReplyButton(asker, label=catalog.gettext("Delete")))
    rendered.view = view
    return rendered


def _render(reply: Reply, cards: AnswerCards | None, *, shared_view: bool) -> Rendered:
    if reply.kind is Kind.ANSWER and reply.answer:
        if cards is not None:
            embed, view = cards.card(reply.answer)
            # A view with this reply's own buttons must not be the card's shared one.
            return Rendered(
                embeds=[embed],
                view=view
                if shared_view
                else feedback_view(reply.answer.entry_id, reply.answer.catalog),
            )
        return Rendered(
            embeds=[answer_embed(reply.answer)],
            view=feedback_view(reply.answer.entry_id, reply.answer.catalog),
        )
    if reply.kind is Kind.LEGAL and reply.contact:
        view = discord.ui.View(timeout=None)
        view.add_item(
            discord.ui.Button(
                style=discord.ButtonStyle.link,
                label=_cut(
                    reply.catalog.gettext("Contact {name}").format(name=reply.contact.name),
                    _LABEL_LIMIT,
                ),
                url=reply.contact.contact_url,
            )
        )
        embeds = [answer_embed(reply.answer)] if reply.answer else []
        background = reply.catalog.gettext("Some general background:")
        content = reply.message + (f"\n\n{background}" if reply.answer else "")
        return Rendered(content=content, embeds=embeds, view=view)
    if reply.kind is Kind.SUGGEST and reply.suggestions:
        view = discord.ui.View(timeout=None)
        for choice in reply.suggestions:
            label = _cut(choice.question, _LABEL_LIMIT)
            view.add_item(SuggestionButton(choice.entry_id, label, reply.language))
        return Rendered(content=reply.message, view=view)
    return Rendered(content=reply.text())
