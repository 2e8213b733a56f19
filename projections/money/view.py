"""The money a compound's decisions move and what they rest on: the property service contract and
its resolution, the owners' committee's terms, maintenance-fund spending authorised against
disbursed, and property fees billed against paid."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from psycopg import Cursor

from infra.database import array_literal
from projections.view import View, by_name, execute_rows, handles, handles_together
from services.common.published import PublishedEvent


class MoneyView(View):
    name = "money"
    tables = ("service_contracts", "committee_terms", "fund_uses", "fund_disbursements", "fund_shares",
              "fee_bills")

    @handles_together("owners_committee.CommitteeElected", "owners_committee.ServiceContractRegistered")
    def terms(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """The committees' terms and the service contracts: each event adds its own row (kept once,
        the first), a statement for each table over the batch."""
        of = by_name(events)
        execute_rows(cur, "INSERT INTO committee_terms (compound_id, resolution_id, members, term_starts, term_ends,"
                          " elected_at) SELECT compound_id, resolution_id, members::text[], term_starts, term_ends,"
                          " elected_at FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::date[], %s::date[],"
                          " %s::timestamptz[]) AS r(compound_id, resolution_id, members, term_starts, term_ends,"
                          " elected_at) ON CONFLICT DO NOTHING",
                     [(e.compound_id, e.data["resolution_id"], array_literal(e.data["members"]), e.data["term_starts"],
                       e.data["term_ends"], e.occurred_at) for e in of["CommitteeElected"]])
        execute_rows(cur, "INSERT INTO service_contracts (contract_id, compound_id, resolution_id, company_id,"
                          " company_name, starts_on, ends_on, fee_per_m2, registered_at) SELECT * FROM unnest("
                          "%s::uuid[], %s::uuid[], %s::uuid[], %s::uuid[], %s::text[], %s::date[], %s::date[],"
                          " %s::numeric[], %s::timestamptz[]) ON CONFLICT DO NOTHING",
                     [(e.data["contract_id"], e.compound_id, e.data["resolution_id"], e.data["company_id"],
                       e.data["company_name"], e.data["starts_on"], e.data["ends_on"], e.data["fee_per_m2"],
                       e.occurred_at) for e in of["ServiceContractRegistered"]])

    @handles("owners_committee.ServiceContractTerminated")
    def contract_terminated(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE service_contracts SET terminated_on = %s, dismissal_resolution_id = %s,"
                    " termination_reason = %s WHERE contract_id = %s",
                    (d["ends_on"], d["resolution_id"], d["reason"], d["contract_id"]))

    @handles("owners_committee.FundUseAuthorised")
    def fund_use_authorised(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO fund_uses (use_id, compound_id, resolution_id, authorised, purpose,"
                    " authorised_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["resolution_id"], d["amount"], d["purpose"],
                     event.occurred_at))

    @handles("owners_committee.FundDisbursed")
    def fund_disbursed(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO fund_disbursements (use_id, version, compound_id, amount, payee, paid_on,"
                    " borne_by) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.aggregate_version, event.compound_id, d["amount"], d["payee"],
                     d["paid_on"], d.get("borne_by")))
        shares = zip(d.get("buildings") or (), d.get("units") or (), d.get("owners") or (), d.get("areas") or (),
                     d.get("shares") or (), strict=True)
        cur.executemany("INSERT INTO fund_shares (use_id, version, position, compound_id, building, unit, owner,"
                        " area, share) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        [(event.aggregate_id, event.aggregate_version, n, event.compound_id, *share)
                         for n, share in enumerate(shares)])

    @handles_together("property.FeeBilled", "property.FeePaid")
    def fees(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Bills and payments (most of the money's events): the bills' rows in one statement, then
        each bill's payments added in one. A bill's payments come after its bill (one aggregate's
        versions, in order), and adding them up is what adding them one after the other leaves."""
        execute_rows(cur, "INSERT INTO fee_bills (bill_id, compound_id, period, household, amount)"
                     " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::numeric[])"
                     " ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["period"], e.data["household"], e.data["amount"])
                      for e in events if e.name == "FeeBilled"])
        paid: dict[UUID, tuple[Decimal, int]] = {}
        for event in events:
            if event.name == "FeePaid":
                amount, payments = paid.get(event.aggregate_id, (Decimal(0), 0))
                paid[event.aggregate_id] = (amount + event.data["amount"], payments + 1)
        execute_rows(cur, "UPDATE fee_bills SET paid = fee_bills.paid + r.amount,"
                     " payments = fee_bills.payments + r.count"
                     " FROM unnest(%s::uuid[], %s::numeric[], %s::integer[]) AS r(bill_id, amount, count)"
                     " WHERE fee_bills.bill_id = r.bill_id",
                     [(bill, amount, payments) for bill, (amount, payments) in paid.items()])
