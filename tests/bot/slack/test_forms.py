"""Modal values read the same from Slack's element payloads and from the console's typed text."""

from bot.slack.forms import StateValues, field_flag, field_list, field_raw, field_text

VALUES: StateValues = {
    "kind": {"a": {"type": "static_select", "selected_option": {"value": "enps"}}},
    "days": {"a": {"type": "checkboxes", "selected_options": [{"value": "mon"}, {"value": "wed"}]}},
    "where": {"a": {"type": "multi_conversations_select", "selected_conversations": ["C1", "C2"]}},
    "date": {"a": {"type": "datepicker", "selected_date": "2026-12-01"}},
    "typed": {"a": {"type": "plain_text_input", "value": "<#C0GENERAL|general>, C0ENGHELP"}},
    "yes": {"a": {"type": "plain_text_input", "value": "Yes"}},
    "none": {"a": {"type": "static_select", "selected_option": None}},
}


def test_each_element_type_gives_its_value() -> None:
    assert field_text(VALUES, "kind") == "enps"
    assert field_list(VALUES, "days") == ["mon", "wed"]
    assert field_list(VALUES, "where") == ["C1", "C2"]
    assert field_text(VALUES, "date") == "2026-12-01"
    assert field_text(VALUES, "none") == ""


def test_typed_text_is_split_and_channel_links_become_ids() -> None:
    assert field_list(VALUES, "typed") == ["C0GENERAL", "C0ENGHELP"]
    assert field_flag(VALUES, "yes")
    assert field_flag(VALUES, "days")


def test_a_missing_field_is_empty_not_an_error() -> None:
    assert field_raw(VALUES, "nope") is None
    assert (field_text(VALUES, "nope"), field_list(VALUES, "nope"), field_flag(VALUES, "nope")) == (
        "",
        [],
        False,
    )
