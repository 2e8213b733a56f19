"""Queries over cases."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from psycopg import sql

from api.cases.types import Case
from api.audit.schema import AsOf, travel
from api.context import Info
from api.pagination import Connection, equal, page
from projections.cases.view import OPEN_STATES

KEY = ("raised_at", "case_id")


def filters(category: str | None, state: str | None, overdue: bool | None,
            raised_since: datetime | None = None, raised_before: datetime | None = None) -> tuple[list, list]:
    where, params = equal(category=category, state=state)
    if raised_since is not None:
        where.append(sql.SQL("raised_at >= %s"))
        params.append(raised_since)
    if raised_before is not None:
        where.append(sql.SQL("raised_at < %s"))
        params.append(raised_before)
    if overdue is not None:
        late = sql.SQL("((state = ANY(%s) AND due_at < now()) OR resolved_at > due_at)")
        where.append(late if overdue else sql.SQL("NOT coalesce({}, false)").format(late))
        params.append(list(OPEN_STATES))
    return where, params


@strawberry.type
class CaseQueries:
    @strawberry.field(description="A compound's cases, oldest first; filter by category, state, "
                      "whether they are overdue, and the period they were raised in.")
    async def cases(
        self, info: Info, compound_id: UUID, category: str | None = None, state: str | None = None,
        overdue: bool | None = None, raised_since: datetime | None = None,
        raised_before: datetime | None = None, first: int | None = None, after: str | None = None,
    ) -> Connection[Case] | None:
        where, params = filters(category, state, overdue, raised_since, raised_before)
        return await page(info, table="cases", where=[sql.SQL("compound_id = %s"), *where],
                          params=[compound_id, *params], key=KEY, first=first, after=after,
                          node=Case.from_row)

    @strawberry.field(description="One case of a compound, or null.")
    async def case(self, info: Info, compound_id: UUID, id: UUID, as_of: AsOf = None) -> Case | None:  # noqa: A002
        if as_of is not None:
            await travel(info, compound_id, as_of)
        row = await info.context.row(
            "SELECT * FROM cases WHERE case_id = %s AND compound_id = %s AND raised_at IS NOT NULL", (id, compound_id))
        return Case.from_row(row) if row else None

    @strawberry.field(description="The cases the requesting resident raised.")
    async def my_cases(
        self, info: Info, state: str | None = None, first: int | None = None, after: str | None = None,
    ) -> Connection[Case] | None:
        where, params = filters(None, state, None)
        return await page(info, table="cases", where=[sql.SQL("raised_by = %s"), *where],
                          params=[info.context.principal.pseudonym, *params], key=KEY, first=first,
                          after=after, node=Case.from_row)
