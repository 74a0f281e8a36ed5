"""SIGKILL during moderator edits (real editor, files and SQLite in a killed subprocess).

The short form of `benchmarks/sigkill_edits.py` (200 edits there, 30 here).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_edits_killed_at_random_are_wholly_in_or_out_and_audited() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sigkill_edits.py"), "--edits", "30"],
        capture_output=True,
        text=True,
        check=True,
        timeout=110,
    )
    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures["sigkills_survived"] >= 1
    assert figures["unparsable_after_a_kill"] == 0
    assert figures["edits_torn"] == 0
    assert figures["edits_lost"] == 0
    assert figures["edits_duplicated"] == 0
