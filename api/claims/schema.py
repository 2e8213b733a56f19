"""Claims (认领) over GraphQL: public lists, the branch's steps."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from psycopg import sql

from api.commands import recording
from api.context import Info
from api.pagination import Connection, equal, page


@strawberry.type(description="A social organisation or business registered to claim in a compound.")
class Organisation:
    compound_id: UUID
    id: UUID
    name: str
    kind: str = strawberry.field(description="social_organisation, business, resident_unit, "
                                 "unit_party_organisation, volunteer_group or other")
    registered_at: datetime

    @staticmethod
    def from_row(row: dict) -> Organisation:
        return Organisation(compound_id=row["compound_id"], id=row["organisation_id"], name=row["name"],
                            kind=row["kind"], registered_at=row["registered_at"])


@strawberry.type(description="A need or small project the branch published for others to claim.")
class Claim:
    compound_id: UUID
    id: UUID
    title: str
    description: str
    kind: str = strawberry.field(description="need or project")
    state: str = strawberry.field(description="published, claimed or solved")
    published_at: datetime
    organisation: str | None
    organisation_kind: str | None
    claimed_at: datetime | None
    report: str | None
    solved_at: datetime | None

    @staticmethod
    def from_row(row: dict) -> Claim:
        return Claim(compound_id=row["compound_id"], id=row["claim_id"], title=row["title"],
                     description=row["description"], kind=row["kind"], state=row["state"],
                     published_at=row["published_at"], organisation=row["organisation"],
                     organisation_kind=row["organisation_kind"], claimed_at=row["claimed_at"],
                     report=row["report"], solved_at=row["solved_at"])


@strawberry.type
class ClaimQueries:
    @strawberry.field(description="What a compound's branch published for claiming, oldest first.")
    async def claims(self, info: Info, compound_id: UUID, state: str | None = None,
                     first: int | None = None, after: str | None = None) -> Connection[Claim] | None:
        where, params = equal(compound_id=compound_id, state=state)
        return await page(info, table="claims", where=where, params=params,
                          key=("published_at", "claim_id"), first=first, after=after, node=Claim.from_row)

    @strawberry.field(description="The organisations registered to claim in a compound.")
    async def organisations(self, info: Info, compound_id: UUID, first: int | None = None,
                            after: str | None = None) -> Connection[Organisation] | None:
        return await page(info, table="organisations", where=[sql.SQL("compound_id = %s")],
                          params=[compound_id], key=("name", "organisation_id"), first=first,
                          after=after, node=Organisation.from_row)


@strawberry.input
class RegisterOrganisationInput:
    compound_id: UUID
    name: str
    kind: str


@strawberry.input
class PublishClaimableInput:
    compound_id: UUID
    title: str
    description: str
    kind: str = strawberry.field(description="need or project")


@strawberry.input
class RecordClaimInput:
    compound_id: UUID
    claimable_id: UUID
    organisation_id: UUID


@strawberry.input
class RecordClaimSolvedInput:
    compound_id: UUID
    claimable_id: UUID
    report: str


@strawberry.type
class ClaimMutations:
    register_organisation = recording("branch", "register_organisation", RegisterOrganisationInput,
                                      "The branch registers an organisation that may claim.")
    publish_claimable = recording("branch", "publish_claimable", PublishClaimableInput,
                                  "The branch publishes a need or project for claiming.")
    record_claim = recording("branch", "record_claim", RecordClaimInput,
                             "An organisation's claim, as the branch records it.")
    record_claim_solved = recording("branch", "record_claim_solved", RecordClaimSolvedInput,
                                    "The claiming organisation's report that it is solved.")
