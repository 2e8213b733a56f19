"""Applies ``api.rights.RIGHTS`` to every field as it resolves, so no resolver can forget to.

Refusals are recorded in ``api.denials`` for audit, once the operation has run."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from graphql import GraphQLError, GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from api.errors import NotAllowed
from api.rights import MASK, RIGHTS, Right, is_carried

log = logging.getLogger("siwei.api")

DENIALS_DDL = """
CREATE SCHEMA IF NOT EXISTS api;
CREATE TABLE IF NOT EXISTS api.denials (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    principal text NOT NULL,
    field text NOT NULL,
    compound_id uuid,
    needed text NOT NULL
);
"""


class PermissionDenied(GraphQLError):
    """A query field the principal may not use; its extensions name the right."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, extensions={"code": "NOT_ALLOWED", "right": field})


@dataclass(frozen=True)
class Denial:
    principal: str
    field: str
    compound_id: UUID | None
    needed: str


class EnforceRights(SchemaExtension):
    def resolve(self, _next: Any, root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any) -> Any:
        type_name = info.parent_type.name
        if type_name.startswith("__") or info.field_name.startswith("__") or is_carried(type_name):
            return _next(root, info, *args, **kwargs)
        key = f"{type_name}.{info.field_name}"
        right = RIGHTS.get(key)
        context = info.context
        if right is not None and right.masks:
            value = _next(root, info, *args, **kwargs)
            if right.allows(context.principal, context.reach, kwargs, root):
                return _shown(value, context)
            return _masked(value)
        if right is not None and right.allows(context.principal, context.reach, kwargs, root):
            return _next(root, info, *args, **kwargs)
        return self._refuse(info, key, right, kwargs, root)

    def _refuse(self, info: GraphQLResolveInfo, key: str, right: Right | None, arguments: dict,
                source: Any) -> Any:
        context = info.context
        needed = right.rule.name if right is not None else "a declared right (none is declared)"
        compound = right.compound(arguments, source) if right is not None else None
        context.denials.append(Denial(context.principal.spec, key, compound, needed))
        message = f"{context.principal.spec} may not use {key}"
        if compound is not None:
            message += f" for compound {compound}"
        message += f": it needs {needed}"
        log.warning("refused: %s", message)  # one line; the denial is also recorded in api.denials
        if info.parent_type.name == "Mutation":
            return NotAllowed(code="NOT_ALLOWED", message=message, right=key)
        raise PermissionDenied(message, key)

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if context.denials:
            async with context.read_models.connection() as conn:
                await conn.cursor().executemany(
                    "INSERT INTO api.denials (principal, field, compound_id, needed) VALUES (%s, %s, %s, %s)",
                    [(d.principal, d.field, d.compound_id, d.needed) for d in context.denials],
                )


async def _shown(value: Any, context: Any) -> Any:
    """Personal data for a principal entitled to it: sealed names opened."""
    return await context.shown(await value if inspect.isawaitable(value) else value)


def _masked(value: Any) -> Any:
    if inspect.isawaitable(value):
        async def later() -> Any:
            return _masked(await value)

        return later()
    if value is None or not isinstance(value, str):
        return None  # a masked number or date is left out
    return MASK
