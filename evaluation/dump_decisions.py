"""Print every decision the engine makes on the labelled set, for comparing two versions.

One line per item and mode: the decision's kind, entry, score, choices, signals, and each
candidate match with its score, coverage, precision and evidence. A refactor that must keep
behaviour identical compares the output before and after, byte for byte:

    python evaluation/dump_decisions.py > before.txt   # on the old commit
    python evaluation/dump_decisions.py > after.txt    # on the new one
    cmp before.txt after.txt
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.decide import Engine, Mode
from bot.storage.folder import load_knowledge

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import DEFAULT_KB, DEFAULT_SET, load_items  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    """Print the dump to standard output."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="knowledge folder")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="labelled set (YAML)")
    arguments = parser.parse_args(argv)
    engine = Engine(load_knowledge(arguments.kb))
    for item in load_items(arguments.set):
        for mode in (Mode.ASK, Mode.LISTEN):
            decision = engine.decide(item.q, mode)
            matches = " ".join(
                f"{m.entry_id}:{m.score:.4f}/{m.coverage:.4f}/{m.precision:.4f}/{m.evidence:.4f}"
                for m in decision.matches
            )
            print(
                f"{mode.value}\t{item.q!r}\t{decision.kind.value}\t{decision.entry_id}\t"
                f"{decision.score:.4f}\t{','.join(decision.suggestions)}\t"
                f"{','.join(decision.signals)}\t{matches}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
