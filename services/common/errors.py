"""Domain errors: what a command refuses, and why. Never ``assert`` for a rule."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused. ``code`` is stable and machine-readable; the message is for people."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """A value given to a command is malformed or out of range."""

    code = "INVALID_INPUT"


class NotFound(DomainError):
    """The command names something that does not exist."""

    code = "NOT_FOUND"


class RuleViolated(DomainError):
    """The command is well formed but the rules of the process do not allow it now."""

    code = "RULE_VIOLATED"


def require_text(value: str, field: str, *, max_length: int = 200) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    return text


def require_count(value: int, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{field} must be a whole number of zero or more", field=field)
    return value
