"""`python -m bot run` fails fast and kindly on a missing token or a bad config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FAMILYTIES_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **env},
        check=False,
        timeout=60,
    )


def test_missing_token_is_one_line_and_exit_2() -> None:
    result = run_bot(env={})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "DISCORD_TOKEN" in result.stderr
    assert "python -m bot chat" in result.stderr


def test_bad_config_names_every_problem_on_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("command_prefix: ''\ncooldowns: {per_user_seconds: -1}\nshard_ids: [3]\n")
    result = run_bot("--config", str(config), env={"DISCORD_TOKEN": "secret-token-value"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "command_prefix" in result.stderr and "per_user_seconds" in result.stderr
    assert "secret-token-value" not in result.stderr + result.stdout


def test_token_in_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("token: abc\n")
    result = run_bot("--config", str(config), env={"DISCORD_TOKEN": "x"})
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
