"""Queries over compounds."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

import strawberry
from psycopg import sql

from api.compounds.types import Compound
from api.audit.schema import AsOf, travel
from api.context import Info
from api.pagination import Connection, asked, page


@strawberry.enum(description="What a compound has and lacks of the four bodies.")
class Shape(Enum):
    FOUR_IN_ONE = "four_in_one"  # 四位一体
    TWO_NONE = "two_none"  # 双无小区: no property company, no owners' committee
    NO_BRANCH = "no_branch"
    NO_OWNERS_COMMITTEE = "no_owners_committee"
    NO_PROPERTY_COMPANY = "no_property_company"


# Each shape as a condition on ``compound_shapes``.
SHAPES = {
    Shape.FOUR_IN_ONE: sql.SQL("has_branch AND has_owners_committee AND has_property"),
    Shape.TWO_NONE: sql.SQL("NOT has_owners_committee AND NOT has_property"),
    Shape.NO_BRANCH: sql.SQL("NOT has_branch"),
    Shape.NO_OWNERS_COMMITTEE: sql.SQL("NOT has_owners_committee"),
    Shape.NO_PROPERTY_COMPANY: sql.SQL("NOT has_property"),
}

ONE = "SELECT * FROM compound_shapes WHERE compound_id = %s"
WITH_UNIT_COUNT = ("SELECT *, (SELECT count(*) FROM exclusive_units u WHERE u.compound_id = s.compound_id) AS unit_count"
                   " FROM compound_shapes s WHERE compound_id = %s")


@strawberry.type
class CompoundQueries:
    @strawberry.field(description="Compounds, by name; filter by district, street or community, and by shape.")
    async def compounds(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        district: str | None = None,
        street: str | None = None,
        community: str | None = None,
        shape: Shape | None = None,
    ) -> Connection[Compound]:
        where, params = info.context.within(district=district, street=street, community=community)
        if shape is not None:
            where.append(SHAPES[shape])
        return await page(info, table="compound_shapes", where=where, params=params,
                          key=("name", "compound_id"), first=first, after=after,
                          node=Compound.from_row)

    @strawberry.field(description="One compound, or null if there is none with that id.")
    async def compound(self, info: Info, id: UUID, as_of: AsOf = None) -> Compound | None:  # noqa: A002
        if as_of is not None:
            await travel(info, id, as_of)
        row = await info.context.row(WITH_UNIT_COUNT if "totalCount" in asked(info, "units") else ONE, (id,))
        return Compound.from_row(row) if row else None
