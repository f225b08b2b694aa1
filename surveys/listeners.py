"""`/pulse` and the survey buttons and modals: ack, parse, call the service, render."""

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.args import words
from bot.errors import DomainError, InvalidInput
from bot.forms import element_value
from bot.gateway import paged
from bot.interaction import Wiring
from bot.services import Services, Tick
from bot.templating import render
from directory import service as directory
from surveys import blocks, jobs, service
from surveys.questions import TEMPLATES, parse_questions
from surveys.render import privacy_line, slack_date

logger = logging.getLogger("commons.surveys")

PULSE_COMMAND = "/pulse"
VOTE_ACTION = re.compile(r"^surveys\.vote\.\d+$")

USAGE = (
    "*Pulse surveys*\n"
    "`/pulse`: start a survey from a template (eNPS, engagement, onboarding) or your own questions\n"
    "`/pulse list`: your surveys (HR sees all)\n"
    "`/pulse results &lt;id&gt; [run]`: participation, scores, departments, trend, comments, charts\n"
    "`/pulse export &lt;id&gt; [run]`: a CSV of the aggregates, to your DM\n"
    "`/pulse close &lt;id&gt;`: close the open run now and stop the survey\n"
    "`/pulse pause &lt;id&gt;` / `/pulse resume &lt;id&gt;`: hold or restart a recurring survey"
)


def _values(view: dict[str, Any]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for state in actions.values():
            out[block_id] = element_value(state) or ""
    return out


def _one(values: dict[str, str | list[str]], block_id: str) -> str:
    value = values.get(block_id, "")
    return (value[0] if value else "") if isinstance(value, list) else value.strip()


def _many(values: dict[str, str | list[str]], block_id: str) -> list[str]:
    value = values.get(block_id, [])
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _number(text: str, block_id: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _FieldError(block_id, f"{what} is a whole number.") from None


class _FieldError(InvalidInput):
    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(message)
        self.block_id = block_id


def draft_from(values: dict[str, str | list[str]]) -> service.SurveyDraft:
    """The /pulse modal's values as a draft (also what the sandbox console's plain text sends)."""
    template_key = _one(values, blocks.TEMPLATE_BLOCK) or "enps"
    written = _one(values, blocks.QUESTIONS_BLOCK)
    try:
        if written:
            questions = parse_questions(written)
        elif template_key in TEMPLATES:
            questions = list(TEMPLATES[template_key].questions)
        else:
            questions = []
    except InvalidInput as error:
        raise _FieldError(blocks.QUESTIONS_BLOCK, error.message) from None
    if not questions:
        raise _FieldError(
            blocks.QUESTIONS_BLOCK, "A custom survey needs questions: write at least one."
        )
    template = TEMPLATES.get(template_key)
    title = _one(values, blocks.TITLE_BLOCK) or (template.title if template else "Pulse survey")
    departments = _many(values, blocks.DEPARTMENTS_BLOCK)
    channel = _one(values, blocks.CHANNEL_BLOCK).lstrip("#")
    if channel:
        kind, refs = "channel", [channel]
    elif departments:
        kind, refs = "departments", departments
    else:
        kind, refs = "everyone", []
    cadence = _one(values, blocks.CADENCE_BLOCK) or "once"
    privacy = _one(values, blocks.PRIVACY_BLOCK) or "anonymous"
    if privacy not in blocks.PRIVACY_CHOICES:
        raise _FieldError(blocks.PRIVACY_BLOCK, "Pick anonymous, strong or attributed.")
    # Left out entirely (as a client that sends only what changed does): the defaults.
    reminders = (
        [r.strip().lower() for r in _many(values, blocks.REMINDERS_BLOCK)]
        if blocks.REMINDERS_BLOCK in values
        else ["3", "last"]
    )
    return service.SurveyDraft(
        title=title,
        questions=questions,
        template=template_key if template and not written else "custom",
        audience_kind=kind,
        audience_refs=refs,
        anonymous=privacy != "attributed",
        strong_protection=privacy == "strong",
        threshold=_number(
            _one(values, blocks.THRESHOLD_BLOCK) or "5", blocks.THRESHOLD_BLOCK, "The threshold"
        ),
        window_days=_number(
            _one(values, blocks.WINDOW_BLOCK) or "5", blocks.WINDOW_BLOCK, "The window"
        ),
        cadence=None if cadence == "once" else cadence,
        local_time=_one(values, blocks.LOCAL_TIME_BLOCK) or None,
        reminders=reminders,
    )


_FIELD_WORDS = (
    ("question", blocks.QUESTIONS_BLOCK),
    ("title", blocks.TITLE_BLOCK),
    ("threshold", blocks.THRESHOLD_BLOCK),
    ("remind", blocks.REMINDERS_BLOCK),
    ("time of day", blocks.LOCAL_TIME_BLOCK),
    ("open", blocks.WINDOW_BLOCK),
    ("repeat", blocks.CADENCE_BLOCK),
    ("channel", blocks.CHANNEL_BLOCK),
)


def _field_of(error: DomainError, present: set[str]) -> str:
    if isinstance(error, _FieldError) and error.block_id in present:
        return error.block_id
    lowered = error.message.lower()
    for word, block_id in _FIELD_WORDS:
        if word in lowered and block_id in present:
            return block_id
    for block_id in (blocks.DEPARTMENTS_BLOCK, blocks.CHANNEL_BLOCK):
        if block_id in present:
            return block_id
    return blocks.TEMPLATE_BLOCK


def register(wire: Wiring) -> None:
    """Wire the feature (legacy listeners until converted to the interaction layer)."""
    _register(wire.app, wire.services)


def _register(app: App, services: Services) -> None:
    """Attach /pulse, the answer buttons and modals, the survey handlers and the upload tick."""
    admins = services.settings.admins
    clock = services.clock
    secret = service.respondent_secret(services.settings.slack_signing_secret)

    def channel_members(channel_id: str) -> list[str]:
        # conversations.members is Tier 4: called once per run launch, never per recipient.
        return [
            str(m)
            for m in paged(app.client, "conversations.members", "members", channel=channel_id)
        ]

    services.schedule_handlers[service.LAUNCH_KIND] = jobs.LaunchHandler(clock, channel_members)
    services.schedule_handlers[service.REMIND_KIND] = jobs.RemindHandler(clock)
    services.schedule_handlers[service.CLOSE_KIND] = jobs.CloseHandler(clock)
    services.ticks.append(
        Tick(
            job_id="surveys.uploads",
            func=lambda: jobs.process_uploads(store=services.store, clock=clock, client=app.client),
            interval_seconds=2.0,
        )
    )

    def on_pulse(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        args = words(command.get("text", ""))
        user = command["user_id"]
        verb = args[0].lower() if args else ""
        if verb == "":
            with services.store.unit_of_work(write=False) as session:
                departments, manager = service.modal_choices(
                    session=session, admins=admins, user_id=user
                )
            ack()
            client.views_open(
                trigger_id=command["trigger_id"],
                view=blocks.create_modal(departments=departments, manager=manager),
            )
            return
        if verb == "help":
            ack(response_type="ephemeral", text=USAGE)
            return
        if verb == "list":
            ack(response_type="ephemeral", text=_list_text(user))
            return
        if verb in ("results", "export", "close", "pause", "resume"):
            if len(args) < 2:
                raise InvalidInput(
                    f"Say which survey: `/pulse {verb} &lt;id&gt;` (`/pulse list` shows ids)."
                )
            number = None
            if len(args) > 2:
                if not args[2].isdigit():
                    raise InvalidInput(f"`{args[2]}` is not a run number.")
                number = int(args[2])
            ack(response_type="ephemeral", text=_manage(verb, user, args[1], number))
            return
        raise InvalidInput(f"I don't know `/pulse {verb}`.\n{USAGE}")

    def _list_text(user: str) -> str:
        with services.store.unit_of_work(write=False) as session:
            rows = service.list_surveys(session=session, admins=admins, user_id=user)
            next_runs = {
                s.survey.id: service.next_run_at(session=session, survey=s.survey)
                for s in rows
                if s.survey.cadence
            }
        if not rows:
            return "You have no pulse surveys yet. `/pulse` starts one."
        lines = []
        for row in rows:
            survey = row.survey
            latest = (
                f"run {row.latest.number} {row.latest.state}: {row.answered}/{row.latest.invited} answered"
                + (
                    f", closes {slack_date(row.latest.closes_at)}"
                    if row.latest.state == "open"
                    else ""
                )
                if row.latest
                else "not run yet"
            )
            nxt = next_runs.get(survey.id)
            lines.append(
                f"*{survey.id}* · {render('surveys', 'title.j2', title=survey.title)} · {survey.state}"
                f" · {survey.cadence or 'once'} · {latest}"
                + (f" · next {slack_date(nxt)}" if nxt else "")
            )
        return "*Pulse surveys*\n" + "\n".join(lines)

    def _manage(verb: str, user: str, survey_id: str, number: int | None) -> str:
        if verb == "results":
            with services.store.unit_of_work() as session:
                text = jobs.results_for(
                    session=session, admins=admins, user_id=user, survey_id=survey_id, number=number
                )
                survey = service.get_survey(session=session, survey_id=survey_id)
                run = service.run_of(session=session, survey=survey, number=number)
                service.queue_upload(
                    session=session, clock=clock, run=run, kind="charts", user_id=user
                )
            return text + "\n_Charts are on their way to your DM._"
        if verb == "export":
            with services.store.unit_of_work() as session:
                survey = service.get_survey(session=session, survey_id=survey_id)
                service.require_may_see(session=session, admins=admins, user_id=user, survey=survey)
                run = service.run_of(session=session, survey=survey, number=number)
                service.queue_upload(
                    session=session, clock=clock, run=run, kind="csv", user_id=user
                )
            return (
                f":inbox_tray: The CSV of survey {survey.id}, run {run.number} (aggregates only) "
                "is on its way to your DM."
            )
        if verb == "close":
            with services.store.unit_of_work() as session:
                survey, open_run = service.close_now(
                    session=session, clock=clock, admins=admins, user_id=user, survey_id=survey_id
                )
            closed = (
                f" Run {open_run.number} closed; results go to <@{survey.author_id}>."
                if open_run
                else ""
            )
            return f":lock: Survey {survey.id} is closed: no more runs.{closed}"
        with services.store.unit_of_work() as session:
            survey = service.pause_or_resume(
                session=session,
                clock=clock,
                admins=admins,
                user_id=user,
                survey_id=survey_id,
                pause=verb == "pause",
            )
            nxt = service.next_run_at(session=session, survey=survey)
        if verb == "pause":
            return (
                f":pause_button: Survey {survey.id} is paused: no new runs (an open run still closes "
                f"as planned). `/pulse resume {survey.id}` restarts it."
            )
        return f":arrow_forward: Survey {survey.id} resumed" + (
            f"; next run {slack_date(nxt)}." if nxt else "."
        )

    def on_create(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        values = _values(view)
        present = {str(b.get("block_id")) for b in view.get("blocks", [])}
        try:
            draft = draft_from(values)
            with services.store.unit_of_work() as session:
                created = service.create_survey(
                    session=session,
                    clock=clock,
                    admins=admins,
                    author=user,
                    draft=draft,
                    timezone=_zone_of(session, user),
                )
        except DomainError as error:
            ack(response_action="errors", errors={_field_of(error, present): error.message[:150]})
            return
        survey = created.survey
        ack()  # the modal closes now; the confirmation follows as a DM
        client.chat_postMessage(
            channel=user,
            text=render(
                "surveys",
                "created.j2",
                id=survey.id,
                title=survey.title,
                questions=len(draft.questions),
                audience=created.audience_size,
                audience_text=survey.audience_kind,
                cadence=created.cadence_text,
                window=survey.window_days,
                first=slack_date(created.first_run_at),
                local_time=survey.local_time,
                anonymous=survey.anonymous,
                threshold=survey.threshold,
                strong=survey.strong_protection,
                recurring=survey.cadence is not None,
            ),
        )

    def on_vote(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        # Stored and confirmed before the ack (a few milliseconds): the person sees it at once.
        run_id, question_id, value = str(action["value"]).split(":")
        with services.store.unit_of_work() as session:
            answered = service.answer(
                session=session,
                clock=clock,
                secret=secret,
                run_id=int(run_id),
                user_id=body["user"]["id"],
                values={int(question_id): value},
                replace_all=False,
            )
        original = (body.get("message") or {}).get("blocks") or []
        text = render(
            "surveys",
            "answered.j2",
            title=answered.title,
            replaced=answered.replaced,
            anonymous=answered.anonymous,
            closes=slack_date(answered.closes_at),
        )
        respond(
            replace_original=True,
            text=text,
            blocks=blocks.with_confirmation(original, text),
        )
        ack()

    def on_open(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()  # a refusal below reaches the person through the error path, as an ephemeral
        with services.store.unit_of_work(write=False) as session:
            survey, run, questions = service.open_run_for(
                session=session,
                clock=clock,
                run_id=int(action["value"]),
                user_id=body["user"]["id"],
            )
            privacy = privacy_line(survey)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.answer_modal(
                run_id=run.id or 0, title=survey.title, privacy=privacy, questions=questions
            ),
        )

    def on_answer(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = _values(view)
        answers: dict[int, str | list[str]] = {
            int(block_id[1:]): value
            for block_id, value in values.items()
            if block_id.startswith("q") and block_id[1:].isdigit()
        }
        try:
            with services.store.unit_of_work() as session:
                answered = service.answer(
                    session=session,
                    clock=clock,
                    secret=secret,
                    run_id=int(view["private_metadata"]),
                    user_id=body["user"]["id"],
                    values=answers,
                    replace_all=True,
                )
        except service.AnswerMissing as error:
            block_id = blocks.question_block_id(error.question_id)
            ack(response_action="errors", errors={block_id: error.message[:150]})
            return
        except DomainError as error:
            first = next(iter(values), blocks.question_block_id(0))
            ack(response_action="errors", errors={first: error.message[:150]})
            return
        text = render(
            "surveys",
            "answered.j2",
            title=answered.title,
            replaced=answered.replaced,
            anonymous=answered.anonymous,
            closes=slack_date(answered.closes_at),
        )
        ack(response_action="update", view=blocks.thanks_modal(text))

    def _zone_of(session: Any, user: str) -> str:
        return directory.zone_of(session=session, user_id=user, default=services.settings.timezone)

    app.command(PULSE_COMMAND)(on_pulse)
    app.view(blocks.CREATE_CALLBACK)(on_create)
    app.view(blocks.ANSWER_CALLBACK)(on_answer)
    app.action(VOTE_ACTION)(on_vote)
    app.action(blocks.OPEN_ACTION)(on_open)
