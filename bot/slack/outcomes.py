"""What an interaction is (who acted, where, with what payload) and what a handler returns:
the outcomes the interaction layer knows how to show (see bot/slack/interaction.py)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.errors import InvalidInput
from bot.services import Services
from bot.slack import claims
from bot.slack.args import parse_id
from bot.slack.forms import Form, FormValues, StateValues

Kind = Literal["command", "action", "view", "view_closed", "shortcut", "message_shortcut", "event"]


# -- outcomes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Text (mrkdwn) for the person who acted: an ephemeral reply, or the message the button was
    on when `replace_original`. After a form, it is shown as the form's last step (`title`)."""

    text: str
    blocks: Sequence[Block | dict[str, Any]] | None = None
    replace_original: bool = False
    title: str = "Done"


@dataclass(frozen=True)
class OpenModal:
    """Open a modal with the interaction's trigger (after the acknowledgement)."""

    view: View | dict[str, Any]


@dataclass(frozen=True)
class PushModal:
    """Push a modal on top of the one the person is in."""

    view: View | dict[str, Any]


@dataclass(frozen=True)
class UpdateModal:
    """Replace the modal the person is in (a form's next step, or a refreshed view)."""

    view: View | dict[str, Any]


@dataclass(frozen=True)
class FormErrors:
    """Errors under a form's fields, keyed by the domain's field names."""

    errors: Mapping[str, str]


@dataclass(frozen=True)
class Nothing:
    """Nothing to show (a form that simply closes, an event that needed no answer)."""


@dataclass(frozen=True)
class Later:
    """Acknowledge with `first`, then run `then` and show what it returns."""

    first: "Outcome"
    then: Callable[[], "Outcome"]


Outcome = Reply | OpenModal | PushModal | UpdateModal | FormErrors | Nothing | Later


@dataclass(frozen=True)
class Refusal:
    message: str
    field: str | None
    errors: Mapping[str, str] | None


@dataclass(frozen=True)
class Failure:
    """An unexpected error: its reference, and whether a write had been committed (None: not
    known, when Bolt itself failed)."""

    reference: str
    saved: bool | None


Result = Outcome | Refusal | Failure


# -- the interaction -------------------------------------------------------------------------------


@dataclass
class Interaction:
    """What a handler is given: who acted, where, and the payload's parts, already screened."""

    kind: Kind
    body: dict[str, Any]
    services: Services
    client: WebClient
    respond: Respond | None = None
    form: Form | None = None
    user_id: str = ""
    channel_id: str | None = None
    trigger_id: str | None = None
    text: str = ""
    action: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        kind: Kind,
        body: dict[str, Any],
        services: Services,
        client: WebClient,
        respond: Respond | None = None,
        form: Form | None = None,
    ) -> "Interaction":
        user = body.get("user")
        channel = body.get("channel")
        actions = body.get("actions")
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        user_id = (
            user.get("id")
            if isinstance(user, dict)
            else body.get("user_id") or (event.get("user") if isinstance(event, dict) else None)
        )
        channel_id = (
            channel.get("id") if isinstance(channel, dict) else body.get("channel_id") or None
        )
        return cls(
            kind=kind,
            body=body,
            services=services,
            client=client,
            respond=respond,
            form=form,
            user_id=str(user_id or ""),
            channel_id=str(channel_id) if isinstance(channel_id, str) else None,
            trigger_id=str(body["trigger_id"]) if isinstance(body.get("trigger_id"), str) else None,
            text=str(body.get("text") or "") if kind == "command" else "",
            action=actions[0] if isinstance(actions, list) and actions else {},
            view=body["view"] if isinstance(body.get("view"), dict) else {},
            event=event if isinstance(event, dict) else {},
        )

    @property
    def values(self) -> StateValues:
        state = self.view.get("state")
        values = state.get("values") if isinstance(state, dict) else None
        return values if isinstance(values, dict) else {}

    @property
    def submitted(self) -> FormValues:
        """The submitted form, read through its description."""
        assert self.form is not None, "a handler of a view without a form description"
        return self.form.read(self.values)

    def unseal(self, purpose: str, token: object | None = None) -> dict[str, Any]:
        """Data Commons sealed for `purpose` into this view's private_metadata (or `token`).

        Raises:
            InvalidInput: when it is missing or was not written by Commons.
        """
        claimed = self.view.get("private_metadata") if token is None else token
        return claims.unseal(self.services.settings.slack_signing_secret, purpose, claimed)

    def button_id(self, *, what: str, usage: str) -> int:
        """The row a button names (its value), read like a typed id; services re-check it."""
        return parse_id(str(self.action.get("value") or ""), usage=usage, what=what)

    def sealed_id(self, purpose: str, key: str) -> int:
        """An id Commons sealed into the view's private_metadata for `purpose`."""
        value = self.unseal(purpose).get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(claims.STALE)
        return value

    def seal(self, purpose: str, data: dict[str, Any]) -> str:
        """Seal data for a view's private_metadata or a button's value."""
        return claims.seal(self.services.settings.slack_signing_secret, purpose, data)


Handler = Callable[[Interaction], Outcome]
EventHandler = Callable[[Interaction], None]
