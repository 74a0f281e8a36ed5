"""The console front end: `ask` (scriptable, JSON lines) and `chat` (interactive)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.app import Responder
from bot.core.decide import Engine, Mode
from bot.core.loader import KnowledgeError
from bot.core.replies import Reply
from bot.i18n import catalogs
from bot.paths import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from bot.semantic import SemanticRuntime
from bot.settings import SettingsError, load_settings
from bot.storage.folder import load_knowledge

__all__ = ["ConsoleBot", "reply_json", "run_ask", "run_chat"]


class ConsoleBot:
    """The bot's responder without Discord: records nothing, never throttles."""

    def __init__(self, engine: Engine, responder: Responder) -> None:
        self.knowledge = engine.knowledge
        self.responder = responder

    def reply(self, question: str, mode: Mode = Mode.ASK) -> Reply:
        """Reply to one question as the bot would (an empty reply: it stays silent)."""
        response = asyncio.run(self.responder.respond(question, mode))
        assert response.reply is not None  # noqa: S101 - no member, so never throttled
        return response.reply


def reply_json(question: str, reply: Reply) -> dict[str, object]:
    """Build the `ask --json` object for one question (the CLI contract)."""
    return {
        "question": question,
        "kind": reply.kind.value,
        "language": reply.language,
        "entry": reply.entry_id,
        "score": reply.score,
        "text": reply.text(),
        "sources": [line.as_dict() for line in reply.answer.sources] if reply.answer else [],
        "suggestions": [choice.entry_id for choice in reply.suggestions],
    }


def _console_bot(kb: Path | None, config: Path | None) -> ConsoleBot:
    settings = load_settings(path=config)
    knowledge = load_knowledge(kb or settings.knowledge_dir)
    engine = Engine(knowledge, settings.thresholds.to_core())
    if settings.semantic:
        # The console answers one person at a time: build the semantic stage before the first
        # question (a first run encodes every phrasing; later runs read the cache).
        runtime = SemanticRuntime(settings.data_dir)
        engine = runtime.upgrade(engine)
        runtime.close()
    organization = settings.organization.to_core()
    # No locale here: a message whose language is unclear is answered in English.
    return ConsoleBot(engine, Responder(lambda: engine, organization, catalogs=catalogs()))


def _start(args: argparse.Namespace) -> ConsoleBot | int:
    try:
        return _console_bot(args.kb, args.config)
    except KnowledgeError as error:
        print(error.report(), file=sys.stderr)
        return EXIT_INVALID
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE


def question_arguments(arguments: list[str]) -> list[str]:
    """Each argument is one question; unquoted words (no argument with a space) are one.

    So tools can pass several questions (`ask "what is doma" "who announced it"`) and people
    can type one without quotes (`ask what is doma`).
    """
    if any(" " in argument.strip() for argument in arguments):
        return arguments
    return [" ".join(arguments)]


def run_ask(args: argparse.Namespace, stdin: TextIO = sys.stdin) -> int:
    """`python -m bot ask`: answer each question, as text or JSON lines."""
    bot = _start(args)
    if isinstance(bot, int):
        return bot
    mode = Mode(args.mode)
    questions = (
        question_arguments(args.question)
        if args.question
        else (line.rstrip("\n") for line in stdin)
    )
    for question in questions:
        if not question.strip() and not args.question:
            continue
        reply = bot.reply(question, mode)
        if args.json:
            print(json.dumps(reply_json(question, reply), ensure_ascii=False), flush=True)
        else:
            print(reply.text() or "(stays silent)", end="\n\n", flush=True)
    return EXIT_OK


def run_chat(args: argparse.Namespace, stdin: TextIO = sys.stdin) -> int:
    """`python -m bot chat`: an interactive console over the same engine."""
    bot = _start(args)
    if isinstance(bot, int):
        return bot
    knowledge = bot.knowledge
    print(
        f"FamilyTies console — {knowledge.summary()}.\n"
        "Ask a question about the 2012 DHS 'family relationships' guidance. "
        "Empty line or Ctrl-D to quit.\n"
    )
    interactive = stdin.isatty()
    while True:
        if interactive:
            try:
                question = input("you> ")
            except (EOFError, KeyboardInterrupt):
                print()
                break
        else:
            line = stdin.readline()
            if not line:
                break
            question = line.rstrip("\n")
            print(f"you> {question}")
        if not question.strip():
            break
        print(f"bot> {bot.reply(question).text()}\n")
    return EXIT_OK
