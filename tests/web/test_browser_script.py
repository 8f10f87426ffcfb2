"""scripts/browser: Debian's Chromium for the browser tests, installed once, quiet after."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "browser"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=900)


def test_install_is_quiet_when_the_browser_is_present():
    if run("status").returncode != 0:
        pytest.skip("no browser here: scripts/test installs it before pytest")
    done = run("install")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_unknown_commands_are_usage_errors():
    done = run("upgrade")
    assert done.returncode == 2
    assert "usage: scripts/browser install|status" in done.stderr
