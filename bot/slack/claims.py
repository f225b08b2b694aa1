"""Claims Commons writes into payloads Slack hands back (`private_metadata`, button values),
sealed with an HMAC so that a forged or edited one is refused instead of trusted.

Slack returns `private_metadata` exactly as Commons wrote it, but anyone who can send a signed
request (any member, through any client) can also send a view submission with metadata of their
own making. A sealed claim says what Commons wrote and nothing else: its purpose and its data,
under a key derived from the signing secret.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

from bot.errors import InvalidInput

_SEPARATOR = "."
STALE = "This form is out of date or was not made by Commons; close it and open it again."


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"commons claims v1", hashlib.sha256).digest()


def _mac(secret: str, purpose: str, payload: str) -> str:
    digest = hmac.new(_key(secret), f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def seal(secret: str, purpose: str, data: dict[str, Any]) -> str:
    """The data as a sealed string for `purpose` (e.g. "helpdesk.request_form")."""
    payload = base64.urlsafe_b64encode(
        json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    ).decode()
    return f"{payload}{_SEPARATOR}{_mac(secret, purpose, payload)}"


def unseal(secret: str, purpose: str, token: object) -> dict[str, Any]:
    """The data sealed for `purpose`.

    Raises:
        InvalidInput: when the token is missing, malformed, sealed for another purpose or edited.
    """
    if not isinstance(token, str) or _SEPARATOR not in token:
        raise InvalidInput(STALE)
    payload, _, mac = token.rpartition(_SEPARATOR)
    if not token.isascii() or not hmac.compare_digest(mac, _mac(secret, purpose, payload)):
        raise InvalidInput(STALE)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        raise InvalidInput(STALE) from None
    if not isinstance(data, dict):
        raise InvalidInput(STALE)
    return data
