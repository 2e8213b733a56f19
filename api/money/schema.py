"""Money and what it rests on, over GraphQL: the property service contract and its resolution, the
owners' committee's term, maintenance-fund spending authorised against disbursed, fee collection."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from api.commands import recording
from api.context import Info, reading_now
from services.common.context import china_date
from services.common.personal import resident_actor


@strawberry.type(description="A property service contract (物业服务合同), on the resolution that hired the company.")
class ServiceContract:
    compound_id: UUID
    id: UUID
    resolution_id: UUID = strawberry.field(description="The passed vote of the owners' assembly it rests on")
    company_id: UUID
    company_name: str
    starts_on: date
    ends_on: date
    fee_per_m2: Decimal = strawberry.field(description="Fee standard, yuan per m² per month")
    registered_at: datetime
    terminated_on: date | None
    dismissal_resolution_id: UUID | None
    termination_reason: str | None
    active: bool

    @staticmethod
    def from_row(row: dict, on: date) -> ServiceContract:
        active = row["terminated_on"] is None and row["starts_on"] <= on <= row["ends_on"]
        return ServiceContract(id=row["contract_id"], active=active, **{
            k: v for k, v in row.items() if k in ServiceContract.__annotations__})


@strawberry.type(description="A term of the owners' committee, on the election that made it.")
class CommitteeTerm:
    compound_id: UUID
    resolution_id: UUID
    members: list[str]
    term_starts: date
    term_ends: date
    expired: bool


@strawberry.type(description="One unit's share of a disbursement, by its exclusive area among the bearers'.")
class DisbursementShare:
    compound_id: strawberry.Private[UUID]
    subject: strawberry.Private[str]  # the resident of the unit, as their events name them
    building: str | None = strawberry.field(description="Personal data")
    unit: str | None = strawberry.field(description="Personal data: the unit, within its building")
    owner: str | None = strawberry.field(description="Personal data")
    area: Decimal | None = strawberry.field(description="Personal data: the unit's exclusive area, m², as "
                                            "registered when paid")
    share: Decimal | None = strawberry.field(description="Personal data, in yuan: rounded down to the fen, the fen "
                                             "left over going to the largest remainders, so that the shares add "
                                             "up to the amount")


@strawberry.type(description="What the units of one building bear of a disbursement, together.")
class BuildingShare:
    compound_id: strawberry.Private[UUID]
    building: str
    units: int
    area: Decimal
    share: Decimal


@strawberry.type(description="A payment out of authorised fund spending, and who bears it.")
class Disbursement:
    compound_id: strawberry.Private[UUID]
    use_id: strawberry.Private[UUID]
    version: strawberry.Private[int]
    amount: Decimal
    payee: str
    paid_on: date
    borne_by: list[str] | None = strawberry.field(
        description="The buildings whose owners bear it; empty: the whole compound; null: recorded without shares")

    @strawberry.field(description="Each building's part of the amount.")
    async def by_building(self, info: Info) -> list[BuildingShare]:
        rows = await info.context.rows(
            "SELECT building, count(*) AS units, sum(area) AS area, sum(share) AS share FROM fund_shares"
            " WHERE use_id = %s AND version = %s GROUP BY building ORDER BY min(position)",
            (self.use_id, self.version))
        return [BuildingShare(compound_id=self.compound_id, **row) for row in rows]

    @strawberry.field(description="Each unit's share, in the order of the register: the owners' committee and "
                      "auditors read them all; a resident, the shares of their own unit (the others masked).")
    async def shares(self, info: Info) -> list[DisbursementShare]:
        rows = await info.context.rows(
            "SELECT * FROM fund_shares WHERE use_id = %s AND version = %s ORDER BY position",
            (self.use_id, self.version))
        return [DisbursementShare(compound_id=r["compound_id"], subject=resident_actor(r["compound_id"], r["unit"]),
                                  building=r["building"], unit=r["unit"], owner=r["owner"], area=r["area"],
                                  share=r["share"]) for r in rows]


@strawberry.type(description="Maintenance-fund spending authorised by one resolution, and disbursed against it.")
class FundUse:
    compound_id: strawberry.Private[UUID]
    use_id: strawberry.Private[UUID]
    resolution_id: UUID
    purpose: str
    authorised: Decimal
    disbursed: Decimal
    remaining: Decimal

    @strawberry.field(description="Every disbursement, in the order paid.")
    async def disbursements(self, info: Info) -> list[Disbursement]:
        rows = await info.context.rows(
            "SELECT * FROM fund_disbursements WHERE use_id = %s ORDER BY version", (self.use_id,))
        return [Disbursement(compound_id=r["compound_id"], use_id=r["use_id"], version=r["version"],
                             amount=r["amount"], payee=r["payee"], paid_on=r["paid_on"], borne_by=r["borne_by"])
                for r in rows]


@strawberry.type(description="A compound's maintenance fund: authorised against disbursed, in yuan.")
class MaintenanceFund:
    compound_id: UUID
    authorised: Decimal
    disbursed: Decimal
    remaining: Decimal
    uses: list[FundUse]


@strawberry.type(description="Property fees of one period: billed against paid (收缴率).")
class FeeCollection:
    compound_id: UUID
    period: str
    households_billed: int
    households_paid: int = strawberry.field(description="Households that paid their bill in full")
    billed: Decimal
    paid: Decimal
    collection_rate: float | None = strawberry.field(description="Paid over billed, by amount")


@strawberry.type
class MoneyQueries:
    @strawberry.field(description="A compound's property service contracts, the latest first.")
    async def service_contracts(self, info: Info, compound_id: UUID) -> list[ServiceContract] | None:
        rows = await info.context.rows("SELECT * FROM service_contracts WHERE compound_id = %s"
                                        " ORDER BY registered_at DESC", (compound_id,))
        on = _today()
        return [ServiceContract.from_row(row, on) for row in rows]

    @strawberry.field(description="The owners' committee's terms, the latest first; whether each has expired.")
    async def committee_terms(self, info: Info, compound_id: UUID) -> list[CommitteeTerm] | None:
        rows = await info.context.rows("SELECT * FROM committee_terms WHERE compound_id = %s"
                                        " ORDER BY elected_at DESC", (compound_id,))
        on = _today()
        return [CommitteeTerm(compound_id=r["compound_id"], resolution_id=r["resolution_id"], members=r["members"],
                              term_starts=r["term_starts"], term_ends=r["term_ends"], expired=r["term_ends"] < on)
                for r in rows]

    @strawberry.field(description="The maintenance fund: what resolutions authorised and what was paid out.")
    async def maintenance_fund(self, info: Info, compound_id: UUID) -> MaintenanceFund | None:
        rows = await info.context.rows(
            "SELECT u.*, coalesce((SELECT sum(amount) FROM fund_disbursements d WHERE d.use_id = u.use_id), 0)"
            " AS disbursed FROM fund_uses u WHERE compound_id = %s ORDER BY authorised_at",
            (compound_id,))
        uses = [FundUse(compound_id=r["compound_id"], use_id=r["use_id"], resolution_id=r["resolution_id"],
                        purpose=r["purpose"],
                        authorised=r["authorised"], disbursed=r["disbursed"],
                        remaining=r["authorised"] - r["disbursed"]) for r in rows]
        authorised = sum((u.authorised for u in uses), Decimal(0))
        disbursed = sum((u.disbursed for u in uses), Decimal(0))
        return MaintenanceFund(compound_id=compound_id, authorised=authorised, disbursed=disbursed,
                               remaining=authorised - disbursed, uses=uses)

    @strawberry.field(description="Fee collection by period, the latest first.")
    async def fee_collection(self, info: Info, compound_id: UUID, period: str | None = None) -> list[FeeCollection] | None:
        rows = await info.context.rows(
            "SELECT period, count(*) AS households_billed, count(*) FILTER (WHERE paid = amount)"
            " AS households_paid, sum(amount) AS billed, sum(paid) AS paid FROM fee_bills"
            " WHERE compound_id = %s AND (%s::text IS NULL OR period = %s) GROUP BY period ORDER BY period DESC",
            (compound_id, period, period))
        return [FeeCollection(compound_id=compound_id, collection_rate=float(r["paid"] / r["billed"])
                              if r["billed"] else None, **r) for r in rows]


def _today() -> date:
    return china_date(reading_now())


@strawberry.input
class RegisterContractInput:
    compound_id: UUID
    resolution_id: UUID = strawberry.field(description="The passed vote hiring the company")
    starts_on: date
    ends_on: date
    fee_per_m2: Decimal


@strawberry.input
class DismissCompanyInput:
    compound_id: UUID
    resolution_id: UUID = strawberry.field(description="The passed vote dismissing the company")
    ends_on: date
    reason: str


@strawberry.input
class CommitteeElectionInput:
    compound_id: UUID
    resolution_id: UUID = strawberry.field(description="The passed election; its candidates are the members")
    term_starts: date
    term_ends: date


@strawberry.input
class AuthoriseFundUseInput:
    compound_id: UUID
    resolution_id: UUID = strawberry.field(description="The passed vote to use maintenance funds")
    purpose: str


@strawberry.input
class DisburseFundInput:
    compound_id: UUID
    resolution_id: UUID
    amount: Decimal
    payee: str
    paid_on: date
    borne_by: list[str] = strawberry.field(default_factory=list, description="The buildings whose owners bear "
                                           "it, by exclusive area; none: the owners of the whole compound")


@strawberry.input
class BillFeeInput:
    compound_id: UUID
    period: str = strawberry.field(description="2026, 2026-Q3 or 2026-07")
    household: str = strawberry.field(description="The unit of the register of owners: <building>-<unit>")
    amount: Decimal = strawberry.field(description="The unit's exclusive area × the fee per m² a month of the "
                                       "contract (or declared basis) × the period's months, rounded half up")


@strawberry.input
class FeePaymentInput:
    compound_id: UUID
    period: str
    household: str
    amount: Decimal
    paid_on: date


@strawberry.type
class MoneyMutations:
    register_service_contract = recording("owners_committee", "register_contract", RegisterContractInput,
                                          "The owners' committee registers the contract with the company hired.")
    dismiss_property_company = recording("owners_committee", "dismiss_company", DismissCompanyInput,
                                         "Ends the active contract on a passed dismissal (解聘).")
    record_committee_election = recording("owners_committee", "record_committee_election", CommitteeElectionInput,
                                          "Records the committee a passed election made, and its term.")
    authorise_fund_use = recording("owners_committee", "authorise_fund_use", AuthoriseFundUseInput,
                                   "Authorises maintenance-fund spending on a passed resolution to use it.")
    disburse_fund = recording("owners_committee", "disburse_fund", DisburseFundInput,
                              "Records a disbursement against authorised fund spending.")
    bill_fee = recording("property", "bill_fee", BillFeeInput,
                         "The property company bills a household for a period.")
    record_fee_payment = recording("property", "record_fee_payment", FeePaymentInput,
                                   "The property company records a household's payment.")
