"""Soak the bot on the loopback Discord: 50 questions a second under injected faults.

    python benchmarks/soak.py [--seconds 60] [--rate 50]

Prints questions sent, answered once, lost, duplicated, and of those posted while the bot had
no gateway session (after op 9, discord.py waits up to 5 s before identifying again, and
Discord never delivers what was posted meanwhile) how many were answered from history on
reconnection and how many not (undeliverable). See tests/e2e/soak.py for the faults.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore", category=DeprecationWarning)  # discord.py imports audioop

from tests.e2e.soak import soak  # noqa: E402 - after the path and warnings set-up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    result = asyncio.run(soak(args.seconds, args.rate))
    print(f"{args.seconds:g} s at {args.rate:g}/s: {result.line()}")


if __name__ == "__main__":
    main()
