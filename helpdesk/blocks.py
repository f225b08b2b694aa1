"""Block Kit of the help desks: the request's parent message, the rating prompt, the modals and
their form descriptions."""

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.forms import Form, FormField, FormValues
from bot.text.mrkdwn import Mrkdwn, user_text
from helpdesk.desks import DeskInfo
from helpdesk.intake import RequestForm
from helpdesk.models import Priority, Status
from helpdesk.setup import DeskForm
from helpdesk.views import RequestView

# Action ids (buttons and menus) and callback ids (modals, shortcut).
CLAIM = "helpdesk.claim"
ASSIGN = "helpdesk.assign"
WAIT = "helpdesk.wait"
RESOLVE = "helpdesk.resolve"
REOPEN = "helpdesk.reopen"
RATE_PREFIX = "helpdesk.rate."
COMMENT = "helpdesk.comment"
REQUEST_MODAL = "helpdesk.request_modal"
COMMENT_MODAL = "helpdesk.comment_modal"
TURN_INTO_REQUEST = "helpdesk.turn_into_request"
DESK_MODAL = "helpdesk.desk_modal"

# Block ids of the request modal (each block's one element has the same action id).
DESK_BLOCK, SUMMARY_BLOCK, DETAILS_BLOCK = "desk", "summary", "details"
PRIORITY_BLOCK, CATEGORY_BLOCK, COMMENT_BLOCK = "priority", "category", "comment"
# Block ids of the desk set-up form: "desk_" + a field of setup.DeskForm.
DESK_FIELDS = ("key", "name", "channel", "usergroup", "days", "start", "end", "zone")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# What each modal's fields are called in the domain, and where they are.
REQUEST_FORM = Form(
    REQUEST_MODAL,
    fields=(
        FormField("desk", DESK_BLOCK),
        FormField("summary", SUMMARY_BLOCK),
        FormField("details", DETAILS_BLOCK),
        FormField("priority", PRIORITY_BLOCK),
        FormField("category", CATEGORY_BLOCK),
    ),
    default="summary",
)
COMMENT_FORM = Form(COMMENT_MODAL, fields=(FormField("comment", COMMENT_BLOCK),), default="comment")
DESK_FORM = Form(
    DESK_MODAL,
    fields=tuple(FormField(name, f"desk_{name}") for name in DESK_FIELDS),
    default="key",
)

STATUS_EMOJI: dict[str, str] = {
    Status.OPEN: ":large_blue_circle:",
    Status.IN_PROGRESS: ":large_orange_circle:",
    Status.WAITING: ":hourglass:",
    Status.RESOLVED: ":white_check_mark:",
    Status.CLOSED: ":lock:",
}
SCORES = {1: "1 :disappointed:", 2: "2", 3: "3", 4: "4", 5: "5 :star-struck:"}


def _date(instant_ts: float, fallback: str) -> str:
    """A date Slack shows in each reader's own time zone."""
    return f"<!date^{int(instant_ts)}^{{date_short_pretty}} {{time}}|{fallback}>"


def _json(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


class BlockRenderer:
    """The `helpdesk.views.Renderer` the listeners and jobs hand to the services."""

    def parent_blocks(self, view: RequestView) -> list[dict[str, Any]]:
        return parent_blocks(view)

    def rating_blocks(self, view: RequestView) -> list[dict[str, Any]]:
        return rating_blocks(view)


RENDERER = BlockRenderer()


def parent_blocks(view: RequestView) -> list[dict[str, Any]]:
    """The request as a message: summary, details, status line and the agents' buttons."""
    summary = user_text(view.summary, may_notify_everyone=False)
    text = f"*#{view.id} {summary}*"
    if view.details:
        details = user_text(view.details[:2500], may_notify_everyone=False)
        text += f"\n{details}"
    source = (
        f"From <@{view.requester_id}>"
        if view.opened_by == view.requester_id
        else f"Filed by <@{view.opened_by}> on behalf of <@{view.requester_id}>"
    )
    facts = [
        f"{STATUS_EMOJI.get(view.status, '')} *{view.status_label}*",
        f"Priority: {view.priority}",
        source,
        f"Assignee: <@{view.assignee_id}>" if view.assignee_id else "Nobody has taken it yet",
        f"Opened {_date(view.created_at.timestamp(), view.created_at.strftime('%Y-%m-%d %H:%M UTC'))}",
    ]
    if view.category:
        facts.insert(2, f"Category: {user_text(view.category, may_notify_everyone=False)}")
    if view.first_response_at:
        facts.append(f"First response {_date(view.first_response_at.timestamp(), 'recorded')}")
    if view.source_link:
        facts.append(f"<{view.source_link}|Original message>")
    if view.rated:
        facts.append(f"Rated {view.rated}/5")
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text[:3000])),
        ContextBlock(elements=[MarkdownTextObject(text=" · ".join(facts)[:3000])]),
    ]
    value = str(view.id)
    if view.active:
        buttons: list[Any] = []
        if view.status != Status.IN_PROGRESS or view.assignee_id is None:
            buttons.append(ButtonElement(text="Claim", action_id=CLAIM, value=value))
        buttons.append(
            UserSelectElement(
                placeholder=PlainTextObject(text="Assign to…"),
                action_id=ASSIGN,
            )
        )
        if view.status != Status.WAITING:
            buttons.append(ButtonElement(text="Waiting on requester", action_id=WAIT, value=value))
        buttons.append(
            ButtonElement(text="Resolve", action_id=RESOLVE, value=value, style="primary")
        )
        blocks.append(ActionsBlock(block_id=f"helpdesk.request.{view.id}", elements=buttons))
    elif view.status == Status.RESOLVED:
        blocks.append(
            ActionsBlock(
                block_id=f"helpdesk.request.{view.id}",
                elements=[ButtonElement(text="Reopen", action_id=REOPEN, value=value)],
            )
        )
    return _json(blocks)


def rating_blocks(view: RequestView) -> list[dict[str, Any]]:
    """The DM asking for a 1-5 rating, with a way to reopen instead."""
    summary = user_text(view.summary, may_notify_everyone=False)
    value = str(view.id)
    return _json(
        [
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*#{view.id} {summary}* at {view.desk_name} is resolved. "
                    "How did it go? 1 is poor, 5 is great."
                )
            ),
            ActionsBlock(
                block_id=f"helpdesk.rate.{view.id}",
                elements=[
                    ButtonElement(text=label, action_id=f"{RATE_PREFIX}{score}", value=value)
                    for score, label in SCORES.items()
                ],
            ),
            ActionsBlock(
                block_id=f"helpdesk.after.{view.id}",
                elements=[ButtonElement(text="Not solved? Reopen", action_id=REOPEN, value=value)],
            ),
        ]
    )


def rated_blocks(view: RequestView, score: int) -> list[dict[str, Any]]:
    """What the rating DM becomes once rated: thanks, and a button to add a comment."""
    summary = user_text(view.summary, may_notify_everyone=False)
    return _json(
        [
            SectionBlock(
                text=MarkdownTextObject(text=f"Thanks! You rated *#{view.id} {summary}* {score}/5.")
            ),
            ActionsBlock(
                block_id=f"helpdesk.comment.{view.id}",
                elements=[
                    ButtonElement(text="Add a comment", action_id=COMMENT, value=str(view.id))
                ],
            ),
        ]
    )


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text[:75]), value=value[:150])


def request_modal(
    desks: list[DeskInfo],
    *,
    summary: str = "",
    details: str = "",
    private_metadata: str,
) -> dict[str, Any]:
    """The form to open a request (also for "Turn into a request", prefilled). Its fields are
    REQUEST_FORM's; `private_metadata` is sealed by the caller."""
    categories = [_option(f"{d.name}: {c}", f"{d.key}:{c}") for d in desks for c in d.categories][
        :100
    ]
    blocks: list[Block] = [
        InputBlock(
            block_id=DESK_BLOCK,
            label="Desk",
            element=StaticSelectElement(
                action_id=DESK_BLOCK,
                placeholder="Which department?",
                options=[_option(d.name, d.key) for d in desks][:100],
            ),
        ),
        InputBlock(
            block_id=SUMMARY_BLOCK,
            label="Summary",
            element=PlainTextInputElement(
                action_id=SUMMARY_BLOCK,
                initial_value=summary[:150] or None,
                max_length=150,
                placeholder="One line: what do you need?",
            ),
        ),
        InputBlock(
            block_id=DETAILS_BLOCK,
            label="Details",
            optional=True,
            element=PlainTextInputElement(
                action_id=DETAILS_BLOCK,
                multiline=True,
                initial_value=details[:2500] or None,
                max_length=2500,
            ),
        ),
        InputBlock(
            block_id=PRIORITY_BLOCK,
            label="Priority",
            element=StaticSelectElement(
                action_id=PRIORITY_BLOCK,
                options=[_option(p.value.title(), p.value) for p in Priority],
                initial_option=_option(Priority.NORMAL.value.title(), Priority.NORMAL.value),
            ),
        ),
    ]
    if categories:
        blocks.append(
            InputBlock(
                block_id=CATEGORY_BLOCK,
                label="Category",
                optional=True,
                element=StaticSelectElement(action_id=CATEGORY_BLOCK, options=categories),
            )
        )
    return View(
        type="modal",
        callback_id=REQUEST_MODAL,
        title="New request",
        submit="Open request",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=blocks,
    ).to_dict()


def read_request_form(submitted: FormValues) -> RequestForm:
    """The request form as the domain sees it (a category option is `<desk key>:<name>`)."""
    category = submitted.text("category")
    category_desk, colon, name = category.partition(":")
    return RequestForm(
        desk=submitted.text("desk"),
        summary=submitted.text("summary"),
        details=submitted.text("details"),
        priority=submitted.text("priority") or "normal",
        category=(name if colon else category) or None,
        category_desk=category_desk if colon else None,
    )


def comment_modal(private_metadata: str) -> dict[str, Any]:
    """The form for a comment on a rating (COMMENT_FORM); `private_metadata` names the request,
    sealed by the caller."""
    return View(
        type="modal",
        callback_id=COMMENT_MODAL,
        title="Comment",
        submit="Send",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            InputBlock(
                block_id=COMMENT_BLOCK,
                label="What should the desk know?",
                element=PlainTextInputElement(
                    action_id=COMMENT_BLOCK, multiline=True, max_length=2500
                ),
            )
        ],
    ).to_dict()


def desk_modal(departments: list[tuple[str, str]], zone: str) -> dict[str, Any]:
    """The form that sets up a desk (DESK_FORM): `departments` are (label, user group id) pairs."""
    days = [_option(day, day) for day in WEEKDAYS]

    def text_input(field: str, label: str, hint: str, **element: Any) -> InputBlock:
        return InputBlock(
            block_id=f"desk_{field}",
            label=label,
            hint=hint,
            element=PlainTextInputElement(action_id=f"desk_{field}", **element),
        )

    blocks: list[Block] = [
        text_input(
            "key",
            "Key",
            "Short: people type it, as in `/request it My laptop won't start`.",
            max_length=32,
            placeholder="it",
        ),
        text_input("name", "Name", "What people see, e.g. IT or People & HR.", max_length=80),
        InputBlock(
            block_id="desk_channel",
            label="Intake channel",
            hint="Each request gets a thread here. Commons must be a member (/invite @Commons).",
            element=ConversationSelectElement(
                action_id="desk_channel",
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
        ),
        InputBlock(
            block_id="desk_usergroup",
            label="Agents",
            hint="The Slack user group whose members answer requests.",
            element=StaticSelectElement(
                action_id="desk_usergroup",
                options=[_option(label, value) for label, value in departments][:100],
            ),
        ),
        InputBlock(
            block_id="desk_days",
            label="Working days",
            hint="SLA clocks run only on these days, between the hours below.",
            element=CheckboxesElement(
                action_id="desk_days", options=days, initial_options=days[:5]
            ),
        ),
        InputBlock(
            block_id="desk_start",
            label="Opens at",
            element=TimePickerElement(action_id="desk_start", initial_time="09:00"),
        ),
        InputBlock(
            block_id="desk_end",
            label="Closes at",
            element=TimePickerElement(action_id="desk_end", initial_time="17:00"),
        ),
        text_input(
            "zone",
            "Time zone",
            "An IANA name such as Europe/London or America/New_York.",
            initial_value=zone,
            max_length=64,
        ),
    ]
    return View(
        type="modal",
        callback_id=DESK_MODAL,
        title="New help desk",
        submit="Create desk",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def read_desk_form(submitted: FormValues) -> DeskForm:
    """The desk set-up form as the domain sees it."""
    return DeskForm(**{name: submitted.text(name) for name in DESK_FIELDS})


def no_desks_text() -> Mrkdwn:
    return Mrkdwn("There are no help desks yet. An admin adds one with `/commons desk add`.")
