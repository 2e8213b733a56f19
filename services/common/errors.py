"""Domain errors: what a command refuses, and why. Never ``assert`` for a rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum

from services.common.inputs import BadText, clean_text


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


class Unavailable(DomainError):
    """The command could not reach the store (its server away or its connections busy); it may
    be retried."""

    code = "UNAVAILABLE"


class NotEntitled(DomainError):
    """The command is refused because of who asks (another resident's case, an item addressed
    to another body), not because of a rule of the process."""

    code = "NOT_ALLOWED"


class RuleViolated(DomainError):
    """The command is well formed but the rules of the process do not allow it now."""

    code = "RULE_VIOLATED"


def require_text(value: str, field: str, *, max_length: int = 200, multiline: bool = False) -> str:
    """A text that keeps the rules of ``services.common.inputs``, not empty, at most ``max_length``
    characters; one line unless ``multiline``."""
    try:
        text = clean_text(value or "", multiline=multiline, max_length=max_length).strip()
    except BadText as problem:
        raise InvalidInput(f"{field} {problem}", field=field) from None
    if not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    return text


def require_count(value: int, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{field} must be a whole number of zero or more", field=field)
    return value


def require_choice(enum: type[Enum], value: str, field: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{field} must be one of {allowed}, not {value!r}", field=field) from None


CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("10000000000")


def require_decimal(value: Decimal | str | int, field: str, *, unit: str, maximum: Decimal,
                    zero: bool = False) -> Decimal:
    """A positive amount (or zero, if ``zero``) to the cent, at most ``maximum``: a value with
    more decimals is refused, never rounded."""
    try:
        given = Decimal(str(value))
        amount = given.quantize(CENT) if given.is_finite() else None
    except InvalidOperation:
        amount = None
    if amount is None:
        raise InvalidInput(f"{field} must be a number of {unit}", field=field)
    if amount != given:
        raise InvalidInput(f"{field} must have at most 2 decimals (it is kept to the hundredth)", field=field)
    if not (Decimal(0) <= amount if zero else Decimal(0) < amount) or amount > maximum:
        lowest = "0 or more" if zero else "above 0"
        raise InvalidInput(f"{field} must be {lowest} and at most {maximum} {unit}", field=field)
    return amount


def require_amount(value: Decimal | str | int, field: str, *, zero: bool = False) -> Decimal:
    """A sum of money in yuan, to the fen."""
    return require_decimal(value, field, unit="yuan", maximum=MAX_AMOUNT, zero=zero)


def require_date(value: date, field: str, *, not_after: date | None = None,
                 not_before: date | None = None, after: date | None = None) -> date:
    if not isinstance(value, date):
        raise InvalidInput(f"{field} must be a date", field=field)
    if not_after is not None and value > not_after:
        raise InvalidInput(f"{field} {value} is in the future", field=field)
    if not_before is not None and value < not_before:
        raise RuleViolated(f"{field} {value} is before {not_before}", field=field)
    if after is not None and value <= after:
        raise RuleViolated(f"{field} {value} must be after {after}", field=field)
    return value
