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
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import delivery
from bot.clock import Clock
from bot.delivery import OutboundMessage
from bot.models import Schedule
from bot.notices import skipped_text, tell_owner
from bot.store import Store
from bot.templating import render
from surveys import blocks, charts, service
from surveys.models import Survey, SurveyRun, SurveyUpload
from surveys.render import invitation_text, privacy_line, results_text
from surveys.results import export_csv, run_results

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
    invitations: list[service.Invitation],
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

    def __init__(self, clock: Clock, channel_members: service.ChannelMembers | None) -> None:
        self.clock = clock
        self.channel_members = channel_members

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Open the run (in the claiming transaction)."""
        survey_id = int(schedule.ref_id)
        launched = service.launch_run(
            session=session,
            clock=self.clock,
            survey_id=survey_id,
            channel_members=self.channel_members,
        )
        survey = session.get(Survey, survey_id)
        if survey is None:
            return
        if launched is None:
            if survey.state == "active":
                tell_owner(
                    session=session,
                    clock=self.clock,
                    schedule=schedule,
                    text=render("surveys", "no_audience.j2", id=survey.id, title=survey.title),
                    key=f"no-audience:{occurrence.isoformat()}",
                )
            return
        run = launched.run
        questions = service.questions_of(session=session, survey_id=survey_id)
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
    """Reminds the people of an open run who have not answered (only them)."""

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
        pending = service.pending_reminders(session=session, run_id=run.id or 0, offset=offset)
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
                questions=service.questions_of(session=session, survey_id=survey.id or 0),
                reminder=seconds,
            ),
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off reminders are never skipped (they run late instead)."""


class CloseHandler:
    """Closes a run at the end of its window; the author gets results and charts."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Close the run (a run closed early by /pulse close is left alone)."""
        run = session.get(SurveyRun, int(schedule.ref_id))
        if run is not None:
            service.close_run(session=session, clock=self.clock, run=run)

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off closes are never skipped."""


def process_uploads(*, store: Store, clock: Clock, client: WebClient, limit: int = 5) -> int:
    """Upload pending charts and CSVs to people's DMs, each claimed once; returns how many."""
    with store.unit_of_work(write=False) as session:
        pending = list(
            session.exec(
                select(SurveyUpload.id)
                .where(SurveyUpload.state == "pending")
                .order_by(col(SurveyUpload.id))
                .limit(limit)
            ).all()
        )
    done = 0
    for upload_id in pending:
        with store.unit_of_work() as session:
            claimed = session.execute(
                update(SurveyUpload)
                .where(col(SurveyUpload.id) == upload_id, col(SurveyUpload.state) == "pending")
                .values(state="uploading")
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another replica has it
        state, error = "done", None
        try:
            _upload(store=store, client=client, upload_id=upload_id or 0)
            done += 1
        except SlackApiError as failure:
            state, error = "failed", str(failure.response.get("error", "slack error"))[:255]
            logger.warning("survey upload %s failed: %s", upload_id, error)
        with store.unit_of_work() as session:
            session.execute(
                update(SurveyUpload)
                .where(col(SurveyUpload.id) == upload_id)
                .values(state=state, error=error)
            )
    return done


def _upload(*, store: Store, client: WebClient, upload_id: int) -> None:
    with store.unit_of_work(write=False) as session:
        upload = session.get(SurveyUpload, upload_id)
        assert upload is not None
        run = session.get(SurveyRun, upload.run_id)
        assert run is not None
        results = run_results(session=session, run=run)
    title = results.survey.title
    files: list[dict[str, Any]]
    if upload.kind == "csv":
        files = [
            {
                "content": export_csv(results).encode(),
                "filename": f"survey-{results.survey.id}-run-{run.number}.csv",
                "title": f"{title}, run {run.number}: aggregates",
            }
        ]
        comment = (
            f"Aggregates of *{title}*, run {run.number} (no individual answers; groups under "
            f"{results.survey.threshold} answers are hidden)."
        )
    else:
        files = [
            {"content": png, "filename": name, "title": name.removesuffix(".png")}
            for name, png in charts.all_charts(results)
        ]
        if not files:
            return
        comment = f"Charts of *{title}*, run {run.number}."
    dm = client.conversations_open(users=upload.target_user)["channel"]["id"]
    client.files_upload_v2(file_uploads=files, channel=dm, initial_comment=comment)


def results_for(
    *, session: Session, admins: tuple[str, ...], user_id: str, survey_id: str, number: int | None
) -> str:
    """The results text of a survey's run for someone allowed to see it."""
    survey = service.get_survey(session=session, survey_id=survey_id)
    service.require_may_see(session=session, admins=admins, user_id=user_id, survey=survey)
    run = service.run_of(session=session, survey=survey, number=number)
    return results_text(run_results(session=session, run=run))
