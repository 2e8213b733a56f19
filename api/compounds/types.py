"""Compounds as partners see them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from psycopg import sql

from api.context import Info
from api.pagination import Connection, page


@strawberry.type(description="The party branch of a compound (小区党支部).")
class Branch:
    compound_id: strawberry.Private[UUID]
    id: UUID
    name: str
    mode: str = strawberry.field(description="single 单独建, joint 联合建 or affiliated 挂靠建")
    established_at: datetime


@strawberry.type(description="An exclusive unit (专有部分) and its owner, in the owners' electorate.")
class ExclusiveUnit:
    compound_id: strawberry.Private[UUID]
    subject: strawberry.Private[str]  # the resident of the unit
    id: UUID
    building: str
    unit: str
    exclusive_area: Decimal
    owner: str
    registered_at: datetime

    @staticmethod
    def from_row(row: dict) -> ExclusiveUnit:
        return ExclusiveUnit(
            compound_id=row["compound_id"], subject=f"resident:{row['compound_id']}:{row['unit']}",
            id=row["unit_id"], building=row["building"], unit=row["unit"],
            exclusive_area=row["exclusive_area"], owner=row["owner"],
            registered_at=row["registered_at"],
        )


@strawberry.type(description="A residential compound (小区).")
class Compound:
    id: UUID
    name: str
    district: str
    street: str
    community: str
    households: int
    residents: int
    registered_at: datetime
    branch: Branch | None

    @property
    def compound_id(self) -> UUID:
        return self.id

    @strawberry.field(description="The exclusive units registered by the owners' committee: the "
                      "electorate, for the committee, the branch and auditors (null for others).")
    async def units(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ExclusiveUnit] | None:
        async with info.context.read_models.connection() as conn:
            return await page(
                conn, table="exclusive_units", where=[sql.SQL("compound_id = %s")],
                params=[self.id], key=("building", "unit"), first=first, after=after,
                node=ExclusiveUnit.from_row,
            )

    @staticmethod
    def from_row(row: dict) -> Compound:
        branch = None
        if row["branch_id"] is not None:
            branch = Branch(compound_id=row["compound_id"], id=row["branch_id"], name=row["branch_name"], mode=row["branch_mode"],
                            established_at=row["branch_established_at"])
        return Compound(
            id=row["compound_id"], name=row["name"], district=row["district"],
            street=row["street"], community=row["community"], households=row["households"],
            residents=row["residents"], registered_at=row["registered_at"], branch=branch,
        )

