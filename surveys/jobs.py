"""Scheduled work of pulse surveys: open runs (invitations), remind, close; upload charts and CSVs.

Launch, reminder and close handlers run inside the schedule's claiming transaction and write
outbox rows there. Uploads (files cannot go through the message outbox) are rows of
`survey_upload`, claimed one by one by a tick so that each file is uploaded once.
"""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.models import Schedule
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.outbox.sender import NETWORK_ERRORS, error_code
from bot.scheduling.notices import skipped_text, tell_owner
from bot.store import Store
from bot.text.mrkdwn import escape
from bot.text.templating import render
from surveys import blocks, charts
from surveys.common import ChannelMembers, Invitation, questions_of
from surveys.export import export_csv, names_of
from surveys.models import Survey, SurveyRun, SurveyUpload
from surveys.release import Keys
from surveys.render import invitation_text, privacy_line
from surveys.runs import NotLaunched, close_run, launch_run, reminder_targets
from surveys.snapshots import results_for

logger = logging.getLogger("commons.surveys")


def _campaign(session: Session, clock: Clock, survey: Survey, run: SurveyRun) -> str:
    campaign = f"surveys:run:{run.id}"
    delivery.open_campaign(
        session=session,
        clock=clock,
        campaign_id=campaign,
        kind="survey",
        title=survey.title,
        owner_user_id=survey.author_id,
    )
    return campaign


def _messages(
    *,
    survey: Survey,
    run: SurveyRun,
    invitations: list[Invitation],
    questions: list[Any],
    reminder: str | None,
) -> Iterator[OutboundMessage]:
    text = invitation_text(
        survey, count=len(questions), closes=run.closes_at, reminder=reminder is not None
    )
    # The same blocks for everyone: built once, whatever the audience's size.
    message_blocks = blocks.invitation_blocks(
        run_id=run.id or 0, intro=text, privacy=privacy_line(survey), questions=questions
    )
    kind = "invite" if reminder is None else f"remind:{run.id}:{reminder}"
    for invitation in invitations:
        key = (
            f"surveys:invite:{run.id}:{invitation.user_id}"
            if reminder is None
            else f"surveys:{kind}:{invitation.user_id}"
        )
        yield OutboundMessage(
            target=invitation.user_id,
            text=text,
            blocks=message_blocks,
            idempotency_key=key,
            not_before=invitation.not_before,
        )


class LaunchHandler:
    """Opens a run when a survey's schedule fires: invitations go to the outbox."""

    def __init__(self, clock: Clock, channel_members: ChannelMembers | None) -> None:
        self.clock = clock
        self.channel_members = channel_members

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Open the run (in the claiming transaction)."""
        survey_id = int(schedule.ref_id)
        launched = launch_run(
            session=session,
            clock=self.clock,
            survey_id=survey_id,
            channel_members=self.channel_members,
        )
        survey = session.get(Survey, survey_id)
        if survey is None or launched is None:
            return
        if isinstance(launched, NotLaunched):
            text = render(
                "surveys",
                "no_audience.j2",
                id=survey.id,
                title=survey.title,
                audience=launched.audience,
                threshold=survey.threshold,
            )
            tell_owner(
                session=session,
                clock=self.clock,
                schedule=schedule,
                text=text,
                key=f"no-audience:{occurrence.isoformat()}",
            )
            return
        run = launched.run
        questions = questions_of(session=session, survey_id=survey_id)
        delivery.enqueue(
            session=session,
            clock=self.clock,
            campaign_id=_campaign(session, self.clock, survey, run),
            messages=_messages(
                survey=survey,
                run=run,
                invitations=launched.invitations,
                questions=questions,
                reminder=None,
            ),
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """Tell the author runs were skipped while Commons was down."""
        tell_owner(
            session=session,
            clock=self.clock,
            schedule=schedule,
            text=skipped_text("a pulse survey run", schedule, occurrences),
            key=f"skipped:{occurrences[-1].isoformat()}",
        )


class RemindHandler:
    """Reminds everyone invited to an anonymous run (Commons does not know who answered), and
    those who have not answered an attributed one."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Queue reminders, each at the same offset from that person's own invitation."""
        run_id, _, seconds = schedule.ref_id.partition(":")
        run = session.get(SurveyRun, int(run_id))
        if run is None or run.state != "open":
            return
        survey = session.get(Survey, run.survey_id)
        if survey is None:
            return
        offset = timedelta(seconds=int(seconds or 0))
        pending = reminder_targets(session=session, run_id=run.id or 0, offset=offset)
        if not pending:
            return
        delivery.enqueue(
            session=session,
            clock=self.clock,
            campaign_id=_campaign(session, self.clock, survey, run),
            messages=_messages(
                survey=survey,
                run=run,
                invitations=pending,
                questions=questions_of(session=session, survey_id=survey.id or 0),
                reminder=seconds,
            ),
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off reminders are never skipped (they run late instead)."""


class CloseHandler:
    """Closes a run at the end of its window; the author gets results and charts."""

    def __init__(self, clock: Clock, keys: Keys) -> None:
        self.clock = clock
        self.keys = keys

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Close the run (a run closed early by /pulse close is left alone)."""
        run = session.get(SurveyRun, int(schedule.ref_id))
        if run is not None:
            close_run(session=session, clock=self.clock, run=run, keys=self.keys)

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off closes are never skipped."""


# An upload still "uploading" this long after it was taken was cut off (the process died).
UPLOAD_LEASE = timedelta(minutes=10)
MAX_UPLOAD_ATTEMPTS = 5
# Slack's "not now": worth another try later. Anything else is its final word.
RETRYABLE_UPLOAD_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def process_uploads(
    *, store: Store, clock: Clock, client: WebClient, keys: Keys, limit: int = 5
) -> int:
    """Upload due charts and CSVs to people's DMs, each claimed once; returns how many went.

    Slack's 429s and 5xx are retried later (up to MAX_UPLOAD_ATTEMPTS). An upload whose outcome is
    unknown (the connection broke, or the process died while it was under way) is not sent again,
    since the file may already be in the DM: the person is told and can ask again.
    """
    now = clock.now()
    due = or_(col(SurveyUpload.not_before).is_(None), col(SurveyUpload.not_before) <= now)
    waiting = and_(col(SurveyUpload.state) == "pending", due)
    cut_off = and_(
        col(SurveyUpload.state) == "uploading", col(SurveyUpload.claimed_at) < now - UPLOAD_LEASE
    )
    with store.unit_of_work(write=False) as session:
        found = session.exec(
            select(SurveyUpload.id, SurveyUpload.state)
            .where(or_(waiting, cut_off))
            .order_by(col(SurveyUpload.id))
            .limit(limit)
        ).all()
    done = 0
    for upload_id, state in found:
        if state == "uploading":
            _finish(store, clock, upload_id or 0, "failed", "interrupted", only_if=cut_off)
            continue
        with store.unit_of_work() as session:
            claimed = session.execute(
                update(SurveyUpload)
                .where(col(SurveyUpload.id) == upload_id, waiting)
                .values(state="uploading", claimed_at=now, attempts=col(SurveyUpload.attempts) + 1)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another replica has it
        try:
            _upload(store=store, client=client, keys=keys, upload_id=upload_id or 0)
        except SlackApiError as failure:
            code = error_code(failure)
            logger.warning("survey upload %s: Slack said %s", upload_id, code)
            status = failure.response.status_code
            retry = status == 429 or status >= 500 or code in RETRYABLE_UPLOAD_ERRORS
            _finish(store, clock, upload_id or 0, "retry" if retry else "failed", code)
            continue
        except NETWORK_ERRORS as failure:
            logger.warning("survey upload %s: no answer from Slack (%r)", upload_id, failure)
            _finish(store, clock, upload_id or 0, "failed", "interrupted")
            continue
        except Exception:
            # A bug of ours (making the file, say): told as a failure, never retried on its own.
            logger.exception("survey upload %s could not be made", upload_id)
            _finish(store, clock, upload_id or 0, "failed", "internal_error")
            continue
        _finish(store, clock, upload_id or 0, "done", None)
        done += 1
    return done


def _finish(
    store: Store,
    clock: Clock,
    upload_id: int,
    outcome: str,
    error: str | None,
    *,
    only_if: Any = None,
) -> None:
    """Record an upload's outcome; a failure is told to the person who asked, through the outbox."""
    with store.unit_of_work() as session:
        upload = session.get(SurveyUpload, upload_id)
        if upload is None:
            return
        if outcome == "retry" and upload.attempts < MAX_UPLOAD_ATTEMPTS:
            values: dict[str, Any] = {
                "state": "pending",
                "error": error,
                "not_before": clock.now() + timedelta(seconds=30 * 2**upload.attempts),
            }
        else:
            values = {"state": "done" if outcome == "done" else "failed", "error": error}
        condition = [col(SurveyUpload.id) == upload_id]
        if only_if is not None:
            condition.append(only_if)
        changed = session.execute(update(SurveyUpload).where(*condition).values(**values))
        if changed.rowcount != 1 or values["state"] != "failed":  # type: ignore[attr-defined]
            return
        run = session.get(SurveyRun, upload.run_id)
        survey = session.get(Survey, run.survey_id) if run else None
        if run is None or survey is None:
            return
        delivery.enqueue(
            session=session,
            clock=clock,
            campaign_id=f"survey-{survey.id}-uploads",
            messages=[
                OutboundMessage(
                    target=upload.target_user,
                    text=upload_failed_text(survey, run.number, upload.kind, error or "failed"),
                    idempotency_key=f"survey-upload:{upload_id}:failed",
                )
            ],
            kind="survey",
            title=f"{survey.title}: files",
            owner_user_id=survey.author_id,
        )


def upload_failed_text(survey: Survey, number: int, kind: str, error: str) -> str:
    """What someone reads when their charts or CSV could not be sent."""
    what = "the CSV" if kind == "csv" else "the charts"
    again = f"/pulse {'export' if kind == 'csv' else 'results'} {survey.id} {number}"
    reasons = {
        "interrupted": "the upload was cut off, and it may or may not have arrived",
        "internal_error": "Commons could not make the file (its log says why)",
    }
    why = reasons.get(error, f"Slack said `{error}`")
    title = render("surveys", "title.j2", title=survey.title)
    return f":warning: I could not send you {what} of *{title}*, run {number}: {why}. `{again}` asks again."


def _upload(*, store: Store, client: WebClient, keys: Keys, upload_id: int) -> None:
    with store.unit_of_work(write=False) as session:
        upload = session.get(SurveyUpload, upload_id)
        assert upload is not None
        run = session.get(SurveyRun, upload.run_id)
        assert run is not None
        # The files show what their recipient may see, exactly as /pulse results does.
        results = results_for(session=session, run=run, viewer=upload.target_user, keys=keys)
        names = names_of(session, results.people)
    title = results.survey.title
    files: list[dict[str, Any]]
    if upload.kind == "csv":
        files = [
            {
                "content": export_csv(results, names).encode(),
                "filename": f"survey-{results.survey.id}-run-{run.number}.csv",
                "title": f"{title}, run {run.number}: aggregates",
            }
        ]
        comment = (
            f"Aggregates of *{escape(title)}*, run {run.number} (no individual answers; groups under "
            f"{results.survey.threshold} answers are not shown)."
            if results.survey.anonymous
            else f"*{escape(title)}*, run {run.number}: aggregates, and each person's answers "
            "(an attributed survey)."
        )
    else:
        files = [
            {"content": png, "filename": name, "title": name.removesuffix(".png")}
            for name, png in charts.all_charts(results)
        ]
        if not files:
            return
        comment = f"Charts of *{escape(title)}*, run {run.number}."
    dm = client.conversations_open(users=upload.target_user)["channel"]["id"]
    client.files_upload_v2(file_uploads=files, channel=dm, initial_comment=comment)
