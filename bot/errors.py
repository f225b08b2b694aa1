"""Errors the domain raises with a message meant for the person who asked."""


class DomainError(Exception):
    """A request Commons refuses, with a message that says what is wrong and how to do it right.

    `field` names the form field (a domain name such as "title", never a block id) the refusal is
    about, when it comes from a form; the form's description puts it under that field.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the person)."""


class PermissionDenied(DomainError):
    """The person's role does not allow this."""


class InvalidInput(DomainError):
    """The input is malformed; the message says what a valid one looks like."""


class FieldErrors(InvalidInput):
    """Several inputs of a form are wrong; `errors` maps each field's domain name to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors
