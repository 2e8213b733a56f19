"""How every mutation runs: call the body's service as the principal, answer with a union.
(Rights are enforced before, by ``api.enforcement``.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry

from api.context import Info
from api.errors import InvalidInput, NotAllowed, NotFound, RuleViolated, Unavailable, problem_of
from services.common.application import Receipt
from services.common.errors import DomainError


@strawberry.type(description="A command was recorded as an event in the acting body's store.")
class Recorded:
    body: str
    aggregate_id: UUID
    version: int = strawberry.field(
        description="The aggregate's version after the command; views show it once they have "
        "projected this version.")


CommandResult = Annotated[
    Recorded | InvalidInput | NotFound | RuleViolated | NotAllowed | Unavailable,
    strawberry.union("CommandResult"),
]


async def perform(
    info: Info, method: Callable[..., Receipt], /, **kwargs: Any
) -> Recorded | InvalidInput | NotFound | RuleViolated:
    try:
        receipt = await info.context.command(info.path.key, method, **kwargs)
    except DomainError as error:
        return problem_of(error, f"Mutation.{info.field_name}")
    return Recorded(body=receipt.body.value, aggregate_id=receipt.aggregate_id, version=receipt.version)


def fields_of(input_: Any) -> dict[str, Any]:
    """A mutation's input as the service command's keyword arguments (they share their names)."""
    return {f.name: getattr(input_, f.name) for f in dataclasses.fields(input_)}


def recording(service: str | None, method: str, input_type: type, description: str) -> Any:
    """A mutation that runs the command ``services.<service>.<method>`` with its input's fields;
    with ``service`` None, the command of the principal's own body (a reply to the branch, which
    the service refuses from a body not addressed)."""

    async def resolve(self: Any, info: Info, input: Any) -> CommandResult:  # noqa: A002
        services = info.context.services
        body = services.of(info.context.principal.body) if service is None else getattr(services, service)
        command = getattr(body, method)
        return await perform(info, command, **fields_of(input))

    resolve.__annotations__["input"] = input_type
    return strawberry.mutation(resolve, description=description)
