"""Every console example in the documentation runs: a page's transcripts are typed, in order,
into one `commons sandbox` session (the real bot over Socket Mode, its clock moved by `wait`),
and each line a transcript shows under a prompt line must be printed. A doc example that stops
working fails here, with what the console printed instead."""

import io
from pathlib import Path

import pytest

from sandbox.console import Console
from sandbox.running import running
from sandbox.server import Sandbox
from sandbox.transcript import run, transcripts

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md", "docs/sandbox.md", "docs/commands.md"]


@pytest.mark.parametrize("page", PAGES)
def test_every_console_transcript_on_the_page_does_what_it_shows(page: str, tmp_path: Path) -> None:
    found = transcripts(ROOT / page, ROOT)
    assert found, f"{page} shows no console transcript"
    problems: list[str] = []
    # The clock starts now, as a reader's sandbox does: the pages say `at monday 08:00`, not a date.
    with (
        Sandbox() as sandbox,
        running(sandbox, f"sqlite:///{tmp_path / 'commons.db'}") as commons,
    ):
        out = io.StringIO()
        console = Console.on(commons, out)

        def execute(typed: list[str]) -> list[str]:
            out.seek(0)
            out.truncate()
            console.run(typed)
            return out.getvalue().splitlines()

        for transcript in found:
            problems += run(transcript, execute)
    assert not problems, "\n".join(problems)
