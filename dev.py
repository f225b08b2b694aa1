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
import time
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


def _pip(*args: str, what: str) -> None:
    """Run pip in .venv, showing one short line per package it fetches or installs.

    pip's own output is kept aside and shown in full only if it fails.
    """
    started = time.monotonic()
    print(f"  {what}...", flush=True)
    command = [str(BIN / "python"), "-m", "pip", *args, "--disable-pip-version-check"]
    kept: list[str] = []
    fetched = 0
    last = ""
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as pip:
        assert pip.stdout is not None
        for line in pip.stdout:
            kept.append(line)
            shown = progress_line(line)
            if shown is None or shown == last:
                continue
            last = shown
            if shown.startswith("fetching"):
                fetched += 1
                shown = f"[{fetched}] {shown}"
            print(f"    {shown}  ({time.monotonic() - started:.0f} s)", flush=True)
    if pip.returncode != 0:
        print("".join(kept), end="", file=sys.stderr)
        print(f"pip failed (exit {pip.returncode}); its output is above.", file=sys.stderr)
        sys.exit(pip.returncode)
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)


def progress_line(line: str) -> str | None:
    """What to show of one line of pip's output: the package it fetches, or the install step."""
    line = line.strip()
    if line.startswith("Collecting "):
        return "fetching " + line.removeprefix("Collecting ").split(" ")[0]
    if line.startswith("Installing collected packages: "):
        count = len(line.removeprefix("Installing collected packages: ").split(","))
        return f"installing {count} package{'' if count == 1 else 's'}"
    if line.startswith("Building editable for ") or line.startswith("Building wheel for "):
        return "building " + line.split(" for ", 1)[1].split(" ")[0]
    return None


def ensure_installed() -> None:
    """Create .venv and install Commons with its development tools, once per pyproject change."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    started = time.monotonic()
    first = not (BIN / "python").exists()
    print(
        "Installing Commons and its tools into .venv"
        + (
            " (the first time takes about a minute; later runs skip this)"
            if first
            else " again, since pyproject.toml changed"
        ),
        flush=True,
    )
    if first:
        print("  creating the virtual environment...", flush=True)
        venv.create(VENV, with_pip=True)
    _pip("install", "--upgrade", "pip", what="updating pip")
    _pip("install", "-e", ".[dev]", what="installing Commons, Slack's libraries and the test tools")
    STAMP.write_text(wanted)
    print(f"Ready in {time.monotonic() - started:.0f} s.", flush=True)


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
