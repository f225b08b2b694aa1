"""Operations of the shell: remembering the workspace identity, and what the App Home needs."""

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.clock import Clock
from bot.models import Installation


@dataclass(frozen=True)
class WorkspaceIdentity:
    """Who Commons is in the workspace, as auth.test and team.info report it."""

    team_id: str
    team_name: str
    team_domain: str
    bot_user_id: str
    bot_id: str


def record_installation(*, session: Session, clock: Clock, identity: WorkspaceIdentity) -> None:
    """Insert or refresh the installation row for the workspace."""
    row = session.get(Installation, identity.team_id)
    if row is None:
        row = Installation(
            team_id=identity.team_id, bot_user_id=identity.bot_user_id, updated_at=clock.now()
        )
    row.team_name = identity.team_name
    row.team_domain = identity.team_domain
    row.bot_user_id = identity.bot_user_id
    row.bot_id = identity.bot_id
    row.updated_at = clock.now()
    session.add(row)


def team_name(*, session: Session) -> str:
    """The workspace's name, or "" before the first start has recorded it."""
    row = session.exec(select(Installation).order_by(Installation.updated_at.desc())).first()  # type: ignore[attr-defined]
    return row.team_name if row is not None else ""
