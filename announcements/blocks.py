"""Block Kit of announcements and town halls: the modals, the posted messages and the DMs.

Modal block ids have no dots (the sandbox console addresses inputs as `block.action=value`);
input action ids are `value` except the template select, which also acts on selection.
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
from announcements.townhalls import REMINDER_CHOICES, RankedQuestion, TownHallView
from bot.mrkdwn import escape

COMPOSE_CALLBACK = "announcements.compose"
PREVIEW_CALLBACK = "announcements.preview"
CHANGES_CALLBACK = "announcements.changes"
TOWNHALL_CALLBACK = "announcements.townhall"
ASK_CALLBACK = "announcements.ask"
QUESTIONS_CALLBACK = "announcements.questions"

ACK_ACTION = "announcements.ack"
APPROVE_ACTION = "announcements.approve"
CHANGES_ACTION = "announcements.request_changes"
TEMPLATE_ACTION = "announcements.template"
BACK_ACTION = "announcements.back"
ASK_ACTION = "announcements.ask"
QUESTIONS_ACTION = "announcements.questions"
UPVOTE_ACTION = "announcements.upvote"
VALUE = "value"

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

TH_TITLE = "th_title"
TH_DATE = "th_date"
TH_TIME = "th_time"
TH_ZONE = "th_zone"
TH_DURATION = "th_duration"
TH_PLACE = "th_place"
TH_AGENDA = "th_agenda"
TH_CHANNELS = "th_channels"
TH_REMINDERS = "th_reminders"
TH_QUESTION = "th_question"
TH_ANONYMOUS = "th_anonymous"

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


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=text[:75]))


def _pick(options: Sequence[Option], value: str) -> Option | None:
    return next((o for o in options if o.value == value), None)


def _text_input(
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


def compose_view(ctx: ComposeContext, draft: Draft | None = None, *, today: str = "") -> View:
    """The compose modal; `draft` pre-fills it (edits, templates, back from the preview)."""
    d = draft or ctx.draft or Draft()
    day_options = [_option(k, v) for k, v in _DAYS.items()]
    when_options = [_option(k, v) for k, v in _WHEN.items()]
    must_read = _option("yes", "Must read: ask everyone to acknowledge it")
    blocks: list[Block] = [
        _select(
            TEMPLATE_BLOCK,
            "Start from a template",
            [_option(v, label) for v, label in ctx.templates],
            initial=d.template,
            action_id=TEMPLATE_ACTION,
            dispatch=True,
            hint="Fills in the title and message; an empty message uses the template.",
        ),
        _text_input(TITLE_BLOCK, "Title", initial=d.title, optional=False, max_length=150),
        _text_input(
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
                [_option(v, label) for v, label in ctx.departments],
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
            [_option(str(n), f"{n} working day{'s' if n > 1 else ''}") for n in REMIND_CHOICES],
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
            [_option(k, v) for k, v in REPEATS.items()],
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
        _text_input(
            MONTH_DAY_BLOCK,
            "Day of the month (monthly on a day)",
            initial=d.month_day,
            placeholder="1 to 31, or last",
        ),
        _select(
            NTH_BLOCK,
            "Which (monthly on the nth weekday)",
            [_option(k, v) for k, v in _NTH.items()],
            initial=d.nth,
        ),
        _select(
            WEEKDAY_BLOCK, "Weekday (monthly on the nth weekday)", day_options, initial=d.weekday
        ),
    ]
    if ctx.may_save_templates:
        blocks.append(
            _text_input(
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
        private_metadata=str(ctx.announcement_id or ""),
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


def preview_view(preview: Preview) -> View:
    """What the author sees before it goes: the message as it will look, and where/when/who."""
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
        private_metadata=str(preview.announcement_id),
        blocks=blocks,
    )


def changes_view(announcement_id: int, message: dict[str, str]) -> View:
    """The reviewer's note when requesting changes; metadata carries where the request is."""
    return View(
        type="modal",
        callback_id=CHANGES_CALLBACK,
        title="Request changes",
        submit="Send to author",
        close="Cancel",
        private_metadata=f"{announcement_id}|{message.get('channel', '')}|{message.get('ts', '')}",
        blocks=[
            _text_input(
                NOTE_BLOCK,
                "What should change?",
                multiline=True,
                optional=False,
                max_length=2000,
            )
        ],
    )


# -- town halls --------------------------------------------------------------------------------


def townhall_view(zone: str, today: str) -> View:
    """The /townhall modal."""
    reminder_options = [_option(k, v) for k, v in REMINDER_CHOICES.items()]
    return View(
        type="modal",
        callback_id=TOWNHALL_CALLBACK,
        title="New town hall",
        submit="Announce",
        close="Cancel",
        blocks=[
            _text_input(TH_TITLE, "Title", optional=False, max_length=150),
            InputBlock(
                block_id=TH_DATE,
                label="Day",
                element=DatePickerElement(action_id=VALUE, initial_date=today),
            ),
            InputBlock(
                block_id=TH_TIME, label="Starts at", element=TimePickerElement(action_id=VALUE)
            ),
            _text_input(
                TH_ZONE, "Time zone", initial=zone, hint="An IANA name, e.g. Europe/Berlin."
            ),
            _text_input(TH_DURATION, "Duration (minutes)", initial="60"),
            _text_input(TH_PLACE, "Place or call link", max_length=500),
            _text_input(TH_AGENDA, "Agenda", multiline=True, max_length=2500),
            InputBlock(
                block_id=TH_CHANNELS,
                label="Announce in",
                element=ConversationMultiSelectElement(
                    action_id=VALUE,
                    filter=ConversationFilter(
                        include=["public", "private"], exclude_bot_users=True
                    ),
                    max_selected_items=10,
                ),
            ),
            InputBlock(
                block_id=TH_REMINDERS,
                label="Reminders in the channels",
                optional=True,
                element=CheckboxesElement(
                    action_id=VALUE,
                    options=reminder_options,
                    initial_options=reminder_options[:2],
                ),
            ),
        ],
    )


def _when(view: TownHallView) -> str:
    local = view.starts_at.astimezone(ZoneInfo(view.timezone))
    fallback = local.strftime("%a %d %b %Y, %H:%M %Z")
    unix = int(view.starts_at.timestamp())
    # Slack shows <!date^...> in each reader's own time zone; the fallback names the host's.
    return (
        f"<!date^{unix}^{{date_long_pretty}} at {{time}}|{fallback}> ({view.duration_minutes} min)"
    )


def _townhall_facts(view: TownHallView) -> SectionBlock:
    fields = [
        MarkdownTextObject(text=f"*When*\n{_when(view)}"),
        MarkdownTextObject(text=f"*Host*\n<@{view.host_id}>"),
    ]
    if view.place:
        fields.append(MarkdownTextObject(text=f"*Where*\n{view.place}"))
    return SectionBlock(fields=fields)


def _question_buttons(view: TownHallView) -> ActionsBlock:
    return ActionsBlock(
        block_id="announcements_townhall",
        elements=[
            ButtonElement(
                text="Ask a question",
                action_id=ASK_ACTION,
                value=str(view.townhall_id),
                style="primary",
            ),
            ButtonElement(
                text="See and upvote questions",
                action_id=QUESTIONS_ACTION,
                value=str(view.townhall_id),
            ),
        ],
    )


def ask_view(view: TownHallView) -> View:
    """The question modal."""
    anonymous = _option("yes", "Ask anonymously (your name is not stored)")
    return View(
        type="modal",
        callback_id=ASK_CALLBACK,
        title="Ask a question",
        submit="Send",
        close="Cancel",
        private_metadata=str(view.townhall_id),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{escape(view.title)}* · {_when(view)}")),
            _text_input(
                TH_QUESTION, "Your question", multiline=True, optional=False, max_length=500
            ),
            InputBlock(
                block_id=TH_ANONYMOUS,
                label="Anonymous",
                optional=True,
                element=CheckboxesElement(action_id=VALUE, options=[anonymous]),
            ),
        ],
    )


def questions_view(view: TownHallView, questions: list[RankedQuestion], viewer: str) -> View:
    """The questions so far, most voted first, each with an Upvote button."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(view.title)}* · {_when(view)}")),
        DividerBlock(),
    ]
    if not questions:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="No questions yet: be the first to ask."))
        )
    for question in questions[:40]:
        who = f"<@{question.author_id}>" if question.author_id else "anonymous"
        text = f"*{question.votes}* :arrow_up: {question.text}\n_{who}_"
        accessory = (
            None
            if question.author_id == viewer
            else ButtonElement(
                text="Upvote", action_id=UPVOTE_ACTION, value=str(question.question_id)
            )
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text[:3000]), accessory=accessory))
    return View(
        type="modal",
        callback_id=QUESTIONS_CALLBACK,
        title="Questions",
        close="Close",
        private_metadata=str(view.townhall_id),
        blocks=blocks[:100],
    )


class Renderer:
    """Builds every message the announcements feature enqueues (service.Renderer and
    townhalls.TownHallRenderer)."""

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

    def townhall_notice(self, view: TownHallView) -> list[dict[str, Any]]:
        """The notice: when (in each reader's zone), host, place, agenda, question buttons."""
        blocks: list[Block] = [
            HeaderBlock(text=f"Town hall: {view.title}"[:150]),
            _townhall_facts(view),
        ]
        if view.agenda:
            blocks.append(
                SectionBlock(text=MarkdownTextObject(text=f"*Agenda*\n{view.agenda}"[:3000]))
            )
        blocks += [
            _question_buttons(view),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Send your questions before it starts: anonymously if you prefer. "
                        "Upvote the ones you want answered."
                    )
                ]
            ),
        ]
        return _dump(blocks)

    def townhall_reminder(self, view: TownHallView, minutes: int) -> list[dict[str, Any]]:
        """A reminder before the start."""
        soon = REMINDER_CHOICES.get(str(minutes), f"{minutes} minutes before").replace(
            " before", ""
        )
        return _dump(
            [
                SectionBlock(
                    text=MarkdownTextObject(
                        text=f":alarm_clock: *{escape(view.title)}* starts in {soon}: {_when(view)}"
                        + (f"\n{view.place}" if view.place else "")
                    )
                ),
                _question_buttons(view),
            ]
        )

    def townhall_questions(
        self, view: TownHallView, questions: list[RankedQuestion]
    ) -> list[dict[str, Any]]:
        """The host's DM: the questions, most voted first."""
        blocks: list[Block] = [
            HeaderBlock(text=f"Questions: {view.title}"[:150]),
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{len(questions)} question(s) for your town hall, most upvoted first. "
                    "Afterwards, `/townhall followup "
                    f"{view.townhall_id} &lt;recording link, answers&gt;` posts in the notice's thread."
                )
            ),
        ]
        for rank, question in enumerate(questions[:45], start=1):
            who = f"<@{question.author_id}>" if question.author_id else "anonymous"
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(
                        text=f"*{rank}.* ({question.votes} :arrow_up:) {question.text} — _{who}_"[
                            :3000
                        ]
                    )
                )
            )
        return _dump(blocks)


def local_today(zone: str, now: datetime) -> str:
    """Today's date in a zone, as a date picker wants it."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()
