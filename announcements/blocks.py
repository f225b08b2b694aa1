"""Block Kit of announcements: the modals with their form descriptions, the posted messages and
the DMs.

Modal block ids have no dots (the sandbox console addresses inputs as `block.action=value`);
input action ids are `value` except the template select, which also acts on selection. Each
modal's `Form` sits beside its builder and names the same block ids; services see only the
forms' domain field names.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationMultiSelectElement,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from announcements.service import (
    REMIND_CHOICES,
    REPEATS,
    ComposeContext,
    Draft,
    PostView,
    Preview,
    Review,
)
from bot.forms import Form, FormField, FormValues
from bot.mrkdwn import escape

COMPOSE_CALLBACK = "announcements.compose"
PREVIEW_CALLBACK = "announcements.preview"
CHANGES_CALLBACK = "announcements.changes"

ACK_ACTION = "announcements.ack"
APPROVE_ACTION = "announcements.approve"
CHANGES_ACTION = "announcements.request_changes"
TEMPLATE_ACTION = "announcements.template"
BACK_ACTION = "announcements.back"
VALUE = "value"

# What each modal's sealed private_metadata is for (bot.claims purposes).
COMPOSE_SEAL = "announcements.compose"
PREVIEW_SEAL = "announcements.preview"
CHANGES_SEAL = "announcements.changes"

TITLE_BLOCK = "ann_title"
BODY_BLOCK = "ann_body"
CHANNELS_BLOCK = "ann_channels"
DEPARTMENT_BLOCK = "ann_department"
MUST_READ_BLOCK = "ann_must_read"
REMIND_BLOCK = "ann_remind"
WHEN_BLOCK = "ann_when"
DATE_BLOCK = "ann_date"
TIME_BLOCK = "ann_time"
REPEAT_BLOCK = "ann_repeat"
DAYS_BLOCK = "ann_days"
MONTH_DAY_BLOCK = "ann_month_day"
NTH_BLOCK = "ann_nth"
WEEKDAY_BLOCK = "ann_weekday"
TEMPLATE_BLOCK = "ann_template"
SAVE_AS_BLOCK = "ann_save_as"
NOTE_BLOCK = "ann_note"

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


def option(value: str, text: str) -> Option:
    """An option of a select, checkboxes or radio buttons (its text cut to Slack's 75)."""
    return Option(value=value, text=PlainTextObject(text=text[:75]))


def _pick(options: Sequence[Option], value: str) -> Option | None:
    return next((o for o in options if o.value == value), None)


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    optional: bool = True,
    hint: str = "",
    placeholder: str = "",
    max_length: int | None = None,
) -> InputBlock:
    """A text input whose action id is `value`."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint or None,
        element=PlainTextInputElement(
            action_id=VALUE,
            multiline=multiline,
            initial_value=initial or None,
            placeholder=placeholder or None,
            max_length=max_length,
        ),
    )


def _select(
    block_id: str,
    label: str,
    options: Sequence[Option],
    *,
    initial: str = "",
    action_id: str = VALUE,
    hint: str = "",
    dispatch: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        hint=hint or None,
        dispatch_action=dispatch or None,
        element=StaticSelectElement(
            action_id=action_id,
            options=list(options),
            initial_option=_pick(options, initial),
            placeholder="Choose",
        ),
    )


def _dump(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# -- /announce ---------------------------------------------------------------------------------


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
    day_options = [option(k, v) for k, v in _DAYS.items()]
    when_options = [option(k, v) for k, v in _WHEN.items()]
    must_read = option("yes", "Must read: ask everyone to acknowledge it")
    blocks: list[Block] = [
        _select(
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
            _select(
                DEPARTMENT_BLOCK,
                "Audience: a department",
                [option(v, label) for v, label in ctx.departments],
                initial=d.department,
                hint="Who must acknowledge and gets reminders. Empty: the channels' readers.",
            )
        )
    blocks += [
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
        _select(
            REMIND_BLOCK,
            "Remind those who have not acknowledged after",
            [option(str(n), f"{n} working day{'s' if n > 1 else ''}") for n in REMIND_CHOICES],
            initial=d.remind_after_days or "2",
            hint="At most 2 reminders, by DM.",
        ),
        InputBlock(
            block_id=WHEN_BLOCK,
            label="When",
            optional=True,
            element=RadioButtonsElement(
                action_id=VALUE,
                options=when_options,
                initial_option=_pick(when_options, d.when or "now"),
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
        _select(
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
        _select(
            NTH_BLOCK,
            "Which (monthly on the nth weekday)",
            [option(k, v) for k, v in _NTH.items()],
            initial=d.nth,
        ),
        _select(
            WEEKDAY_BLOCK, "Weekday (monthly on the nth weekday)", day_options, initial=d.weekday
        ),
    ]
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


def _post_blocks(post: PostView, *, with_button: bool = True) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=post.title[:150]),
        SectionBlock(text=MarkdownTextObject(text=str(post.body)[:3000] or " ")),
    ]
    context = f"From <@{post.author_id}>"
    if post.late:
        context += " · posted late"
    if post.must_read:
        context = ":pushpin: *Must read* · " + context
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=context)]))
    if post.must_read:
        if with_button:
            blocks.append(
                ActionsBlock(
                    block_id="announcements_ack",
                    elements=[
                        ButtonElement(
                            text="Acknowledge",
                            action_id=ACK_ACTION,
                            value=str(post.post_id or 0),
                            style="primary",
                        )
                    ],
                )
            )
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":white_check_mark: {post.ack_count} of {post.audience_count} "
                        "acknowledged"
                    )
                ]
            )
        )
    return blocks


def preview_view(preview: Preview, *, metadata: str) -> View:
    """What the author sees before it goes: the message as it will look, and where/when/who.
    `metadata` is the sealed PREVIEW_SEAL claim naming the draft."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=preview.summary[:3000])),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Edit", action_id=BACK_ACTION, value=str(preview.announcement_id)
                )
            ]
        ),
        DividerBlock(),
        *_post_blocks(preview.post, with_button=False),
    ]
    return View(
        type="modal",
        callback_id=PREVIEW_CALLBACK,
        title="Preview",
        submit=preview.action_label,
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )


CHANGES_FORM = Form(
    callback_id=CHANGES_CALLBACK, fields=(FormField("note", NOTE_BLOCK),), default="note"
)


def changes_view(*, metadata: str) -> View:
    """The reviewer's note when requesting changes (CHANGES_FORM); `metadata` is the sealed
    CHANGES_SEAL claim naming the announcement and the review message to mark as handled."""
    return View(
        type="modal",
        callback_id=CHANGES_CALLBACK,
        title="Request changes",
        submit="Send to author",
        close="Cancel",
        private_metadata=metadata,
        blocks=[
            text_input(
                NOTE_BLOCK,
                "What should change?",
                multiline=True,
                optional=False,
                max_length=2000,
            )
        ],
    )


class Renderer:
    """Builds every message the announcements feature enqueues (service.Renderer)."""

    def announcement(self, post: PostView) -> list[dict[str, Any]]:
        """The posted announcement: title, body, author, and for a must-read the button and count."""
        return _dump(_post_blocks(post))

    def reminder(self, post: PostView) -> list[dict[str, Any]]:
        """A DM to someone who has not acknowledged yet."""
        return _dump(
            [
                SectionBlock(
                    text=MarkdownTextObject(
                        text=f":bell: <@{post.author_id}> asked everyone to read and acknowledge "
                        f"*{escape(post.title)}*. You have not yet:"
                    )
                ),
                *_post_blocks(post),
            ]
        )

    def approval_request(self, review: Review) -> list[dict[str, Any]]:
        """The message reviewers act on."""
        return _dump(
            [
                SectionBlock(
                    text=MarkdownTextObject(
                        text=f":raised_hand: <@{review.author_id}> wants to post announcement "
                        f"#{review.announcement_id}; it needs approval because {review.reason}.\n"
                        f"{review.summary}"
                    )
                ),
                DividerBlock(),
                *_post_blocks(review.post, with_button=False),
                DividerBlock(),
                ActionsBlock(
                    block_id="announcements_review",
                    elements=[
                        ButtonElement(
                            text="Approve",
                            action_id=APPROVE_ACTION,
                            value=str(review.announcement_id),
                            style="primary",
                        ),
                        ButtonElement(
                            text="Request changes",
                            action_id=CHANGES_ACTION,
                            value=str(review.announcement_id),
                        ),
                    ],
                ),
            ]
        )


def local_today(zone: str, now: datetime) -> str:
    """Today's date in a zone, as a date picker wants it."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()
