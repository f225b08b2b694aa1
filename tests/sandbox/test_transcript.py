"""How documentation transcripts are read and checked (the pages themselves run in
tests/test_docs_transcripts.py)."""

from pathlib import Path

from sandbox.transcript import Step, Transcript, check, matches, run, transcripts

PAGE = """\
# A page

Some prose, then a block that is not a transcript:

```
/request it <summary>
```

- A list item with an indented transcript:
  ```
  commons> as alice: /commons help
  Commons ... help
  commons> people
  commons> as bob: submit ann_body=<<END
  line one
  line two
  END
    (Commons acknowledged in ... ms)
  ```
"""


def test_only_blocks_with_prompt_lines_are_transcripts_and_each_prompt_is_a_step(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    [found] = transcripts(page)
    assert [s.line for s in found.steps] == [
        "as alice: /commons help",
        "people",
        "as bob: submit ann_body=<<END",
    ]
    assert found.steps[0].expected == ["Commons ... help"]
    assert found.steps[1].expected == []
    assert found.steps[2].here == ["line one", "line two", "END"]
    assert found.steps[2].expected == ["(Commons acknowledged in ... ms)"]
    assert found.steps[0].source == "page.md:11"


def test_dots_stand_for_any_text_and_the_rest_is_literal() -> None:
    assert matches("Request #... is open at IT", "Request #12 is open at IT")
    assert matches("(Commons acknowledged in ... ms)", "  (Commons acknowledged in 41 ms)")
    assert not matches("Request #1 is open", "Request #12 is open")
    assert not matches("a.b", "axb")  # a dot is a dot


def test_expected_lines_are_found_in_order_with_others_between() -> None:
    step = Step("as alice: /x", expected=["first", "third"], source="p.md:3")
    assert check(step, ["first", "second", "third"]) == []
    assert check(step, ["third", "first"]) == ["p.md:3: `as alice: /x` did not print 'third'"]


def test_an_error_the_page_does_not_show_fails_the_step() -> None:
    step = Step("as alice: /x", source="p.md:3")
    problems = check(step, ["  (Commons answered HTTP 500: Slack would show an error)"])
    assert problems == [
        "p.md:3: `as alice: /x` printed '(Commons answered HTTP 500: Slack would show an error)'"
    ]
    assert run(Transcript("p.md:1", [step]), lambda typed: ["fine"]) == []
