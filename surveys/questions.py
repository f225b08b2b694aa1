"""Questions: the shipped templates, the custom-question syntax, and checking an answer's value."""

import re
from dataclasses import dataclass

from bot.errors import InvalidInput
from surveys.models import QuestionKind

MAX_QUESTIONS = 10
MAX_OPTIONS = 10
MAX_TEXT = 300
MAX_OPTION_TEXT = 75
MAX_COMMENT = 2000
_NUMBER = re.compile(r"[0-9]{1,3}", re.ASCII)
_SURROGATE = re.compile("[\ud800-\udfff]")

LIKERT_LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")


@dataclass(frozen=True)
class QuestionSpec:
    """A question before it is stored."""

    kind: QuestionKind
    text: str
    options: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Template:
    """A shipped survey."""

    key: str
    title: str
    questions: tuple[QuestionSpec, ...]


_COMMENT = QuestionSpec(
    QuestionKind.COMMENT, "Anything you would like to add? (optional)", required=False
)

TEMPLATES: dict[str, Template] = {
    "enps": Template(
        "enps",
        "eNPS",
        (
            QuestionSpec(
                QuestionKind.ENPS,
                "How likely are you to recommend working here to a friend? (0-10)",
            ),
            QuestionSpec(
                QuestionKind.COMMENT,
                "What is the main reason for your score? (optional)",
                (),
                False,
            ),
        ),
    ),
    "engagement": Template(
        "engagement",
        "Engagement pulse",
        (
            QuestionSpec(QuestionKind.LIKERT, "My workload is manageable."),
            QuestionSpec(QuestionKind.LIKERT, "I know what the goals of my team are."),
            QuestionSpec(QuestionKind.LIKERT, "I am recognised for good work."),
            QuestionSpec(QuestionKind.LIKERT, "I have opportunities to learn and grow."),
            QuestionSpec(QuestionKind.LIKERT, "I have a good relationship with my manager."),
            _COMMENT,
        ),
    ),
    "onboarding": Template(
        "onboarding",
        "Onboarding check-in",
        (
            QuestionSpec(QuestionKind.LIKERT, "I have what I need to do my job."),
            QuestionSpec(QuestionKind.LIKERT, "My onboarding has been well organised."),
            QuestionSpec(
                QuestionKind.SINGLE,
                "Who has helped you most so far?",
                ("My manager", "My buddy", "My team", "Someone else", "Nobody yet"),
            ),
            QuestionSpec(QuestionKind.LIKERT, "I feel welcome in my team."),
            _COMMENT,
        ),
    ),
}

SYNTAX_HELP = (
    "One question per line, starting with its kind: `enps: question`, `likert: statement`, "
    "`choice: question | option | option`, `multi: question | option | option`, "
    "`comment: question`."
)

_KINDS = {
    "enps": QuestionKind.ENPS,
    "likert": QuestionKind.LIKERT,
    "choice": QuestionKind.SINGLE,
    "single": QuestionKind.SINGLE,
    "multi": QuestionKind.MULTI,
    "comment": QuestionKind.COMMENT,
}


def parse_questions(text: str) -> list[QuestionSpec]:
    """Questions written one per line as `kind: text | option | option`.

    Raises:
        InvalidInput: an unknown kind, a missing text, too few or too many options or questions.
    """
    specs: list[QuestionSpec] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        kind_word, colon, rest = line.partition(":")
        kind = _KINDS.get(kind_word.strip().lower())
        if not colon or kind is None:
            raise InvalidInput(f"Line {number} (“{line[:40]}”) has no known kind. {SYNTAX_HELP}")
        parts = [p.strip() for p in rest.split("|")]
        question, options = parts[0], tuple(p for p in parts[1:] if p)
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            if not 2 <= len(options) <= MAX_OPTIONS:
                raise InvalidInput(
                    f"Line {number}: a choice question needs 2 to {MAX_OPTIONS} options "
                    "separated by `|`."
                )
        elif options:
            raise InvalidInput(f"Line {number}: only choice questions take `|` options.")
        specs.append(
            QuestionSpec(kind, question, options, required=kind is not QuestionKind.COMMENT)
        )
    check_questions(specs)
    return specs


def check_questions(specs: list[QuestionSpec]) -> None:
    """Raise unless the questions make a survey.

    Raises:
        InvalidInput: no questions, too many, an empty or too long text or option.
    """
    if not specs:
        raise InvalidInput(
            "A survey needs at least one question: pick a template or write questions. "
            + SYNTAX_HELP
        )
    if len(specs) > MAX_QUESTIONS:
        raise InvalidInput(f"A pulse survey has at most {MAX_QUESTIONS} questions; keep it short.")
    for spec in specs:
        if not spec.text or len(spec.text) > MAX_TEXT:
            raise InvalidInput(f"Each question needs a text of 1 to {MAX_TEXT} characters.")
        if any(len(o) > MAX_OPTION_TEXT for o in spec.options):
            raise InvalidInput(f"Options are at most {MAX_OPTION_TEXT} characters each.")
        if len(set(spec.options)) != len(spec.options):
            raise InvalidInput(f"“{spec.text[:40]}” lists the same option twice.")


def check_value(
    kind: QuestionKind, options: list[str], raw: str | list[str]
) -> tuple[int | None, str | None]:
    """An answer's stored (value, text) from what the person picked or wrote.

    Raises:
        InvalidInput: a value outside the question's scale or options.
    """
    if kind is QuestionKind.COMMENT:
        text = clean_text(raw if isinstance(raw, str) else " ".join(raw)).strip()
        if len(text) > MAX_COMMENT:
            raise InvalidInput(f"Comments are at most {MAX_COMMENT} characters.")
        return None, text or None
    if kind is QuestionKind.MULTI:
        picks = raw if isinstance(raw, list) else [p for p in raw.split(",") if p.strip()]
        mask = 0
        for pick in picks:
            mask |= 1 << _option_index(options, pick)
        return mask, None
    value = raw if isinstance(raw, str) else (raw[0] if raw else "")
    if kind is QuestionKind.SINGLE:
        return _option_index(options, value), None
    low, high = (0, 10) if kind is QuestionKind.ENPS else (1, 5)
    digits = value.strip()
    # ASCII digits only: int() would also read Arabic-Indic digits, or "1_0".
    number = int(digits) if _NUMBER.fullmatch(digits) else low - 1
    if not low <= number <= high:
        raise InvalidInput(f"Pick a number from {low} to {high}.")
    return number, None


def clean_text(text: str) -> str:
    """What a person typed, storable on every store: no NUL (PostgreSQL refuses it) and no lone
    surrogate (no store can encode one), which becomes U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return text


def _option_index(options: list[str], pick: str) -> int:
    pick = pick.strip()
    if _NUMBER.fullmatch(pick) and int(pick) < len(options):
        return int(pick)
    lowered = [o.lower() for o in options]
    if pick.lower() in lowered:
        return lowered.index(pick.lower())
    # The pick is not repeated: what is answered stays out of replies (and of any log of them).
    raise InvalidInput(f"That is not one of the options: {', '.join(options)}.")
