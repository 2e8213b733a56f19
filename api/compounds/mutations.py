"""Mutations that register compounds and what they are made of."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import strawberry

from api.commands import CommandResult, perform
from api.context import Info


@strawberry.input
class RegisterCompoundInput:
    name: str
    district: str
    street: str
    community: str
    households: int
    residents: int


@strawberry.input
class EstablishBranchInput:
    compound_id: UUID
    name: str
    mode: str = strawberry.field(description="single 单独建, joint 联合建 or affiliated 挂靠建")


@strawberry.input
class RegisterExclusiveUnitInput:
    compound_id: UUID
    building: str
    unit: str
    exclusive_area: Decimal = strawberry.field(description="Registered exclusive area in m²")
    owner: str


@strawberry.type
class CompoundMutations:
    @strawberry.mutation(description="Registers a compound (小区), recorded by the residents' group.")
    async def register_compound(self, info: Info, input: RegisterCompoundInput) -> CommandResult:  # noqa: A002
        return await perform(
            info, info.context.services.residents.register_compound,
            name=input.name, district=input.district, street=input.street,
            community=input.community, households=input.households, residents=input.residents,
        )

    @strawberry.mutation(description="Establishes the party branch of a compound (建立党支部).")
    async def establish_branch(self, info: Info, input: EstablishBranchInput) -> CommandResult:  # noqa: A002
        return await perform(
            info, info.context.services.branch.establish_branch,
            compound_id=input.compound_id, name=input.name, mode=input.mode,
        )

    @strawberry.mutation(description="Registers an exclusive unit and its owner (业主登记).")
    async def register_exclusive_unit(
        self, info: Info, input: RegisterExclusiveUnitInput  # noqa: A002
    ) -> CommandResult:
        return await perform(
            info, info.context.services.owners_committee.register_exclusive_unit,
            compound_id=input.compound_id, building=input.building, unit=input.unit,
            exclusive_area=input.exclusive_area, owner=input.owner,
        )
