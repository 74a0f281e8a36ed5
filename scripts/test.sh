#!/usr/bin/env bash
# Create .venv if needed, install the project with its dev tools, then lint, type-check and test.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy
.venv/bin/python -m bot validate
.venv/bin/python -m pytest "$@"
