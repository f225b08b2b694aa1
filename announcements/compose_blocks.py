"""Block Kit of the compose modal of `/announce` and its form description: what an author fills
in (title, message, channels, audience, must-read, when), read back as a `Draft`."""

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationMultiSelectElement,
    DatePickerElement,
    InputBlock,
    RadioButtonsElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from announcements.blocks import (
    BODY_BLOCK,
    CHANNELS_BLOCK,
    COMPOSE_CALLBACK,
    DATE_BLOCK,
    DAYS_BLOCK,
    DEPARTMENT_BLOCK,
    MONTH_DAY_BLOCK,
    MUST_READ_BLOCK,
    NTH_BLOCK,
    REMIND_BLOCK,
    REPEAT_BLOCK,
    SAVE_AS_BLOCK,
    TEMPLATE_ACTION,
    TEMPLATE_BLOCK,
    TIME_BLOCK,
    TITLE_BLOCK,
    WEEKDAY_BLOCK,
    WHEN_BLOCK,
    pick,
    select,
)
from announcements.common import REMIND_CHOICES, REPEATS
from announcements.compose import ComposeContext
from announcements.drafts import Draft
from bot.slack.blocks import VALUE, option, text_input
from bot.slack.forms import Form, FormField, FormValues

_DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_NTH = {"1": "First", "2": "Second", "3": "Third", "4": "Fourth", "5": "Fifth", "-1": "Last"}
_WHEN = {"now": "Now", "at": "At a date and time", "recurring": "Recurring"}

COMPOSE_FORM = Form(
    callback_id=COMPOSE_CALLBACK,
    fields=(
        FormField("template", TEMPLATE_BLOCK),
        FormField("title", TITLE_BLOCK),
        FormField("body", BODY_BLOCK),
        FormField("channels", CHANNELS_BLOCK, "list"),
        FormField("department", DEPARTMENT_BLOCK),
        FormField("must_read", MUST_READ_BLOCK, "flag"),
        FormField("remind_after_days", REMIND_BLOCK),
        FormField("when", WHEN_BLOCK),
        FormField("date", DATE_BLOCK),
        FormField("time", TIME_BLOCK),
        FormField("repeat", REPEAT_BLOCK),
        FormField("days", DAYS_BLOCK, "list"),
        FormField("month_day", MONTH_DAY_BLOCK),
        FormField("nth", NTH_BLOCK),
        FormField("weekday", WEEKDAY_BLOCK),
        FormField("save_as", SAVE_AS_BLOCK),
    ),
    default="body",
)


def draft_from(form: FormValues) -> Draft:
    """What the compose form holds, by the Draft's (domain) names."""
    return Draft(
        title=form.text("title"),
        body=form.text("body"),
        channels=form.many("channels"),
        department=form.text("department"),
        must_read=form.flag("must_read"),
        remind_after_days=form.text("remind_after_days"),
        when=form.text("when") or "now",
        date=form.text("date"),
        time=form.text("time"),
        repeat=form.text("repeat"),
        days=form.many("days"),
        month_day=form.text("month_day"),
        nth=form.text("nth"),
        weekday=form.text("weekday"),
        template=form.text("template"),
        save_as=form.text("save_as"),
    )


def compose_view(
    ctx: ComposeContext, draft: Draft | None = None, *, metadata: str, today: str = ""
) -> View:
    """The compose modal (COMPOSE_FORM); `draft` pre-fills it (edits, templates, back from the
    preview). `metadata` is the sealed COMPOSE_SEAL claim naming the announcement it replaces."""
    d = draft or ctx.draft or Draft()
    blocks = [*_message_fields(ctx, d), *_reading_fields(d), *_when_fields(ctx, d, today)]
    if ctx.may_save_templates:
        blocks.append(
            text_input(
                SAVE_AS_BLOCK,
                "Save as a template named",
                initial=d.save_as,
                hint="Optional: others can start from it later.",
            )
        )
    title = "Edit announcement" if ctx.announcement_id else "New announcement"
    return View(
        type="modal",
        callback_id=COMPOSE_CALLBACK,
        title=title,
        submit="Preview",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )


def _message_fields(ctx: ComposeContext, d: Draft) -> list[Block]:
    """The template, the title, the message, the channels and the audience."""
    blocks: list[Block] = [
        select(
            TEMPLATE_BLOCK,
            "Start from a template",
            [option(v, label) for v, label in ctx.templates],
            initial=d.template,
            action_id=TEMPLATE_ACTION,
            dispatch=True,
            hint="Fills in the title and message; an empty message uses the template.",
        ),
        text_input(TITLE_BLOCK, "Title", initial=d.title, optional=False, max_length=150),
        text_input(
            BODY_BLOCK,
            "Message",
            initial=d.body,
            multiline=True,
            optional=False,
            max_length=3000,
            hint="Slack formatting works: *bold*, _italic_, links, @mentions.",
        ),
        InputBlock(
            block_id=CHANNELS_BLOCK,
            label="Channels",
            optional=True,
            hint="Commons must be in each channel. Empty with a department: its channel.",
            element=ConversationMultiSelectElement(
                action_id=VALUE,
                initial_conversations=list(d.channels) or None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                max_selected_items=10,
                placeholder="Pick channels",
            ),
        ),
    ]
    if ctx.departments:
        blocks.append(
            select(
                DEPARTMENT_BLOCK,
                "Audience: a department",
                [option(v, label) for v, label in ctx.departments],
                initial=d.department,
                hint="Who must acknowledge and gets reminders. Empty: the channels' readers.",
            )
        )
    return blocks


def _reading_fields(d: Draft) -> list[Block]:
    """Must read, and when those who have not acknowledged are reminded."""
    must_read = option("yes", "Must read: ask everyone to acknowledge it")
    return [
        InputBlock(
            block_id=MUST_READ_BLOCK,
            label="Must read",
            optional=True,
            element=CheckboxesElement(
                action_id=VALUE,
                options=[must_read],
                initial_options=[must_read] if d.must_read else None,
            ),
        ),
        select(
            REMIND_BLOCK,
            "Remind those who have not acknowledged after",
            [option(str(n), f"{n} working day{'s' if n > 1 else ''}") for n in REMIND_CHOICES],
            initial=d.remind_after_days or "2",
            hint="At most 2 reminders, by DM.",
        ),
    ]


def _when_fields(ctx: ComposeContext, d: Draft, today: str) -> list[Block]:
    """Now, at a date and time, or recurring (and how)."""
    day_options = [option(k, v) for k, v in _DAYS.items()]
    when_options = [option(k, v) for k, v in _WHEN.items()]
    return [
        InputBlock(
            block_id=WHEN_BLOCK,
            label="When",
            optional=True,
            element=RadioButtonsElement(
                action_id=VALUE,
                options=when_options,
                initial_option=pick(when_options, d.when or "now"),
            ),
        ),
        InputBlock(
            block_id=DATE_BLOCK,
            label="Date (for a date and time)",
            optional=True,
            element=DatePickerElement(action_id=VALUE, initial_date=d.date or today or None),
        ),
        InputBlock(
            block_id=TIME_BLOCK,
            label=f"Time ({ctx.zone})",
            optional=True,
            hint="For a date and time, or the time of day of a recurring announcement.",
            element=TimePickerElement(action_id=VALUE, initial_time=d.time or None),
        ),
        select(
            REPEAT_BLOCK,
            "Repeats (recurring)",
            [option(k, v) for k, v in REPEATS.items()],
            initial=d.repeat,
        ),
        InputBlock(
            block_id=DAYS_BLOCK,
            label="On (weekly)",
            optional=True,
            element=CheckboxesElement(
                action_id=VALUE,
                options=day_options,
                initial_options=[o for o in day_options if o.value in d.days] or None,
            ),
        ),
        text_input(
            MONTH_DAY_BLOCK,
            "Day of the month (monthly on a day)",
            initial=d.month_day,
            placeholder="1 to 31, or last",
        ),
        select(
            NTH_BLOCK,
            "Which (monthly on the nth weekday)",
            [option(k, v) for k, v in _NTH.items()],
            initial=d.nth,
        ),
        select(
            WEEKDAY_BLOCK, "Weekday (monthly on the nth weekday)", day_options, initial=d.weekday
        ),
    ]
