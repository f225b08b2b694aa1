"""A request as people see it (the plain `RequestView`), and the `Renderer` protocol through
which the domain gets the Block Kit of the messages it enqueues without importing Slack."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from helpdesk.models import ACTIVE_STATUSES, Desk, HelpRequest, Rating, Status

PACKAGE = "helpdesk"
MAX_DETAILS = 2500  # the longest details or rating comment kept

STATUS_LABELS: dict[str, str] = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING: "Waiting on requester",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}


@dataclass(frozen=True)
class RequestView:
    """A request as people see it: plain values, safe to pass between threads."""

    id: int
    desk_key: str
    desk_name: str
    channel_id: str
    requester_id: str
    opened_by: str
    assignee_id: str | None
    summary: str
    details: str
    priority: str
    category: str | None
    status: str
    source_link: str | None
    permalink: str | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    rated: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Renderer(Protocol):
    """Block Kit for the messages the domain enqueues (helpdesk.blocks implements it)."""

    def parent_blocks(self, view: RequestView) -> list[dict[str, Any]]:
        """The parent message in the intake channel: summary, status and buttons."""
        ...

    def rating_blocks(self, view: RequestView) -> list[dict[str, Any]]:
        """The DM asking the requester to rate a resolved request."""
        ...


def view_of(*, session: Session, request: HelpRequest) -> RequestView:
    """The plain view of a request."""
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    assert request.id is not None
    rating = session.get(Rating, request.id)
    return RequestView(
        id=request.id,
        desk_key=desk.key,
        desk_name=desk.name,
        channel_id=request.channel_id,
        requester_id=request.requester_id,
        opened_by=request.opened_by,
        assignee_id=request.assignee_id,
        summary=request.summary,
        details=request.details,
        priority=request.priority,
        category=request.category,
        status=request.status,
        source_link=request.source_link,
        permalink=request.permalink,
        created_at=request.created_at,
        first_response_at=request.first_response_at,
        resolved_at=request.resolved_at,
        rated=rating.score if rating else None,
    )
