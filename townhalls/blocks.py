"""Block Kit of town halls: the town-hall and question modals with their form descriptions, the
notice, the reminders and the host's ranked DM.

The action ids keep the `announcements.*` names they had before town halls had a package of
their own: notices already posted in Slack carry them. Modal block ids have no dots (the sandbox
console addresses inputs as `block.action=value`).
"""

from collections.abc import Sequence
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
    SectionBlock,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.slack.blocks import VALUE, option, text_input
from bot.slack.forms import Form, FormField, FormValues
from bot.text.mrkdwn import counted, escape
from townhalls.reminders import REMINDER_CHOICES
from townhalls.sessions import TownHallInput
from townhalls.views import RankedQuestion, TownHallView

TOWNHALL_CALLBACK = "announcements.townhall"
ASK_CALLBACK = "announcements.ask"
QUESTIONS_CALLBACK = "announcements.questions"

ASK_ACTION = "announcements.ask"
QUESTIONS_ACTION = "announcements.questions"
UPVOTE_ACTION = "announcements.upvote"

# What the ask modal's sealed private_metadata is for (a bot.slack.claims purpose).
ASK_SEAL = "townhalls.ask"

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


def _dump(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# -- the town-hall modal -----------------------------------------------------------------------

TOWNHALL_FORM = Form(
    callback_id=TOWNHALL_CALLBACK,
    fields=(
        FormField("title", TH_TITLE),
        FormField("date", TH_DATE),
        FormField("time", TH_TIME),
        FormField("zone", TH_ZONE),
        FormField("duration", TH_DURATION),
        FormField("place", TH_PLACE),
        FormField("agenda", TH_AGENDA),
        FormField("channels", TH_CHANNELS, "list"),
        FormField("reminders", TH_REMINDERS, "list"),
    ),
    default="channels",
)


def townhall_input(form: FormValues) -> TownHallInput:
    """What the town-hall form holds; reminders are None when the form had no such field."""
    return TownHallInput(
        title=form.text("title"),
        date=form.text("date"),
        time=form.text("time"),
        zone=form.text("zone"),
        duration=form.text("duration"),
        place=form.text("place"),
        agenda=form.text("agenda"),
        channels=form.many("channels"),
        reminders=form.many("reminders") if form.has("reminders") else None,
    )


def townhall_view(zone: str, today: str) -> View:
    """The /townhall modal (TOWNHALL_FORM)."""
    reminder_options = [option(k, v) for k, v in REMINDER_CHOICES.items()]
    return View(
        type="modal",
        callback_id=TOWNHALL_CALLBACK,
        title="New town hall",
        submit="Announce",
        close="Cancel",
        blocks=[
            text_input(TH_TITLE, "Title", optional=False, max_length=150),
            InputBlock(
                block_id=TH_DATE,
                label="Day",
                element=DatePickerElement(action_id=VALUE, initial_date=today),
            ),
            InputBlock(
                block_id=TH_TIME, label="Starts at", element=TimePickerElement(action_id=VALUE)
            ),
            text_input(
                TH_ZONE, "Time zone", initial=zone, hint="An IANA name, e.g. Europe/Berlin."
            ),
            text_input(TH_DURATION, "Duration (minutes)", initial="60"),
            text_input(TH_PLACE, "Place or call link", max_length=500),
            text_input(TH_AGENDA, "Agenda", multiline=True, max_length=2500),
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


# -- questions ---------------------------------------------------------------------------------


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


ASK_FORM = Form(
    callback_id=ASK_CALLBACK,
    fields=(FormField("question", TH_QUESTION), FormField("anonymous", TH_ANONYMOUS, "flag")),
    default="question",
)


def ask_view(view: TownHallView, *, metadata: str) -> View:
    """The question modal (ASK_FORM); `metadata` is the sealed ASK_SEAL claim naming the town
    hall."""
    anonymous = option("yes", "Ask anonymously (your name is not stored)")
    return View(
        type="modal",
        callback_id=ASK_CALLBACK,
        title="Ask a question",
        submit="Send",
        close="Cancel",
        private_metadata=metadata,
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{escape(view.title)}* · {_when(view)}")),
            text_input(
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
    """The questions so far, most voted first, each with an Upvote button (none on the viewer's
    own named questions)."""
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
        blocks=blocks[:100],
    )


# -- messages ----------------------------------------------------------------------------------


class Renderer:
    """Builds every message town halls enqueue (views.TownHallRenderer)."""

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
                    text=f"{counted(len(questions), 'question')} for your town hall, most "
                    "upvoted first. Afterwards, `/townhall followup "
                    f"{view.townhall_id} &lt;recording link, answers&gt;` posts in the notice's "
                    "thread."
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
