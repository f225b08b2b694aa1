"""Console transcripts in the documentation, run for real: what a page shows is what Commons does.

A transcript is a fenced block of a Markdown page whose lines start with the console's prompt
(`commons> as alice: /commons help`); the lines under a prompt line are what the console must
print for it, in that order, each somewhere in the output (other lines may come between).
`...` in an expected line stands for any text (a message's ts, an id, a date), and a prompt
line's expected lines may be left out altogether. A prompt line ending in `<<WORD` takes the
lines up to `WORD` as its here-block, as the console does.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROMPT = "commons> "
_FENCE = re.compile(r"^(\s*)```")
_HERE = re.compile(r"<<([A-Z]+)\s*$")


@dataclass
class Step:
    """One prompt line (with its here-block lines) and the lines it must print."""

    line: str
    here: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    source: str = ""  # "docs/commands.md:212"

    @property
    def typed(self) -> list[str]:
        """What a person types: the prompt line, then its here-block."""
        return [self.line, *self.here]


@dataclass
class Transcript:
    """One fenced block of prompt lines."""

    source: str
    steps: list[Step]


def transcripts(path: Path, root: Path | None = None) -> list[Transcript]:
    """The transcripts of a Markdown page, in the order they appear."""
    name = str(path.relative_to(root)) if root else path.name
    found: list[Transcript] = []
    for start, block in _blocks(path.read_text(encoding="utf-8").splitlines()):
        if not any(line.lstrip().startswith(PROMPT) for line in block):
            continue
        found.append(Transcript(f"{name}:{start}", list(_steps(block, name, start))))
    return found


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    inside: list[str] | None = None
    start, indent = 0, ""
    for number, line in enumerate(lines, 1):
        fence = _FENCE.match(line)
        if fence and inside is None:
            inside, start, indent = [], number + 1, fence.group(1)
        elif fence and inside is not None:
            yield start, inside
            inside = None
        elif inside is not None:
            inside.append(line[len(indent) :] if line.startswith(indent) else line)


def _steps(block: list[str], name: str, start: int) -> Iterator[Step]:
    step: Step | None = None
    here_end: str | None = None
    for offset, raw in enumerate(block):
        line = raw.rstrip()
        if here_end is not None and step is not None:
            step.here.append(line)
            if line.strip() == here_end:
                here_end = None
            continue
        if line.lstrip().startswith(PROMPT):
            if step is not None:
                yield step
            typed = line.lstrip()[len(PROMPT) :]
            step = Step(typed, source=f"{name}:{start + offset}")
            if match := _HERE.search(typed):
                here_end = match.group(1)
        elif step is not None and line.strip():
            step.expected.append(line.strip())
    if step is not None:
        yield step


def matches(expected: str, actual: str) -> bool:
    """Whether an actual line is the expected one, `...` standing for any text."""
    parts = [re.escape(part) for part in expected.strip().split("...")]
    return re.fullmatch(".*?".join(parts), actual.strip(), flags=re.DOTALL) is not None


# What the console prints when something went wrong that a page should never show.
TROUBLE = (
    "Slack would show an error",
    "I don't understand",
    "Something went wrong",
)


def check(step: Step, output: list[str]) -> list[str]:
    """What is wrong with a step's output: expected lines not found in order, trouble shown."""
    problems: list[str] = []
    position = 0
    for wanted in step.expected:
        for index in range(position, len(output)):
            if matches(wanted, output[index]):
                position = index + 1
                break
        else:
            problems.append(f"{step.source}: `{step.line}` did not print {wanted!r}")
            break
    for line in output:
        if any(sign in line for sign in TROUBLE) and not any(
            matches(wanted, line) for wanted in step.expected
        ):
            problems.append(f"{step.source}: `{step.line}` printed {line.strip()!r}")
    return problems


def run(transcript: Transcript, execute: Callable[[list[str]], list[str]]) -> list[str]:
    """Run each step through `execute` (typed lines -> printed lines); returns the problems,
    each with the whole output of the step that went wrong."""
    problems: list[str] = []
    for step in transcript.steps:
        output = execute(step.typed)
        found = check(step, output)
        if found:
            problems += found
            problems.append("  it printed:\n" + "\n".join("    " + line for line in output))
    return problems
