"""`/pulse` and the create form: parse, call the service, render an outcome; and the wiring of
every survey listener (answering is in surveys/answer_listeners.py), schedule and tick."""

import re
from dataclasses import replace

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.errors import DomainError, FieldErrors, InvalidInput
from bot.outbox.sender import NETWORK_ERRORS, error_code
from bot.services import Tick
from bot.slack.args import parse_id, parse_optional_id, parse_time
from bot.slack.forms import FormValues
from bot.slack.gateway import paged
from bot.slack.interaction import Interaction, Later, Nothing, OpenModal, Outcome, Reply, Wiring
from bot.slack.verbs import Bare, CommandTable, Verb
from directory import service as directory
from surveys import answer_listeners, blocks, jobs, render
from surveys.access import modal_choices
from surveys.common import CLOSE_KIND, LAUNCH_KIND, REMIND_KIND, ChannelMembers
from surveys.creation import Created, SurveyDraft, create_survey
from surveys.programs import list_surveys, next_run_at, pause_or_resume
from surveys.questions import TEMPLATES, QuestionSpec, parse_questions
from surveys.release import keys_of
from surveys.reports import RunRequest, request_export, request_results
from surveys.runs import close_now

# -- /pulse ----------------------------------------------------------------------------------


def open_create_form(i: Interaction) -> Outcome:
    """`/pulse`: the form to start a survey (refused to people who cannot run one)."""
    with i.services.store.unit_of_work(write=False) as session:
        departments, manager = modal_choices(
            session=session, admins=i.services.settings.admins, user_id=i.user_id
        )
    return OpenModal(blocks.create_modal(departments=departments, manager=manager))


def on_list(i: Interaction, args: list[str]) -> Outcome:
    """`/pulse list`."""
    with i.services.store.unit_of_work(write=False) as session:
        rows = list_surveys(session=session, admins=i.services.settings.admins, user_id=i.user_id)
    return Reply(render.list_text(rows))


def on_results(i: Interaction, args: list[str]) -> Outcome:
    """`/pulse results <id> [run]`: the results now, the charts to the DM."""
    request = _run_request(i, args, "results")
    with i.services.store.unit_of_work() as session:
        results = request_results(
            session=session,
            clock=i.services.clock,
            keys=keys_of(i.services.settings),
            request=request,
        )
        text = render.results_text(results)
    charts = "" if results.suppressed else "\n_Charts are on their way to your DM._"
    return Reply(text + charts)


def on_export(i: Interaction, args: list[str]) -> Outcome:
    """`/pulse export <id> [run]`: a CSV of the aggregates to the DM."""
    request = _run_request(i, args, "export")
    with i.services.store.unit_of_work() as session:
        run = request_export(
            session=session,
            clock=i.services.clock,
            keys=keys_of(i.services.settings),
            request=request,
        )
    return Reply(render.export_text(request.survey_id, run))


def on_close(i: Interaction, args: list[str]) -> Outcome:
    """`/pulse close <id>`."""
    survey_id = parse_id(args[0], usage=PULSE.usage(_verb("close")), what="survey")
    with i.services.store.unit_of_work() as session:
        survey, open_run = close_now(
            session=session,
            clock=i.services.clock,
            keys=keys_of(i.services.settings),
            user_id=i.user_id,
            survey_id=survey_id,
        )
    return Reply(render.closed_text(survey, open_run))


def on_pause(i: Interaction, args: list[str]) -> Outcome:
    """`/pulse pause <id>`."""
    return _pause_or_resume(i, args, pause=True)


def on_resume(i: Interaction, args: list[str]) -> Outcome:
    """`/pulse resume <id>`."""
    return _pause_or_resume(i, args, pause=False)


def _pause_or_resume(i: Interaction, args: list[str], *, pause: bool) -> Outcome:
    verb = _verb("pause" if pause else "resume")
    survey_id = parse_id(args[0], usage=PULSE.usage(verb), what="survey")
    with i.services.store.unit_of_work() as session:
        survey = pause_or_resume(
            session=session,
            clock=i.services.clock,
            admins=i.services.settings.admins,
            user_id=i.user_id,
            survey_id=survey_id,
            pause=pause,
        )
        next_run = next_run_at(session=session, survey=survey)
    return Reply(render.paused_text(survey, paused=pause, next_run=next_run))


def _verb(name: str) -> Verb:
    verb = PULSE.find(name)
    assert verb is not None, name
    return verb


def _run_request(i: Interaction, args: list[str], name: str) -> RunRequest:
    """`<id> [run]`, as the person acting asks for it."""
    usage = PULSE.usage(_verb(name))
    survey_id = parse_id(args[0], usage=usage, what="survey")
    number = parse_optional_id(args[1] if len(args) > 1 else None, usage=usage, what="run")
    return RunRequest(user_id=i.user_id, survey_id=survey_id, number=number)


PULSE = CommandTable(
    command="/pulse",
    title="Pulse surveys",
    bare=Bare(
        "start a survey from a template (eNPS, engagement, onboarding) or your own questions",
        open_create_form,
    ),
    verbs=(
        Verb("list", "", "your surveys (HR sees all)", on_list, max_args=0),
        Verb(
            "results",
            "<id> [run]",
            "participation, scores, departments, trend, comments; charts to your DM",
            on_results,
            min_args=1,
            max_args=2,
        ),
        Verb(
            "export",
            "<id> [run]",
            "a CSV of the aggregates, to your DM",
            on_export,
            min_args=1,
            max_args=2,
        ),
        Verb(
            "close",
            "<id>",
            "close the open run now and stop the survey",
            on_close,
            min_args=1,
            max_args=1,
        ),
        Verb("pause", "<id>", "hold a recurring survey", on_pause, min_args=1, max_args=1),
        Verb("resume", "<id>", "restart a paused survey", on_resume, min_args=1, max_args=1),
    ),
    footer="Surveys are run by HR, communications and managers (for their departments).",
)


# -- creating ----------------------------------------------------------------------------------


def on_create_submitted(i: Interaction) -> Outcome:
    """The create form: store the survey, show what was created, then copy it to the DM."""
    draft = draft_from(i.submitted)
    with i.services.store.unit_of_work() as session:
        created = _create(i, session, draft)
        text = render.created_text(created, len(draft.questions))
    survey_id, title = created.survey.id or 0, created.survey.title
    return Later(Reply(text, title="Survey created"), lambda: copy_to_dm(i, text, survey_id, title))


def _create(i: Interaction, session: Session, draft: SurveyDraft) -> Created:
    """The survey of the person acting, repeating in their own zone."""
    default_zone = i.services.settings.timezone
    return create_survey(
        session=session,
        clock=i.services.clock,
        admins=i.services.settings.admins,
        author=i.user_id,
        draft=draft,
        timezone=directory.zone_of(session=session, user_id=i.user_id, default=default_zone),
    )


def copy_to_dm(i: Interaction, text: str, survey_id: int, title: str) -> Outcome:
    """After the form closed: the details to keep, in the author's DM. The survey exists
    whatever happens here, and a failure says so."""
    try:
        i.client.chat_postMessage(channel=i.user_id, text=text)
    except SlackApiError as error:
        return Reply(render.copy_not_sent_text(survey_id, title, error_code(error)))
    except NETWORK_ERRORS:
        return Reply(render.copy_not_sent_text(survey_id, title, "no answer"))
    return Nothing()


def draft_from(values: FormValues) -> SurveyDraft:
    """The create form's values as a draft (also what the sandbox console's plain text sends).

    Raises:
        FieldErrors: every field that cannot be read, by its domain name.
    """
    errors: dict[str, str] = {}
    template_key = values.text("template").strip() or "enps"
    written = values.text("questions").strip()
    anonymous, strong = _privacy(values, errors)
    draft = SurveyDraft(
        title=_title(values, template_key),
        questions=_questions(written, template_key, errors),
        template=template_key if template_key in TEMPLATES and not written else "custom",
        anonymous=anonymous,
        strong_protection=strong,
        threshold=_whole(values, "threshold", errors),
        window_days=_whole(values, "window", errors),
        local_time=_local_time(values.text("local_time"), errors),
        results_while_open=values.text("results_while_open").strip() or None,
    )
    if errors:
        raise FieldErrors(errors)
    return _with_audience_and_rhythm(draft, values)


def _with_audience_and_rhythm(draft: SurveyDraft, values: FormValues) -> SurveyDraft:
    kind, refs = _audience(values)
    cadence = values.text("cadence").strip() or "once"
    # Left out entirely (as a client that sends only what changed does): the defaults.
    reminders = (
        [r.lower() for r in values.many("reminders")] if values.has("reminders") else ["3", "last"]
    )
    return replace(
        draft,
        audience_kind=kind,
        audience_refs=refs,
        cadence=None if cadence == "once" else cadence,
        reminders=reminders,
    )


def _title(values: FormValues, template_key: str) -> str:
    template = TEMPLATES.get(template_key)
    return values.text("title").strip() or (template.title if template else "Pulse survey")


def _privacy(values: FormValues, errors: dict[str, str]) -> tuple[bool, bool]:
    """(anonymous, strong protection)."""
    privacy = values.text("privacy").strip() or "anonymous"
    if privacy not in blocks.PRIVACY_CHOICES:
        errors["privacy"] = "Pick anonymous, strong or attributed."
    return privacy != "attributed", privacy == "strong"


def _questions(written: str, template_key: str, errors: dict[str, str]) -> list[QuestionSpec]:
    try:
        if written:
            return parse_questions(written)
    except DomainError as error:
        errors["questions"] = error.message
        return []
    if template_key in TEMPLATES:
        return list(TEMPLATES[template_key].questions)
    errors["questions"] = "A custom survey needs questions: write at least one."
    return []


_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_WORDS = {"threshold": "The anonymity threshold", "window": "The number of days it is open"}


def _whole(values: FormValues, name: str, errors: dict[str, str], *, default: int = 5) -> int:
    """A whole number typed in a field; the service says which range is allowed."""
    text = values.text(name).strip()
    if not text:
        return default
    if not _WHOLE.fullmatch(text):
        errors[name] = f"{_WORDS[name]} is a whole number."
        return default
    return int(text) if len(text) <= 9 else 10**9


def _local_time(text: str, errors: dict[str, str]) -> str | None:
    if not text.strip():
        return None
    try:
        return parse_time(text, field="local_time").strftime("%H:%M")
    except InvalidInput as error:
        errors["local_time"] = error.message
        return None


def _audience(values: FormValues) -> tuple[str, list[str]]:
    channel = values.text("channel").strip()
    if channel:
        return "channel", [channel]
    departments = values.many("departments")
    if departments:
        return "departments", departments
    return "everyone", []


# -- wiring ------------------------------------------------------------------------------------


def upload_tick(wire: Wiring) -> Tick:
    """Charts and CSVs to people's DMs, each upload claimed once (every replica runs it)."""
    services = wire.services
    return Tick(
        job_id="surveys.uploads",
        func=lambda: jobs.process_uploads(
            store=services.store,
            clock=services.clock,
            client=wire.client,
            keys=keys_of(services.settings),
        ),
        interval_seconds=2.0,
    )


def channel_members(wire: Wiring) -> ChannelMembers:
    """Who is in a channel: conversations.members (Tier 4), called once per run launch."""

    def members(channel_id: str) -> list[str]:
        pages = paged(wire.client, "conversations.members", "members", channel=channel_id)
        return [str(m) for m in pages]

    return members


def register(wire: Wiring) -> None:
    """Wire /pulse, the answer buttons and modals, the survey schedules and the upload tick."""
    handlers, clock = wire.services.schedule_handlers, wire.services.clock
    handlers[LAUNCH_KIND] = jobs.LaunchHandler(clock, channel_members(wire))
    handlers[REMIND_KIND] = jobs.RemindHandler(clock)
    handlers[CLOSE_KIND] = jobs.CloseHandler(clock, keys_of(wire.services.settings))
    wire.services.ticks.append(upload_tick(wire))
    wire.table(PULSE)
    wire.view(blocks.CREATE_FORM, on_create_submitted)
    wire.view(blocks.ANSWER_FORM, answer_listeners.on_answer_submitted)
    wire.action(answer_listeners.VOTE_ACTION, answer_listeners.on_vote)
    wire.action(blocks.OPEN_ACTION, answer_listeners.on_open)
