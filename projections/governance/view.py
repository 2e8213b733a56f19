"""The shape of each compound's governance: which bodies it has (from each body's own events:
the branch leading it, the owners' committee in office, the company serving it), what is attached
to it, and the branch's people: members, committee, building groups, central households, and their
seats on the other bodies beside those bodies' own membership records."""

from __future__ import annotations

from psycopg import Cursor

from infra.database import array_literal
from projections.view import View, by_name, execute_rows, handles, handles_together
from services.common.published import PublishedEvent


def set_bodies(cur: Cursor, columns: dict[str, str], rows: list[tuple]) -> None:
    """Sets these columns (name: type) of each compound's row, made if it has none, to the values of
    its last row (the compound, then a value a column; an array's value as its ``array_literal``):
    one statement."""
    last = {row[0]: row for row in rows}
    names = ", ".join(columns)
    sent = ", ".join("%s::text[]" if kind.endswith("[]") else f"%s::{kind}[]" for kind in columns.values())
    execute_rows(cur, f"INSERT INTO compound_bodies (compound_id, {names})"  # noqa: S608 (our names)
                      f" SELECT compound_id, {', '.join(f'{n}::{t}' for n, t in columns.items())}"
                      f" FROM unnest(%s::uuid[], {sent}) AS r(compound_id, {names})"
                      f" ON CONFLICT (compound_id) DO UPDATE SET ({names}) = ROW({', '.join(f'EXCLUDED.{n}' for n in columns)})",
                 list(last.values()))


COMMITTEE = {"committee_members": "text[]", "committee_term_ends": "date", "committee_dissolved_on": "date"}
COMPANY = {"property_company_id": "uuid", "property_company_name": "text", "property_basis": "text",
           "property_since": "date", "property_fee_per_m2": "numeric"}


class GovernanceView(View):
    name = "governance"
    tables = ("compound_bodies", "property_services", "attached_bodies", "branches", "branch_members", "building_groups",
              "cross_appointments", "council_members")

    # -- most of the view's events, together ----------------------------------------------------------

    @handles_together("branch.BranchEstablished", "branch.BranchLeadsCompound", "branch.MemberReported",
                      "residents.CouncilMemberSeated", "owners_committee.CommitteeElected", "property.ServiceTakenUp")
    def formed(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Branches, members and council seats added, and which branch, committee and company a
        compound has: a statement for each over the batch. Each writes a table, or columns of
        ``compound_bodies``, that no other of them does; a row added is its event's own (kept
        once, the first), and a compound's columns take its last event's values, as one event
        after the other leaves them."""
        of = by_name(events)
        execute_rows(cur, "INSERT INTO branches (branch_id, compound_id, name, mode, affiliated_to, established_at)"
                          " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[],"
                          " %s::timestamptz[]) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["name"], e.data["mode"], e.data["affiliated_to"],
                       e.occurred_at) for e in of["BranchEstablished"]])
        execute_rows(cur, "INSERT INTO branch_members (member_id, branch_id, compound_id, name, building, kind,"
                          " organisation, reported_on, reported_event_id) SELECT * FROM unnest(%s::uuid[], %s::uuid[],"
                          " %s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], %s::date[], %s::uuid[])"
                          " ON CONFLICT DO NOTHING",
                     [(e.data["member_id"], e.aggregate_id, e.data["lives_in"], e.data["name"], e.data["building"],
                       e.data["kind"], e.data["organisation"], e.data["reported_on"], e.event_id)
                      for e in of["MemberReported"]])
        execute_rows(cur, "INSERT INTO council_members (compound_id, name, role, joined_on)"
                          " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::date[]) ON CONFLICT DO NOTHING",
                     [(e.compound_id, e.data["name"], e.data["role"], e.data["joined_on"])
                      for e in of["CouncilMemberSeated"]])
        set_bodies(cur, {"branch_id": "uuid"},
                   [(e.compound_id, e.data["branch_id"]) for e in of["BranchLeadsCompound"]])
        set_bodies(cur, COMMITTEE, [(e.compound_id, array_literal(e.data["members"]), e.data["term_ends"], None)
                                    for e in of["CommitteeElected"]])
        taken_up = of["ServiceTakenUp"]
        set_bodies(cur, COMPANY, [(e.compound_id, e.data["company_id"], e.data["company_name"], e.data["basis"],
                                   e.data["since"], e.data.get("fee_per_m2")) for e in taken_up])
        execute_rows(cur, "INSERT INTO property_services (event_id, compound_id, company_id, company_name, since)"
                          " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[], %s::date[])"
                          " ON CONFLICT DO NOTHING",
                     [(e.event_id, e.compound_id, e.data["company_id"], e.data["company_name"], e.data["since"])
                      for e in taken_up])

    # -- which bodies a compound has ---------------------------------------------------------------

    @handles("branch.BranchLeftCompound")
    def left(self, cur: Cursor, event: PublishedEvent) -> None:
        set_bodies(cur, {"branch_id": "uuid"}, [(event.compound_id, None)])

    @handles("owners_committee.CommitteeDissolved")
    def committee_dissolved(self, cur: Cursor, event: PublishedEvent) -> None:
        set_bodies(cur, {"committee_dissolved_on": "date"}, [(event.compound_id, event.data["dissolved_on"])])

    @handles("property.ServiceFeeDeclared")
    def service_fee_declared(self, cur: Cursor, event: PublishedEvent) -> None:
        set_bodies(cur, {"property_fee_per_m2": "numeric"}, [(event.compound_id, event.data["fee_per_m2"])])

    @handles("property.ServiceHandedOver")
    def service_handed_over(self, cur: Cursor, event: PublishedEvent) -> None:
        set_bodies(cur, COMPANY, [(event.compound_id, None, None, None, None, None)])
        cur.execute("UPDATE property_services SET until = %s WHERE compound_id = %s AND company_id = %s"
                    " AND until IS NULL", (event.data["until"], event.compound_id, event.data["company_id"]))

    @handles("branch.BodyAttached")
    def attached(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("INSERT INTO attached_bodies (compound_id, kind, name, attached_at) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (event.compound_id, event.data["kind"], event.data["name"], event.occurred_at))

    @handles("branch.BodyDetached")
    def detached(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("DELETE FROM attached_bodies WHERE compound_id = %s AND kind = %s AND name = %s",
                    (event.compound_id, event.data["kind"], event.data["name"]))

    # -- the branch and its people -----------------------------------------------------------------

    @handles("branch.BranchDissolved")
    def dissolved(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE branches SET dissolved_on = %s, dissolution_reason = %s WHERE branch_id = %s",
                    (event.data["dissolved_on"], event.data["reason"], event.aggregate_id))

    @handles("branch.BranchCommitteeChosen")
    def committee_chosen(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE branches SET secretary = %s, committee = %s WHERE branch_id = %s",
                    (event.data["secretary"], event.data["members"], event.aggregate_id))

    @handles("branch.MemberLeft")
    def member_left(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        # Leaving ends every role, as in the branch's own state.
        cur.execute("UPDATE branch_members SET left_on = %s, how_left = %s, destination = %s, group_id = NULL,"
                    " central_households = NULL WHERE member_id = %s",
                    (d["left_on"], d["how"], d["destination"], d["member_id"]))
        cur.execute("UPDATE branches SET committee = array_remove(committee, %s) WHERE branch_id = %s",
                    (d["member_id"], event.aggregate_id))
        cur.execute("UPDATE cross_appointments SET ended_on = %s WHERE member_id = %s AND ended_on IS NULL",
                    (d["left_on"], d["member_id"]))

    @handles("branch.BuildingGroupFormed")
    def group_formed(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO building_groups (group_id, branch_id, compound_id, building, leader, formed_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (d["group_id"], event.aggregate_id, d["group_compound"], d["building"], d["leader"],
                     event.occurred_at))
        cur.execute("UPDATE branch_members SET group_id = %s WHERE member_id = %s", (d["group_id"], d["leader"]))

    @handles("branch.MemberAssignedToGroup")
    def assigned(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE branch_members SET group_id = %s WHERE member_id = %s",
                    (event.data["group_id"], event.data["member_id"]))

    @handles("branch.CentralHouseholdDesignated")
    def central_household(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE branch_members SET central_households = %s WHERE member_id = %s",
                    (event.data["households"], event.data["member_id"]))

    @handles("branch.CrossAppointmentRecorded")
    def seat_recorded(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO cross_appointments (event_id, branch_id, member_id, seated_body, seat, since)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, event.aggregate_id, d["member_id"], d["seated_body"], d["seat"], d["since"]))

    @handles("branch.CrossAppointmentEnded")
    def seat_ended(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE cross_appointments SET ended_on = %s WHERE member_id = %s AND seated_body = %s"
                    " AND ended_on IS NULL", (d["ended_on"], d["member_id"], d["seated_body"]))

    # -- the residents' council ----------------------------------------------------------------------

    @handles("residents.CouncilMemberLeft")
    def council_left(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE council_members SET left_on = %s WHERE compound_id = %s AND name = %s AND left_on IS NULL",
                    (event.data["left_on"], event.compound_id, event.data["name"]))

