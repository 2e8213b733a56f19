"""The shape of each compound's governance: which bodies it has (from each body's own events:
the branch leading it, the owners' committee in office, the company serving it), what is attached
to it, and the branch's people: members, committee, building groups, central households, and their
seats on the other bodies beside those bodies' own membership records."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, handles
from services.common.published import PublishedEvent


def upsert_bodies(cur: Cursor, compound_id, **columns) -> None:
    names = list(columns)
    cur.execute(
        f"INSERT INTO compound_bodies (compound_id, {', '.join(names)}) VALUES (%s{', %s' * len(names)})"
        f" ON CONFLICT (compound_id) DO UPDATE SET {', '.join(f'{n} = EXCLUDED.{n}' for n in names)}",
        (compound_id, *columns.values()))


class GovernanceView(View):
    name = "governance"
    tables = ("compound_bodies", "property_services", "attached_bodies", "branches", "branch_members", "building_groups",
              "cross_appointments", "council_members")

    # -- which bodies a compound has ---------------------------------------------------------------

    @handles("branch.BranchLeadsCompound")
    def led(self, cur: Cursor, event: PublishedEvent) -> None:
        upsert_bodies(cur, event.compound_id, branch_id=event.data["branch_id"])

    @handles("branch.BranchLeftCompound")
    def left(self, cur: Cursor, event: PublishedEvent) -> None:
        upsert_bodies(cur, event.compound_id, branch_id=None)

    @handles("owners_committee.CommitteeElected")
    def committee_elected(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        upsert_bodies(cur, event.compound_id, committee_members=d["members"], committee_term_ends=d["term_ends"],
                      committee_dissolved_on=None)

    @handles("owners_committee.CommitteeDissolved")
    def committee_dissolved(self, cur: Cursor, event: PublishedEvent) -> None:
        upsert_bodies(cur, event.compound_id, committee_dissolved_on=event.data["dissolved_on"])

    @handles("property.ServiceTakenUp")
    def service_taken_up(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        upsert_bodies(cur, event.compound_id, property_company_id=d["company_id"],
                      property_company_name=d["company_name"], property_basis=d["basis"], property_since=d["since"],
                      property_fee_per_m2=d.get("fee_per_m2"))
        cur.execute("INSERT INTO property_services (event_id, compound_id, company_id, company_name, since)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, event.compound_id, d["company_id"], d["company_name"], d["since"]))

    @handles("property.ServiceFeeDeclared")
    def service_fee_declared(self, cur: Cursor, event: PublishedEvent) -> None:
        upsert_bodies(cur, event.compound_id, property_fee_per_m2=event.data["fee_per_m2"])

    @handles("property.ServiceHandedOver")
    def service_handed_over(self, cur: Cursor, event: PublishedEvent) -> None:
        upsert_bodies(cur, event.compound_id, property_company_id=None, property_company_name=None,
                      property_basis=None, property_since=None, property_fee_per_m2=None)
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

    @handles("branch.BranchEstablished")
    def established(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO branches (branch_id, compound_id, name, mode, affiliated_to, established_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["name"], d["mode"], d["affiliated_to"],
                     event.occurred_at))

    @handles("branch.BranchDissolved")
    def dissolved(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE branches SET dissolved_on = %s, dissolution_reason = %s WHERE branch_id = %s",
                    (event.data["dissolved_on"], event.data["reason"], event.aggregate_id))

    @handles("branch.BranchCommitteeChosen")
    def committee_chosen(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE branches SET secretary = %s, committee = %s WHERE branch_id = %s",
                    (event.data["secretary"], event.data["members"], event.aggregate_id))

    @handles("branch.MemberReported")
    def member_reported(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO branch_members (member_id, branch_id, compound_id, name, building, kind, organisation,"
            " reported_on, reported_event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (d["member_id"], event.aggregate_id, d["lives_in"], d["name"], d["building"], d["kind"],
             d["organisation"], d["reported_on"], event.event_id))

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

    @handles("residents.CouncilMemberSeated")
    def council_seated(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO council_members (compound_id, name, role, joined_on) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING", (event.compound_id, d["name"], d["role"], d["joined_on"]))

    @handles("residents.CouncilMemberLeft")
    def council_left(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE council_members SET left_on = %s WHERE compound_id = %s AND name = %s AND left_on IS NULL",
                    (event.data["left_on"], event.compound_id, event.data["name"]))
