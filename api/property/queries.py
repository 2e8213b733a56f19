"""Queries over property companies."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.pagination import Connection, page
from api.property.types import PropertyCompany


@strawberry.type
class PropertyQueries:
    @strawberry.field(description="Property service companies, by name.")
    async def property_companies(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PropertyCompany]:
        return await page(info, table="property_companies", where=[], params=[],
                          key=("name", "company_id"), first=first, after=after,
                          node=PropertyCompany.from_row)
