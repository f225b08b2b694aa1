#!/usr/bin/env python3
"""Bootstrap for people and CI: make .venv, install Commons into it, then try it or check it.

    python3 dev.py sandbox   try Commons against the local Slack stand-in (prompt: as alice: /commons help)
    python3 dev.py test      every check: ruff lint, ruff format, mypy, pytest

Needs only Python 3.11+ and a package index; a second run reuses .venv and skips the install
unless pyproject.toml changed.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".commons-installed"


def _run(*args: str | Path) -> None:
    print("$", " ".join(str(a) for a in args), flush=True)
    status = subprocess.call([str(a) for a in args], cwd=ROOT)
    if status != 0:
        sys.exit(status)


def ensure_installed() -> None:
    """Create .venv and install Commons with its development tools, once per pyproject change."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    _run(
        BIN / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--upgrade",
        "pip",
    )
    _run(
        BIN / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-e",
        ".[dev]",
    )
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print("Commons needs Python 3.11 or newer; run this with python3.11 or later.")
        return 2
    if not argv or argv[0] not in ("sandbox", "test"):
        print(__doc__)
        return 2
    ensure_installed()
    if argv[0] == "sandbox":
        os.execv(str(BIN / "commons"), [str(BIN / "commons"), "sandbox", *argv[1:]])
    _run(BIN / "ruff", "check", ".")
    _run(BIN / "ruff", "format", "--check", ".")
    _run(BIN / "mypy")
    _run(BIN / "pytest", *argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
