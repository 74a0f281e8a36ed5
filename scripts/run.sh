#!/usr/bin/env bash
# Set up .venv if needed, then run the bot: on Discord when DISCORD_TOKEN is set, otherwise the
# console chat over the shipped knowledge base (same engine, same replies).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
if [ -n "${DISCORD_TOKEN:-}" ]; then
    exec .venv/bin/python -m bot run "$@"
fi
echo "No DISCORD_TOKEN set: starting the console chat (python -m bot chat)." >&2
exec .venv/bin/python -m bot chat "$@"
