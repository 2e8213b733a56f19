"""Queries over compounds."""

from __future__ import annotations

from uuid import UUID

import strawberry
from psycopg import sql

from api.compounds.types import Compound
from api.context import Info
from api.pagination import Connection, equal, page
from api.rights import EVERYWHERE

REGISTERED = sql.SQL("name IS NOT NULL")  # rows exist before registration when other bodies' events come first


@strawberry.type
class CompoundQueries:
    @strawberry.field(description="Compounds, by name; filter by district, street or community.")
    async def compounds(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        district: str | None = None,
        street: str | None = None,
        community: str | None = None,
    ) -> Connection[Compound]:
        where, params = equal(district=district, street=street, community=community)
        where.append(REGISTERED)
        if info.context.reach is not EVERYWHERE:  # only the compounds the principal reaches
            where.append(sql.SQL("compound_id = ANY(%s)"))
            params.append(list(info.context.reach))
        async with info.context.read_models.connection() as conn:
            return await page(conn, table="compounds", where=where, params=params,
                              key=("name", "compound_id"), first=first, after=after,
                              node=Compound.from_row)

    @strawberry.field(description="One compound, or null if there is none with that id.")
    async def compound(self, info: Info, id: UUID) -> Compound | None:  # noqa: A002
        row = await info.context.row(
            sql.SQL("SELECT * FROM compounds WHERE compound_id = %s AND {}").format(REGISTERED), (id,))
        return Compound.from_row(row) if row else None
