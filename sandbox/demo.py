"""The demo workspace (Northwind): users, user groups and channels the sandbox starts with."""

from __future__ import annotations

import functools
import json
from typing import Any

from sandbox.packaged import read_data

DEMO_FILE = "demo_workspace.json"


def load_demo() -> dict[str, Any]:
    """Return a fresh copy of the demo workspace; callers may mutate it freely."""
    data: dict[str, Any] = json.loads(_demo_text())
    return data


@functools.cache
def _demo_text() -> str:
    return read_data(DEMO_FILE)
