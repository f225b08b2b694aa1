"""Templates an author starts from: the ones Commons ships (prose in templates/compose/) and the
ones communications staff saved from their own announcements."""

import re
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from announcements.common import number
from announcements.models import Announcement, SavedTemplate
from announcements.policy import zone_of
from bot.clock import Clock
from bot.errors import NotFound
from bot.text.mrkdwn import Mrkdwn
from bot.text.templating import render
from directory.models import Person

SHIPPED_TEMPLATES = {"office_closure": "Office closure", "policy_update": "Policy update"}
TEMPLATE_NAME = re.compile(r"^[\w .'-]{1,64}$")


def choices(session: Session) -> list[tuple[str, str]]:
    """Every template as (reference, name): the shipped ones first, then the saved ones by name."""
    shipped = [(f"shipped:{k}", v) for k, v in SHIPPED_TEMPLATES.items()]
    saved = session.exec(select(SavedTemplate).order_by(col(SavedTemplate.name))).all()
    return shipped + [(f"saved:{t.id}", t.name) for t in saved]


def template_text(
    *, session: Session, clock: Clock, reference: str, author_id: str
) -> tuple[str, str]:
    """A template's (title, body), from `shipped:<name>` or `saved:<id>`.

    Raises:
        NotFound: no such template.
    """
    kind, _, name = reference.partition(":")
    if kind == "shipped" and name in SHIPPED_TEMPLATES:
        person = session.get(Person, author_id)
        zone = zone_of(session, author_id)
        body = render(
            "announcements",
            f"compose/{name}.j2",
            author=Mrkdwn(person.real_name if person else ""),
            today=clock.now().astimezone(ZoneInfo(zone)).date(),
        )
        return SHIPPED_TEMPLATES[name], body
    saved_id = number(name) if kind == "saved" else None
    if saved_id is not None:
        saved = session.get(SavedTemplate, saved_id)
        if saved is not None:
            return saved.title, saved.body
    raise NotFound("That template no longer exists; pick another one.")


def save_template(session: Session, clock: Clock, announcement: Announcement) -> None:
    """Keep an announcement's title and body under the name its author gave (replacing one of
    that name)."""
    name = announcement.save_template_as or ""
    template = session.exec(select(SavedTemplate).where(SavedTemplate.name == name)).first()
    if template is None:
        template = SavedTemplate(
            name=name,
            title=announcement.title,
            body=announcement.body,
            created_by=announcement.author_id,
            created_at=clock.now(),
        )
    template.title, template.body = announcement.title, announcement.body
    session.add(template)
