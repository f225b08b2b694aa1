"""Block Kit of pulse surveys: the /pulse modal, invitations with answer buttons, the answer modal,
and the form descriptions that read those modals by the domain's field names.

Modal block ids have no dots (the sandbox console addresses inputs as `block.action=value`);
every input's action id is `value`.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.forms import Form, FormField
from bot.text.mrkdwn import escape
from surveys.common import question_of_field
from surveys.models import QuestionKind, SurveyQuestion
from surveys.questions import LIKERT_LABELS, SYNTAX_HELP, TEMPLATES

CREATE_CALLBACK = "surveys.create"
ANSWER_CALLBACK = "surveys.answer"
VOTE_PREFIX = "surveys.vote."
OPEN_ACTION = "surveys.open"
VALUE = "value"
# What the answer modal's private_metadata is sealed for: the run and questions it shows.
ANSWER_CLAIM = "surveys.answer"

TEMPLATE_BLOCK = "surveys_template"
TITLE_BLOCK = "surveys_title"
QUESTIONS_BLOCK = "surveys_questions"
DEPARTMENTS_BLOCK = "surveys_departments"
CHANNEL_BLOCK = "surveys_channel"
CADENCE_BLOCK = "surveys_cadence"
WINDOW_BLOCK = "surveys_window"
LOCAL_TIME_BLOCK = "surveys_local_time"
PRIVACY_BLOCK = "surveys_privacy"
THRESHOLD_BLOCK = "surveys_threshold"
REMINDERS_BLOCK = "surveys_reminders"
OPEN_RESULTS_BLOCK = "surveys_open_results"

CADENCE_CHOICES = {
    "once": "Once",
    "weekly": "Every week",
    "biweekly": "Every 2 weeks",
    "monthly": "Every month",
    "quarterly": "Every quarter",
}
PRIVACY_CHOICES = {
    "anonymous": "Anonymous (recommended)",
    "strong": "Anonymous, strong protection",
    "attributed": "Attributed: names beside answers",
}
OPEN_RESULTS_CHOICES = {
    "steps": "In steps of more than the threshold of new answers",
    "close": "Only at the close",
}


CREATE_FORM = Form(
    callback_id=CREATE_CALLBACK,
    fields=(
        FormField("template", TEMPLATE_BLOCK),
        FormField("title", TITLE_BLOCK),
        FormField("questions", QUESTIONS_BLOCK),
        FormField("departments", DEPARTMENTS_BLOCK, "list"),
        FormField("channel", CHANNEL_BLOCK),
        FormField("cadence", CADENCE_BLOCK),
        FormField("window", WINDOW_BLOCK),
        FormField("local_time", LOCAL_TIME_BLOCK),
        FormField("reminders", REMINDERS_BLOCK, "list"),
        FormField("privacy", PRIVACY_BLOCK),
        FormField("threshold", THRESHOLD_BLOCK),
        FormField("results_while_open", OPEN_RESULTS_BLOCK),
    ),
    # Errors about the whole survey (who may run it, whom it reaches) go under the audience.
    default="departments",
)


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=text[:75]))


def _text_input(
    block_id: str, label: str, *, hint: str = "", initial: str = "", multiline: bool = False
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        hint=hint or None,
        element=PlainTextInputElement(
            action_id=VALUE, multiline=multiline, initial_value=initial or None
        ),
    )


def _select(block_id: str, label: str, choices: Mapping[str, str]) -> InputBlock:
    """A required pick, the first choice picked."""
    options = [_option(key, text) for key, text in choices.items()]
    return InputBlock(
        block_id=block_id,
        label=label,
        element=StaticSelectElement(action_id=VALUE, options=options, initial_option=options[0]),
    )


def create_modal(*, departments: Sequence[tuple[int, str]], manager: bool) -> View:
    """The /pulse modal: template or custom questions, audience, cadence, window, privacy."""
    templates = {key: t.title for key, t in TEMPLATES.items()}
    templates["custom"] = "Custom: write my own questions"
    blocks: list[Block] = [
        _select(TEMPLATE_BLOCK, "Start from", templates),
        _text_input(TITLE_BLOCK, "Title", hint="Defaults to the template's name."),
        _text_input(
            QUESTIONS_BLOCK,
            "Custom questions",
            hint=SYNTAX_HELP.replace("`", "") + " They replace the template's questions.",
            multiline=True,
        ),
        *_audience_inputs(departments=departments, manager=manager),
        *_rhythm_inputs(),
        *_privacy_inputs(),
    ]
    return View(
        type="modal",
        callback_id=CREATE_CALLBACK,
        title="New pulse survey",
        submit="Create",
        close="Cancel",
        blocks=blocks,
    )


def _audience_inputs(*, departments: Sequence[tuple[int, str]], manager: bool) -> list[Block]:
    """Whom to ask: departments (a manager's own), or, for HR and comms, a channel's members."""
    inputs: list[Block] = []
    if departments:
        inputs.append(
            InputBlock(
                block_id=DEPARTMENTS_BLOCK,
                label="Departments" + (" (yours)" if manager else ""),
                optional=True,
                hint="Leave empty (and no channel) for everyone.",
                element=StaticMultiSelectElement(
                    action_id=VALUE,
                    options=[_option(str(i), n) for i, n in departments[:100]],
                ),
            )
        )
    if not manager:
        inputs.append(
            InputBlock(
                block_id=CHANNEL_BLOCK,
                label="Or a channel's members",
                optional=True,
                element=ConversationSelectElement(action_id=VALUE),
            )
        )
    return inputs


def _rhythm_inputs() -> list[Block]:
    """When: how often, for how long, at what local time, and the reminders."""
    return [
        _select(CADENCE_BLOCK, "Repeat", CADENCE_CHOICES),
        _text_input(WINDOW_BLOCK, "Open for (days)", initial="5", hint="1 to 30 days."),
        _text_input(
            LOCAL_TIME_BLOCK,
            "Send at this local time, weekdays",
            hint="e.g. 10:00 in each person's own zone. Empty: send now.",
        ),
        _text_input(
            REMINDERS_BLOCK,
            "Remind on",
            initial="3, last",
            hint="Days of the window, and/or `last`. Empty: no reminders. An anonymous survey "
            "reminds everyone: Commons does not know who answered.",
        ),
    ]


def _privacy_inputs() -> list[Block]:
    """Privacy: anonymous or attributed, the threshold, and results while the survey is open."""
    return [
        _select(PRIVACY_BLOCK, "Privacy", PRIVACY_CHOICES),
        _text_input(
            THRESHOLD_BLOCK,
            "Anonymity threshold",
            initial="5",
            hint="No result for a group with fewer answers (3 to 10).",
        ),
        InputBlock(
            block_id=OPEN_RESULTS_BLOCK,
            label="Results while it is open",
            optional=True,
            hint="Empty: only at the close with strong protection, else in steps.",
            element=StaticSelectElement(
                action_id=VALUE,
                options=[_option(k, v) for k, v in OPEN_RESULTS_CHOICES.items()],
            ),
        ),
    ]


def _scale_buttons(run_id: int, question: SurveyQuestion) -> ActionsBlock:
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.ENPS:
        choices = [(str(v), str(v)) for v in range(11)]
    elif kind is QuestionKind.LIKERT:
        choices = [(str(i + 1), label) for i, label in enumerate(LIKERT_LABELS)]
    else:
        choices = [(str(i), o) for i, o in enumerate(question.options.splitlines())]
    return ActionsBlock(
        block_id=f"surveys_vote_{run_id}",
        elements=[
            ButtonElement(
                text=label[:75],
                action_id=f"{VOTE_PREFIX}{value}",
                value=f"{run_id}:{question.id}:{value}",
            )
            for value, label in choices
        ],
    )


def answerable_by_buttons(questions: Sequence[SurveyQuestion]) -> bool:
    """A one-question survey on a scale or a single choice is answered right in the DM."""
    return len(questions) == 1 and questions[0].kind in ("enps", "likert", "single")


def invitation_blocks(
    *,
    run_id: int,
    intro: str,
    privacy: str,
    questions: Sequence[SurveyQuestion],
) -> list[dict[str, Any]]:
    """The DM: what, until when, the privacy line, and buttons (one question) or an Answer button."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=intro))]
    if answerable_by_buttons(questions):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{escape(questions[0].text)}*")))
        blocks.append(_scale_buttons(run_id, questions[0]))
    else:
        blocks.append(
            ActionsBlock(
                block_id=f"surveys_open_{run_id}",
                elements=[
                    ButtonElement(
                        text="Answer", action_id=OPEN_ACTION, value=str(run_id), style="primary"
                    )
                ],
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=privacy)]))
    return [b.to_dict() for b in blocks]


def question_block_id(question_id: int) -> str:
    """The modal block of one question."""
    return f"q{question_id}"


@dataclass(frozen=True)
class AnswerForm(Form):
    """The answer modal's description: one field per question, named `answer_field(id)` by the
    domain, on the question's own block."""

    def block_id(self, name: str) -> str:
        question_id = question_of_field(name)
        return super().block_id(name) if question_id is None else question_block_id(question_id)

    def block_errors(
        self, errors: Mapping[str, str], *, present: Collection[str]
    ) -> dict[str, str]:
        """Each question's error under that question; anything else under the first one."""
        on_blocks: dict[str, str] = {}
        for name, message in errors.items():
            question_id = question_of_field(name)
            on_blocks[name if question_id is None else question_block_id(question_id)] = message
        return super().block_errors(on_blocks, present=present)


ANSWER_FORM = AnswerForm(callback_id=ANSWER_CALLBACK, fields=(), default="")


def answer_modal(
    *, metadata: str, title: str, privacy: str, questions: Sequence[SurveyQuestion]
) -> View:
    """One input per question; eNPS and Likert as selects, choices as selects or checkboxes.

    Args:
        metadata: the sealed claim of which run and questions this modal answers.
    """
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(title)}*")),
        ContextBlock(elements=[MarkdownTextObject(text=privacy)]),
    ]
    for question in questions:
        kind = QuestionKind(question.kind)
        options = question.options.splitlines()
        element: Any
        if kind is QuestionKind.ENPS:
            element = StaticSelectElement(
                action_id=VALUE,
                placeholder="0 = not at all, 10 = extremely likely",
                options=[_option(str(v), str(v)) for v in range(11)],
            )
        elif kind is QuestionKind.LIKERT:
            element = StaticSelectElement(
                action_id=VALUE,
                placeholder="Pick one",
                options=[_option(str(i + 1), word) for i, word in enumerate(LIKERT_LABELS)],
            )
        elif kind is QuestionKind.SINGLE:
            element = StaticSelectElement(
                action_id=VALUE,
                placeholder="Pick one",
                options=[_option(str(i), o) for i, o in enumerate(options)],
            )
        elif kind is QuestionKind.MULTI:
            element = CheckboxesElement(
                action_id=VALUE, options=[_option(str(i), o) for i, o in enumerate(options)]
            )
        else:
            element = PlainTextInputElement(action_id=VALUE, multiline=True, max_length=2000)
        blocks.append(
            InputBlock(
                block_id=question_block_id(question.id or 0),
                label=question.text[:2000],
                element=element,
                optional=not question.required,
            )
        )
    return View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        title="Pulse survey",
        submit="Send",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )


ANSWERED_BLOCK = "surveys_answered"


def with_confirmation(original: Sequence[object], text: str) -> list[dict[str, Any]]:
    """The invitation as it was (buttons kept, to change the answer) plus a confirmation line."""
    kept = [
        dict(b) for b in original if isinstance(b, dict) and b.get("block_id") != ANSWERED_BLOCK
    ]
    confirmation = SectionBlock(block_id=ANSWERED_BLOCK, text=MarkdownTextObject(text=text))
    return [*kept, confirmation.to_dict()]


def thanks_modal(text: str) -> View:
    """What the answer modal turns into once the answers are stored."""
    return View(
        type="modal",
        title="Pulse survey",
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
