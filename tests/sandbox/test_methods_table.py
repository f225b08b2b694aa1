"""The generated Web API method table matches Slack's reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.methods import all_methods, build_table, dump_table, main, method_spec

REFERENCE = Path("/work/shared/slack-api-ref")
DATA = Path(__file__).resolve().parents[2] / "sandbox" / "data"


@pytest.mark.parametrize(
    ("name", "tier"),
    [
        ("chat.postMessage", "t5"),
        ("users.list", "t2"),
        ("conversations.history", "t3"),
        ("views.publish", "t4"),
        ("chat.update", "t3"),
        ("conversations.members", "t4"),
    ],
)
def test_tiers_of_the_methods_commons_paces(name: str, tier: str) -> None:
    spec = method_spec(name)
    assert spec is not None
    assert spec.tier == tier


def test_required_arguments_come_from_the_reference() -> None:
    post = method_spec("chat.postMessage")
    publish = method_spec("views.publish")
    assert post is not None
    assert publish is not None
    assert post.http_method == "POST"
    assert post.required == ("token", "channel")
    assert publish.required == ("token", "user_id", "view")
    users_list = method_spec("users.list")
    assert users_list is not None
    assert users_list.http_method == "GET"
    assert users_list.required == ("token",)


def test_unknown_method_has_no_spec() -> None:
    assert method_spec("chat.postMessages") is None
    assert method_spec("_source") is None


def test_prose_rate_limits_become_no_tier() -> None:
    spec = method_spec("admin.analytics.messages.metadata")
    assert spec is not None
    assert spec.tier is None
    assert all(s.tier in {None, "t1", "t2", "t3", "t4", "t5"} for s in all_methods().values())


def test_the_licence_of_the_data_ships_beside_it() -> None:
    assert "MIT License" in (DATA / "SLACK_API_REF_LICENSE.md").read_text(encoding="utf-8")
    source = json.loads((DATA / "slack_methods.json").read_text(encoding="utf-8"))["_source"]
    assert "slack-ruby/slack-api-ref" in source
    assert "SLACK_API_REF_LICENSE.md" in source


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="slack-api-ref is not beside this checkout")
def test_table_has_every_method_of_the_reference() -> None:
    names = {
        p.name.removesuffix(".json")
        for p in (REFERENCE / "methods").glob("*.json")
        if isinstance(json.loads(p.read_text(encoding="utf-8")), dict)
    }
    assert set(all_methods()) == names
    for name in names:
        doc = json.loads((REFERENCE / "methods" / f"{name}.json").read_text(encoding="utf-8"))
        spec = all_methods()[name]
        assert spec.http_method == doc["http_method"]
        assert spec.required == tuple(doc["args"].get("required", []))


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="slack-api-ref is not beside this checkout")
def test_the_committed_table_is_what_the_generator_writes(tmp_path: Path) -> None:
    assert main(["--generate", str(REFERENCE), "--out", str(tmp_path)]) == 0
    committed = (DATA / "slack_methods.json").read_text(encoding="utf-8")
    assert (tmp_path / "slack_methods.json").read_text(encoding="utf-8") == committed
    assert dump_table(build_table(REFERENCE)) == committed
    assert (tmp_path / "SLACK_API_REF_LICENSE.md").read_bytes() == (
        REFERENCE / "LICENSE.md"
    ).read_bytes()
