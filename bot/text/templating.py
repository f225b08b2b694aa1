"""Jinja2 for prose (mrkdwn): one environment per package, StrictUndefined, values escaped.

Block Kit is built by typed builders (each feature's blocks.py); templates only write the words.
Every `{{ value }}` is escaped for mrkdwn (&, <, >) unless it is a `bot.text.mrkdwn.Mrkdwn` (text
Commons built, or a person's text passed through `bot.text.mrkdwn.user_text`). Filters: `trusted`
marks a value as mrkdwn already; `local_time` shows an instant in a person's zone.
"""

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.text.mrkdwn import Mrkdwn, escape


def local_time(instant: datetime, zone: str, fmt: str = "%a %d %b %Y, %H:%M %Z") -> str:
    """An aware instant as wall-clock time in an IANA zone."""
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


def _finalize(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, Mrkdwn) else escape(str(value))


@cache
def environment(package: str) -> Environment:
    """The template environment of a package's `templates/` folder."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        # mrkdwn is not HTML (HTML escaping would show &#39; to people): `finalize` escapes instead.
        autoescape=False,  # noqa: S701
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["trusted"] = lambda value: Mrkdwn(str(value))
    env.filters["local_time"] = lambda instant, zone, *fmt: Mrkdwn(
        escape(local_time(instant, zone, *fmt))
    )
    return env


def render(package: str, name: str, **context: Any) -> str:
    """Render `package/templates/name` with `context`; a missing variable is an error, not blank."""
    return environment(package).get_template(name).render(**context).strip()
