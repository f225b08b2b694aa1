"""The SLA watch: each active request's first-response and resolution clocks in its desk's
business hours (the resolution clock stops while the requester is asked), a warning at 75 % of
a target and an escalation on breach, each sent once, and when the next one falls due."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.outbox.delivery import OutboundMessage
from bot.store import insert_ignore
from bot.text.templating import render
from helpdesk import hours as bh
from helpdesk.desks import business_hours, sla_targets
from helpdesk.models import ACTIVE_STATUSES, Desk, HelpRequest, SlaAlert, Status
from helpdesk.notices import send
from helpdesk.views import PACKAGE, view_of

FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
WARNING, BREACH = "warning", "breach"
WARNING_SHARE = 0.75
LEVELS = ((WARNING, WARNING_SHARE), (BREACH, 1.0))


@dataclass(frozen=True)
class Watched:
    """An active request with its desk and the desk's business hours."""

    request: HelpRequest
    desk: Desk
    hours: bh.BusinessHours


@dataclass(frozen=True)
class Target:
    """One SLA clock of a request: the target (business seconds) and how long it stood still."""

    name: str
    limit: float
    paused: float


@dataclass(frozen=True)
class Alert:
    """A warning or breach to send, and when its target falls (or fell) due."""

    target: str
    level: str
    limit: float
    due: datetime


def pause(request: HelpRequest, now: datetime) -> None:
    """Stop the resolution clock (the request waits on its requester, or is resolved)."""
    if request.waiting_since is None:
        request.waiting_since = now


def resume(*, session: Session, request: HelpRequest, desk: Desk, now: datetime) -> None:
    """Start the resolution clock again, counting the business time it stood still."""
    if request.waiting_since is not None:
        request.paused_seconds += bh.business_seconds(
            business_hours(session=session, desk=desk), request.waiting_since, now
        )
        request.waiting_since = None


def watched(session: Session) -> Iterator[Watched]:
    """Every active request, with its desk and hours (read once per desk)."""
    desks: dict[int, tuple[Desk, bh.BusinessHours]] = {}
    active = session.exec(
        select(HelpRequest).where(col(HelpRequest.status).in_(ACTIVE_STATUSES))
    ).all()
    for request in active:
        if request.desk_id not in desks:
            desk = session.get(Desk, request.desk_id)
            assert desk is not None
            desks[request.desk_id] = (desk, business_hours(session=session, desk=desk))
        desk, hours = desks[request.desk_id]
        yield Watched(request, desk, hours)


def running_targets(*, session: Session, desk: Desk, request: HelpRequest) -> list[Target]:
    """The clocks that run: first response until an agent answers, resolution unless the
    request waits on its requester."""
    first, resolution = sla_targets(session=session, desk=desk, priority=request.priority)
    targets: list[Target] = []
    if request.first_response_at is None:
        targets.append(Target(FIRST_RESPONSE, first * 60.0, 0.0))
    if request.status != Status.WAITING:
        targets.append(Target(RESOLUTION, resolution * 60.0, request.paused_seconds))
    return targets


def check_slas(*, session: Session, clock: Clock) -> int:
    """Warn at 75 % of each SLA target and escalate on breach, once each; returns alerts sent."""
    now = clock.now()
    sent = 0
    for item in watched(session):
        elapsed = bh.business_seconds(item.hours, item.request.created_at, now)
        for target in running_targets(session=session, desk=item.desk, request=item.request):
            level = _reached(target, elapsed - target.paused)
            if level is None:
                continue
            if level == BREACH:  # a breach found first still counts as warned
                _record(session, item.request, target.name, WARNING, now)
            if _record(session, item.request, target.name, level, now):
                due = bh.add_business_seconds(
                    item.hours, item.request.created_at, target.limit + target.paused
                )
                _alert(session, clock, item, Alert(target.name, level, target.limit, due))
                sent += 1
    return sent


def _reached(target: Target, spent: float) -> str | None:
    """The level a clock has reached: breach, warning, or neither."""
    if spent >= target.limit:
        return BREACH
    if spent >= WARNING_SHARE * target.limit:
        return WARNING
    return None


def _record(session: Session, request: HelpRequest, target: str, level: str, at: datetime) -> bool:
    """Record an alert unless it was (also against a concurrent tick); True if recorded now.

    Told by the row RETURNING gives back: PostgreSQL's driver reports no row count here."""
    values = {"request_id": request.id, "target": target, "level": level, "at": at}
    statement = insert_ignore(session, SlaAlert, ["request_id", "target", "level"], **values)
    return session.execute(statement.returning(col(SlaAlert.request_id))).first() is not None


def _alert(session: Session, clock: Clock, item: Watched, alert: Alert) -> None:
    """The alert in the request's thread; a warning to the assignee, a breach to the lead or
    the escalation channel (the intake channel when the desk has neither)."""
    request, desk = item.request, item.desk
    context = {
        "view": view_of(session=session, request=request),
        "target": "first response" if alert.target == FIRST_RESPONSE else "resolution",
        "limit": bh.describe_minutes(alert.limit / 60),
        "due": int(alert.due.timestamp()),
        "group": desk.usergroup_id,
        "desk": desk.name,
        "lead": desk.lead_user_id,
        "escalation_channel": desk.escalation_channel_id,
    }
    base = f"helpdesk.r{request.id}.sla.{alert.target}.{alert.level}"
    messages = [
        OutboundMessage(
            target=request.channel_id,
            text=render(PACKAGE, f"sla_{alert.level}.j2", where="thread", **context),
            idempotency_key=f"{base}.thread",
            parent_key=request.parent_key,
        )
    ]
    if alert.level == WARNING and request.assignee_id:
        messages.append(
            OutboundMessage(
                target=request.assignee_id,
                text=render(PACKAGE, "sla_warning.j2", where="assignee", **context),
                idempotency_key=f"{base}.assignee",
            )
        )
    if alert.level == BREACH:
        targets = [t for t in (desk.lead_user_id, desk.escalation_channel_id) if t]
        for index, who in enumerate(targets or [desk.channel_id]):
            messages.append(
                OutboundMessage(
                    target=who,
                    text=render(PACKAGE, "sla_breach.j2", where="escalation", **context),
                    idempotency_key=f"{base}.escalation.{index}",
                )
            )
    send(session=session, clock=clock, desk=desk, messages=messages)


def alert_instants(*, session: Session) -> list[datetime]:
    """When each warning and breach not yet sent falls due (a desk with no working time at all
    has none)."""
    alerted = {
        (alert.request_id, alert.target, alert.level) for alert in session.exec(select(SlaAlert))
    }
    found: list[datetime] = []
    for item in watched(session):
        for target in running_targets(session=session, desk=item.desk, request=item.request):
            for level, share in LEVELS:
                if (item.request.id, target.name, level) in alerted:
                    continue
                try:
                    spent = share * target.limit + target.paused
                    found.append(
                        bh.add_business_seconds(item.hours, item.request.created_at, spent)
                    )
                except InvalidInput:
                    continue
    return found
