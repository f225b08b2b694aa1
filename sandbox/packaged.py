"""Reading the data files shipped inside the sandbox package (sandbox/data/)."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def data_file(name: str) -> Traversable:
    """Return a file of ``sandbox/data`` through importlib.resources (works inside a wheel)."""
    try:
        return resources.files("sandbox").joinpath("data").joinpath(name)
    except NotADirectoryError:
        # An editable install made before sandbox/__init__.py existed maps ``sandbox`` as a
        # namespace package whose path includes a path hook, which importlib.resources rejects.
        return Path(__file__).parent / "data" / name


def read_data(name: str) -> str:
    """Return the text of a file of ``sandbox/data``."""
    return data_file(name).read_text(encoding="utf-8")
