"""Errors the domain raises with a message meant for the person who asked."""


class DomainError(Exception):
    """A request Commons refuses, with a message that says what is wrong and how to do it right."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the person)."""


class PermissionDenied(DomainError):
    """The person's role does not allow this."""


class InvalidInput(DomainError):
    """The input is malformed; the message says what a valid one looks like."""


class FieldErrors(InvalidInput):
    """Several inputs of a form are wrong; `errors` maps each field (a modal block id) to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors
