"""Where the shipped knowledge base lives, found without any work at import time."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_KNOWLEDGE_DIR", "EXIT_INVALID", "EXIT_OK", "EXIT_USAGE"]

# Exit codes of every subcommand: 1 for invalid knowledge, 2 for a usage or configuration error.
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

# An editable install or a checkout keeps knowledge/ beside the package; an installed copy
# (the container) is told where it is through FAMILYTIES_KNOWLEDGE.
DEFAULT_KNOWLEDGE_DIR = Path(
    os.environ.get("FAMILYTIES_KNOWLEDGE", Path(__file__).resolve().parent.parent / "knowledge")
)
