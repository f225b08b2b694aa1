"""dev.py's first install says what it is doing: one short line per package pip fetches."""

import dev


def test_pip_lines_become_short_progress_lines() -> None:
    assert dev.progress_line("Collecting slack-bolt>=1.21 (from commons==0.1)\n") == (
        "fetching slack-bolt>=1.21"
    )
    assert (
        dev.progress_line("  Downloading slack_bolt-1.21.2-py2.py3-none-any.whl (230 kB)") is None
    )
    assert (
        dev.progress_line("Installing collected packages: pytz, tzlocal, slack-sdk, slack-bolt\n")
        == "installing 4 packages"
    )
    assert dev.progress_line("Building editable for commons (pyproject.toml) ... done") == (
        "building commons"
    )
    assert dev.progress_line("Requirement already satisfied: pip in ./.venv") is None
