"""Block Kit of announcements: their ids, the element helpers their modals share, the posted
message, the reminder and approval-request DMs (the `Renderer`), and the preview and
request-changes modals. The compose modal has a module of its own (announcements.compose_blocks).

Modal block ids have no dots (the sandbox console addresses inputs as `block.action=value`);
input action ids are `value` except the template select, which also acts on selection. Each
modal's `Form` sits beside its builder and names the same block ids; services see only the
forms' domain field names.
"""

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from announcements.compose import Preview
from announcements.views import PostView, Review
from bot.slack.blocks import VALUE, text_input
from bot.slack.forms import Form, FormField
from bot.text.mrkdwn import escape

COMPOSE_CALLBACK = "announcements.compose"
PREVIEW_CALLBACK = "announcements.preview"
CHANGES_CALLBACK = "announcements.changes"

ACK_ACTION = "announcements.ack"
APPROVE_ACTION = "announcements.approve"
CHANGES_ACTION = "announcements.request_changes"
TEMPLATE_ACTION = "announcements.template"
BACK_ACTION = "announcements.back"

# What each modal's sealed private_metadata is for (bot.slack.claims purposes).
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


def pick(options: Sequence[Option], value: str) -> Option | None:
    """The option with this value, to show as chosen (None when there is none)."""
    return next((o for o in options if o.value == value), None)


def select(
    block_id: str,
    label: str,
    options: Sequence[Option],
    *,
    initial: str = "",
    action_id: str = VALUE,
    hint: str = "",
    dispatch: bool = False,
) -> InputBlock:
    """A static select whose action id is `value` (unless told); `dispatch` acts on selection."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        hint=hint or None,
        dispatch_action=dispatch or None,
        element=StaticSelectElement(
            action_id=action_id,
            options=list(options),
            initial_option=pick(options, initial),
            placeholder="Choose",
        ),
    )


def _dump(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


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
    """Builds every message the announcements feature enqueues (views.Renderer)."""

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
