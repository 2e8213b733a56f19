"""Expected failures, as GraphQL types: mutations answer with a union of success and these."""

from __future__ import annotations

import strawberry

from api.outage import RETRY_SECONDS
from services.common import errors


@strawberry.interface(description="Why a request was refused.")
class Problem:
    code: str
    message: str


@strawberry.type(description="A value given is malformed or out of range.")
class InvalidInput(Problem):
    field: str | None


@strawberry.type(description="The request names something that does not exist.")
class NotFound(Problem):
    field: str | None


@strawberry.type(description="The rules of the process do not allow this now.")
class RuleViolated(Problem):
    pass


@strawberry.type(description="The principal lacks the right this request needs.")
class NotAllowed(Problem):
    right: str


@strawberry.type(description="The ledger's database is unavailable just now: retry after retryAfter seconds.")
class Unavailable(Problem):
    retry_after: int


def problem_of(error: errors.DomainError, right: str) -> Problem:
    """The problem that answers a refused command; ``right`` names the mutation, for a refusal
    because of who asks."""
    if isinstance(error, errors.Unavailable):
        return Unavailable(code=error.code, message=error.message, retry_after=RETRY_SECONDS)
    if isinstance(error, errors.NotEntitled):
        return NotAllowed(code=error.code, message=error.message, right=right)
    if isinstance(error, errors.InvalidInput):
        return InvalidInput(code=error.code, message=error.message, field=error.field)
    if isinstance(error, errors.NotFound):
        return NotFound(code=error.code, message=error.message, field=error.field)
    return RuleViolated(code=error.code, message=error.message)
