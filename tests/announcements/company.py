"""The company the announcement and town-hall service tests run in (who holds which role, the
Engineering department with its channel, and the company-wide #general), and the two steps
most of their tests take: keeping a draft and posting an announcement now."""

from sqlmodel import Session

from announcements.blocks import Renderer
from announcements.drafts import Draft, save_draft
from announcements.models import Announcement, AnnouncementPost
from announcements.policy import Policy
from announcements.posting import post_occurrence
from bot.clock import FixedClock
from directory.models import Department, Role
from tests import factories

ADMIN = "U0ALICE"  # an admin by the settings
COMMS = "U0GRACE"
MANAGER = "U0FRANK"  # manages Engineering, whose channel is #eng
MEMBER = "U0BOB"  # in Engineering
POLICY = Policy(admins=(ADMIN,))
GENERAL = "C0GENERAL"
ENG = "C0ENG"


def company(session: Session) -> Department:
    """Alice (admin), Grace (comms), Frank (manager) and Bob and Carol (members of Engineering,
    with Frank); #general (company-wide) and #eng, Engineering's channel. Returns Engineering."""
    factories.person(session, ADMIN)
    factories.with_role(session, COMMS, Role.COMMS)
    factories.with_role(session, MANAGER, Role.MANAGER)
    factories.channel(session, GENERAL, member_count=5)
    factories.channel(session, ENG, member_count=3)
    return factories.department(
        session, "eng", members=(MANAGER, MEMBER, "U0CAROL"), channel_id=ENG, name="Engineering"
    )


def keep(session: Session, author: str, draft: Draft, replaces: int | None = None) -> int:
    """The author's draft, checked and kept for its preview; its id."""
    kept = save_draft(
        session=session,
        clock=FixedClock(factories.NOW),
        policy=POLICY,
        author_id=author,
        draft=draft,
        replaces=replaces,
    )
    return kept.id or 0


def post_now(session: Session, announcement: Announcement) -> AnnouncementPost | None:
    """Its occurrence at NOW, posted as the schedule handler posts it."""
    return post_occurrence(
        session=session,
        clock=FixedClock(factories.NOW),
        renderer=Renderer(),
        announcement_id=announcement.id or 0,
        occurrence=factories.NOW,
        late=False,
    )
