"""Random requests of the kinds that broke Commons before: slash-command texts with awkward
tokens, and interactive payloads of every type with wrong shapes, forged metadata and odd values.

Used by the property tests (driven by hypothesis's random) and by `benchmarks/fuzz.py`. Every
request is one a signed client could send; what it must get back is a 200 within 3 s with a clear
answer (or nothing), never an error page or a reference id.
"""

import json
import random
import re
from typing import Any

# Tokens that each broke a parser or a store once: unusual digits, ids past the store's range,
# quotes, mentions, NULs, dates and times that do not exist, long text.
TOKENS: tuple[str, ...] = (
    "1",
    "2",
    "42",
    "0",
    "-1",
    "²",
    "٣",
    "99999999999999999999",
    str(2**63),
    str(2**63 - 1),
    '""',
    "''",
    '"unclosed',
    "<!channel>",
    "<!here>",
    "<#C0GENERAL>",
    "<#C0GENERAL|general>",
    "#general",
    "#it-help",
    "#nowhere",
    "<@U0BOB>",
    "@bob",
    "@it",
    "<!subteam^S0IT|@it>",
    "a\x00b",
    "2026-12-07",
    "2026-02-30",
    "09:00",
    "25:99",
    "Europe/Berlin",
    "Mars/Olympus",
    "../../etc",
    "Mon-Fri",
    "09:00-17:00",
    "4h",
    "2d",
    "urgent",
    ":ticket:",
    "it",
    "hr",
    "all",
    "now",
    "&amp;",
    "<script>",
    "*bold*",
    "`code`",
    "\u202e",
    "🙂",
    "x" * 300,
)

_ODD_VIEWS: list[Any] = ["x", {}, None]
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN", "U0FRANK", "U0IVAN")
CHANNELS = ("C0GENERAL", "C0ITHELP", "C0RANDOM", "D0NOWHERE")


def command_text(rng: random.Random, verbs: list[str]) -> str:
    """A slash command's text: usually a real verb, then a few tokens or random characters."""
    parts: list[str] = []
    if verbs and rng.random() < 0.85:
        parts.append(rng.choice(verbs))
    for _ in range(rng.randrange(0, 5)):
        parts.append(rng.choice(TOKENS) if rng.random() < 0.7 else _noise(rng))
    return " ".join(parts)


def _noise(rng: random.Random) -> str:
    alphabet = "abc XYZ019#@<>&|\"'`*_~:;,.\\/\t\n\x00é²" + chr(rng.randrange(0x20, 0x2FFF))
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))


def example_id(pattern: str) -> str:
    """A concrete id that a wired id or pattern (`^surveys\\.vote\\.\\d+$`) matches."""
    text = pattern.strip("^$")
    text = re.sub(r"\\d\+|\\d|\[0-9\]\+", "3", text)
    text = re.sub(r"\[([^\]]*)\]", lambda m: m.group(1)[:1] or "x", text)
    text = text.replace(".*", "x").replace("\\.", ".").replace("\\", "")
    return re.sub(r"[()?+*|]", "", text)


def _value(rng: random.Random) -> Any:
    return rng.choice(
        [
            rng.choice(TOKENS),
            str(rng.randrange(1, 6)),
            "",
            None,
            12,
            ["1"],
            {"x": 1},
            "x." + "A" * 24,
            "eyJ4IjoxfQ.AAAA",
        ]
    )


def _state(rng: random.Random, block_ids: list[str]) -> Any:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice([None, [], "x", {"values": []}, {"values": {"b": "x"}}])
    values: dict[str, Any] = {}
    for block in [*rng.sample(block_ids, k=min(len(block_ids), rng.randrange(0, 6))), "zz"]:
        element = rng.choice(
            [
                {"type": "plain_text_input", "value": _value(rng)},
                {"type": "static_select", "selected_option": {"value": _value(rng)}},
                {"type": "static_select", "selected_option": None},
                {"type": "checkboxes", "selected_options": [{"value": _value(rng)}]},
                {"type": "datepicker", "selected_date": rng.choice(TOKENS)},
                {"type": "users_select", "selected_user": rng.choice(PEOPLE)},
                {"type": "multi_conversations_select", "selected_conversations": list(CHANNELS)},
                {"type": "mystery"},
            ]
        )
        values[block] = {"a": element}
    return {"values": values}


def interactive_payload(
    rng: random.Random, wired: list[tuple[str, str]], block_ids: list[str]
) -> dict[str, Any]:
    """One interactive payload (block action, view submission or closing, shortcut, event)."""
    odd_users: list[Any] = [{}, "U0BOB", None]
    user = {"id": rng.choice(PEOPLE)} if rng.random() < 0.95 else rng.choice(odd_users)
    ids = {kind: [example_id(i) for k, i in wired if k == kind] for kind, _ in wired}
    kind = rng.choice(["action", "view", "view_closed", "shortcut", "message_shortcut", "event"])
    common: dict[str, Any] = {
        "user": user,
        "trigger_id": f"{rng.randrange(10**9)}.{rng.randrange(10**9)}",
        "team": {"id": "T0SANDBOX"},
        "api_app_id": "A0COMMONS",
    }
    known = ids.get(kind) or ["unknown.thing"]
    callback = rng.choice(known) if rng.random() < 0.85 else "unknown.thing"
    if kind == "action":
        action: Any = {
            "action_id": callback,
            "block_id": rng.choice([*block_ids, "x.1", "x.99999999999999999999", "x.²"]),
            "value": _value(rng),
            "type": "button",
        }
        if rng.random() < 0.2:
            action["selected_user"] = rng.choice(PEOPLE)
        actions: Any = [action] if rng.random() < 0.9 else rng.choice(["x", [], {}, [1]])
        payload: dict[str, Any] = {**common, "type": "block_actions", "actions": actions}
        if rng.random() < 0.6:
            payload["channel"] = {"id": rng.choice(CHANNELS)}
            payload["container"] = {"type": "message", "message_ts": "1.000001"}
            payload["message"] = {"ts": "1.000001", "text": "x", "blocks": []}
        elif rng.random() < 0.5:
            payload["view"] = _view(rng, callback, block_ids)
            payload["container"] = {"type": "view", "view_id": "V0X"}
        return payload
    if kind in ("view", "view_closed"):
        view = _view(rng, callback, block_ids) if rng.random() < 0.9 else rng.choice(_ODD_VIEWS)
        return {
            **common,
            "type": "view_submission" if kind == "view" else "view_closed",
            "view": view,
        }
    if kind == "shortcut":
        return {**common, "type": "shortcut", "callback_id": callback}
    if kind == "message_shortcut":
        return {
            **common,
            "type": "message_action",
            "callback_id": callback,
            "channel": {"id": rng.choice(CHANNELS)},
            "message_ts": "1.000001",
            "message": {"ts": "1.000001", "text": rng.choice(TOKENS), "user": rng.choice(PEOPLE)},
            "response_url": "",
        }
    event_type = rng.choice(ids.get("event") or ["message"])
    event: Any = {
        "type": event_type,
        "user": rng.choice(PEOPLE),
        "channel": rng.choice(CHANNELS),
        "ts": "2.000002",
        "thread_ts": rng.choice(["1.000001", "2.000002", None]),
        "text": rng.choice(TOKENS),
        "reaction": rng.choice(["ticket", "eyes", ""]),
        "item": rng.choice([{"type": "message", "channel": "C0ITHELP", "ts": "1.000001"}, "x"]),
        "tab": "home",
    }
    return {
        "type": "event_callback",
        "event_id": f"Ev{rng.randrange(10**12)}",
        "event": event if rng.random() < 0.95 else "x",
        "team_id": "T0SANDBOX",
    }


def _view(rng: random.Random, callback: str, block_ids: list[str]) -> dict[str, Any]:
    return {
        "id": f"V0F{rng.randrange(10**6)}",
        "type": "modal",
        "callback_id": callback,
        "hash": "h",
        "private_metadata": rng.choice(
            ["", "{}", "1|", "1", "x.y", json.dumps({"a": 1}), "eyJ4IjoxfQ.AAAA"]
        ),
        "blocks": [{"type": "input", "block_id": b} for b in block_ids[:5]],
        "state": _state(rng, block_ids),
    }
