"""The money a compound's decisions move and what they rest on: the property service contract and
its resolution, the owners' committee's terms, maintenance-fund spending authorised against
disbursed, and property fees billed against paid."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, handles
from services.common.published import PublishedEvent


class MoneyView(View):
    name = "money"
    tables = ("service_contracts", "committee_terms", "fund_uses", "fund_disbursements", "fund_shares",
              "fee_bills")

    @handles("owners_committee.ServiceContractRegistered")
    def contract_registered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO service_contracts (contract_id, compound_id, resolution_id, company_id, company_name,"
            " starts_on, ends_on, fee_per_m2, registered_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (d["contract_id"], event.compound_id, d["resolution_id"], d["company_id"], d["company_name"],
             d["starts_on"], d["ends_on"], d["fee_per_m2"], event.occurred_at))

    @handles("owners_committee.ServiceContractTerminated")
    def contract_terminated(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE service_contracts SET terminated_on = %s, dismissal_resolution_id = %s,"
                    " termination_reason = %s WHERE contract_id = %s",
                    (d["ends_on"], d["resolution_id"], d["reason"], d["contract_id"]))

    @handles("owners_committee.CommitteeElected")
    def committee_elected(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO committee_terms (compound_id, resolution_id, members, term_starts, term_ends,"
                    " elected_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.compound_id, d["resolution_id"], d["members"], d["term_starts"], d["term_ends"],
                     event.occurred_at))

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

    @handles("property.FeeBilled")
    def fee_billed(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO fee_bills (bill_id, compound_id, period, household, amount)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["period"], d["household"], d["amount"]))

    @handles("property.FeePaid")
    def fee_paid(self, cur: Cursor, event: PublishedEvent) -> None:
        # The reader applies each version of a bill once and in order.
        cur.execute("UPDATE fee_bills SET paid = paid + %s, payments = payments + 1 WHERE bill_id = %s",
                    (event.data["amount"], event.aggregate_id))
