"""Applies ``api.rights.RIGHTS`` to every field as it resolves, so no resolver can forget to.

Refusals are recorded in ``api.denials`` for audit, once the operation has run."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from graphql import GraphQLError, GraphQLResolveInfo, get_named_type
from strawberry.extensions import SchemaExtension

from api.errors import NotAllowed
from api.rights import MASK, RIGHTS, Right, is_carried
from services.common.personal import replaced

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
    """Each field: refused, or resolved with its personal data shown or masked.

    Sealed personal values (``services.common.personal``) may surface in any text: a field's own
    value, a timeline's detail, an event's data. A field opens them only if the rights table
    entitles the principal (``masks`` or ``opens``); everywhere else each one reads ``***``."""

    def resolve(self, _next: Any, root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any) -> Any:
        type_name = info.parent_type.name
        if type_name.startswith("__") or info.field_name.startswith("__") or is_carried(type_name):
            return _next(root, info, *args, **kwargs)
        key = f"{type_name}.{info.field_name}"
        right = RIGHTS.get(key)
        context = info.context
        if right is None or not (allowed := right.allows(context.principal, context.reach, kwargs, root)):
            if right is not None and right.masks:
                return _masked(_next(root, info, *args, **kwargs))
            return self._refuse(info, key, right, kwargs, root)
        value = _next(root, info, *args, **kwargs)
        if not _carries_text(key, info):
            return value
        if allowed and (right.masks or (right.opens is not None and right.opens.test(
                context.principal, right.compound(kwargs, root), context.reach, root))):
            return _shown(value, context, key, right.compound(kwargs, root))
        return _hidden(value)

    def _refuse(self, info: GraphQLResolveInfo, key: str, right: Right | None, arguments: dict,
                source: Any) -> Any:
        context = info.context
        needed = right.rule.name if right is not None else "a declared right (none is declared)"
        concerned = right.compound(arguments, source) if right is not None else None  # a compound, or a street
        compound = concerned if isinstance(concerned, UUID) else None
        context.denials.append(Denial(context.principal.logged, key, compound, needed))
        message = f"{context.principal.logged} may not use {key}"
        if concerned is not None:
            message += f" for compound {concerned}" if compound is not None else f" for {str(concerned)[:200]}"
        message += f": it needs {needed}"
        log.warning("refused: %s", message)  # one line; the denial is also recorded in api.denials
        if info.parent_type.name == "Mutation":
            return NotAllowed(code="NOT_ALLOWED", message=message, right=key)
        raise PermissionDenied(message, key)

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if context.access_log is not None:
            context.access_log.note(context.showings)
        if context.denials:
            async with context.read_models.connection() as conn:
                await conn.cursor().executemany(
                    "INSERT INTO api.denials (principal, field, compound_id, needed) VALUES (%s, %s, %s, %s)",
                    [(d.principal, d.field, d.compound_id, d.needed) for d in context.denials],
                )


_TEXTS: dict[str, bool] = {}  # "<Type>.<field>" -> whether it answers texts: the schema's, for every request


def _carries_text(key: str, info: GraphQLResolveInfo) -> bool:
    """Whether the field's values are texts (or JSON), where a sealed value could be."""
    found = _TEXTS.get(key)
    if found is None:
        found = _TEXTS[key] = get_named_type(info.return_type).name in ("String", "JSON")
    return found


async def _shown(value: Any, context: Any, field: str, compound_id: UUID | None) -> Any:
    """Personal data for a principal entitled to it: sealed values opened, each showing noted
    for the access log."""
    return await context.shown(await value if inspect.isawaitable(value) else value, field, compound_id)


def _hidden(value: Any) -> Any:
    """Sealed values in a field that does not open them: each one masked."""
    if inspect.isawaitable(value):
        async def later() -> Any:
            return _hidden(await value)

        return later()
    return replaced(value, lambda token: MASK)


def _masked(value: Any) -> Any:
    """A personal field for a principal not entitled to it: masked whole."""
    if inspect.isawaitable(value):
        async def later() -> Any:
            return _masked(await value)

        return later()
    if isinstance(value, dict):
        return replaced(value, lambda token: MASK)
    if value is None or not isinstance(value, str):
        return None  # a masked number, date or list is left out
    return MASK
