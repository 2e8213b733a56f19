"""Mutations that register compounds and what they are made of."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import strawberry

from api.commands import recording


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
    affiliated_to: str | None = strawberry.field(default=None, description="For 挂靠建: the organisation")
    joint_with: list[UUID] = strawberry.field(default_factory=list,
                                              description="For 联合建: the neighbouring compounds it also leads")


@strawberry.input
class RegisterExclusiveUnitInput:
    compound_id: UUID
    building: str
    unit: str
    exclusive_area: Decimal = strawberry.field(description="Registered exclusive area in m²")
    owner: str


@strawberry.type
class CompoundMutations:
    register_compound = recording("residents", "register_compound", RegisterCompoundInput,
                                  "Registers a compound (小区), recorded by the residents' group.")
    establish_branch = recording("branch", "establish_branch", EstablishBranchInput,
                                 "Establishes the party branch of a compound (建立党支部).")
    register_exclusive_unit = recording("owners_committee", "register_exclusive_unit", RegisterExclusiveUnitInput,
                                        "Registers an exclusive unit and its owner (业主登记).")
