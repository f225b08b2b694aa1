"""What a desk and a person see of the requests: the formulas (median, p90, CSAT, breach rate),
a desk's figures, its queue, and the person's own open requests."""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.clock import Clock
from helpdesk import hours as bh
from helpdesk.desks import business_hours, find_desk
from helpdesk.models import ACTIVE_STATUSES, Desk, HelpRequest, Rating, SlaAlert, Status
from helpdesk.sla import BREACH
from helpdesk.views import RequestView, view_of

LISTED = 40  # the most requests a list shows


@dataclass(frozen=True)
class Stats:
    """A desk's metrics (durations in business seconds, ages in calendar seconds)."""

    desk_name: str
    counts: dict[str, int]
    total: int
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    breach_rate: float | None
    csat: float | None
    rated: int
    backlog: int
    backlog_oldest: float | None
    backlog_median: float | None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Durations:
    """Each request's times: to first response and to resolution (business seconds, less the
    time waiting on the requester), and the age of each active one (calendar seconds)."""

    first: list[float]
    resolution: list[float]
    backlog: list[float]


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank (the smallest value >= 90 % of the values)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


def csat(scores: Sequence[int]) -> float | None:
    """Percentage of ratings that are 4 or 5, among rated requests."""
    if not scores:
        return None
    return 100.0 * sum(1 for s in scores if s >= 4) / len(scores)


def breach_rate(breached: int, total: int) -> float | None:
    """Percentage of requests that breached at least one SLA target."""
    return 100.0 * breached / total if total else None


def my_open(*, session: Session, user_id: str) -> list[RequestView]:
    """The person's requests that are not closed, oldest first."""
    rows = session.exec(
        select(HelpRequest)
        .where(
            HelpRequest.requester_id == user_id,
            col(HelpRequest.status).in_([*ACTIVE_STATUSES, Status.RESOLVED]),
        )
        .order_by(col(HelpRequest.created_at))
        .limit(LISTED)
    ).all()
    return [view_of(session=session, request=r) for r in rows]


def queue(*, session: Session, desk_ref: str) -> tuple[Desk, list[RequestView]]:
    """A desk's active requests, oldest first.

    Raises:
        NotFound: no such desk.
    """
    desk = find_desk(session=session, reference=desk_ref)
    rows = session.exec(
        select(HelpRequest)
        .where(HelpRequest.desk_id == desk.id, col(HelpRequest.status).in_(ACTIVE_STATUSES))
        .order_by(col(HelpRequest.created_at))
        .limit(LISTED)
    ).all()
    return desk, [view_of(session=session, request=r) for r in rows]


def stats(*, session: Session, clock: Clock, desk_ref: str) -> Stats:
    """A desk's metrics over all its requests.

    Raises:
        NotFound: no such desk.
    """
    desk = find_desk(session=session, reference=desk_ref)
    rows = session.exec(select(HelpRequest).where(HelpRequest.desk_id == desk.id)).all()
    counts = {s.value: 0 for s in Status}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    times = durations(rows, business_hours(session=session, desk=desk), clock.now())
    ids = [r.id for r in rows]
    breached = (
        session.exec(
            select(func.count(func.distinct(SlaAlert.request_id))).where(
                col(SlaAlert.request_id).in_(ids), SlaAlert.level == BREACH
            )
        ).one()
        if ids
        else 0
    )
    scores = (
        list(session.exec(select(Rating.score).where(col(Rating.request_id).in_(ids))).all())
        if ids
        else []
    )
    return Stats(
        desk_name=desk.name,
        counts=counts,
        total=len(rows),
        first_response_median=median(times.first),
        first_response_p90=p90(times.first),
        resolution_median=median(times.resolution),
        resolution_p90=p90(times.resolution),
        breach_rate=breach_rate(int(breached), len(rows)),
        csat=csat(scores),
        rated=len(scores),
        backlog=len(times.backlog),
        backlog_oldest=max(times.backlog) if times.backlog else None,
        backlog_median=median(times.backlog),
    )


def durations(rows: Sequence[HelpRequest], hours: bh.BusinessHours, now: datetime) -> Durations:
    """The times `stats` summarises, of a desk's requests."""
    times = Durations(first=[], resolution=[], backlog=[])
    for r in rows:
        if r.first_response_at is not None:
            times.first.append(bh.business_seconds(hours, r.created_at, r.first_response_at))
        if r.resolved_at is not None and r.status in (Status.RESOLVED, Status.CLOSED):
            spent = bh.business_seconds(hours, r.created_at, r.resolved_at) - r.paused_seconds
            times.resolution.append(max(0.0, spent))
        if r.status in ACTIVE_STATUSES:
            times.backlog.append((now - r.created_at).total_seconds())
    return times
