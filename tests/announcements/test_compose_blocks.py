"""The compose modal: its form reads back into a `Draft`, and it offers only what the author may."""

from dataclasses import fields

from announcements.compose import ComposeContext
from announcements.compose_blocks import COMPOSE_FORM, compose_view, draft_from
from announcements.drafts import Draft
from sandbox.forms import initial_state

CONTEXT = ComposeContext(
    zone="Europe/Berlin",
    templates=[("shipped:office_closure", "Office closure")],
    departments=[],
    may_save_templates=False,
)


def test_every_field_of_the_form_is_a_field_of_the_draft() -> None:
    names = {f.name for f in fields(Draft)}
    assert {f.name for f in COMPOSE_FORM.fields} == names


def test_the_form_submitted_as_shown_reads_back_into_the_draft_it_was_filled_with() -> None:
    draft = Draft(
        title="Hi",
        body="There",
        channels=["C0ENG"],
        must_read=True,
        remind_after_days="3",
        when="recurring",
        time="09:30",
        repeat="weekly",
        days=["mon", "thu"],
        template="shipped:office_closure",
    )
    view = compose_view(CONTEXT, draft, metadata="sealed").to_dict()
    assert draft_from(COMPOSE_FORM.read(initial_state(view["blocks"]))) == draft
    assert view["private_metadata"] == "sealed"
    assert "Time (Europe/Berlin)" in str(view)


def test_saving_as_a_template_and_the_audience_are_offered_only_when_they_apply() -> None:
    plain = str(compose_view(CONTEXT, metadata="").to_dict())
    offered = str(
        compose_view(
            ComposeContext(
                zone="UTC",
                templates=[],
                departments=[("1", "Engineering")],
                may_save_templates=True,
                announcement_id=4,
            ),
            metadata="",
        ).to_dict()
    )
    assert "ann_save_as" not in plain
    assert "ann_department" not in plain
    assert "ann_save_as" in offered
    assert "Engineering" in offered
    assert "Edit announcement" in offered
