"""Claims (认领): what the branch published, who claimed it, what was solved. One aggregate's
events keep their order on one partition, so each step simply updates its row."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, handles
from services.common.published import PublishedEvent


class ClaimsView(View):
    name = "claims"
    tables = ("organisations", "claims")

    @handles("branch.OrganisationRegistered")
    def organisation_registered(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute(
            "INSERT INTO organisations (organisation_id, compound_id, name, kind, registered_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.aggregate_id, event.compound_id, event.data["name"], event.data["kind"], event.occurred_at))

    @handles("branch.ClaimablePublished")
    def published(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO claims (claim_id, compound_id, title, description, kind, state, published_at)"
            " VALUES (%s, %s, %s, %s, %s, 'published', %s) ON CONFLICT DO NOTHING",
            (event.aggregate_id, event.compound_id, d["title"], d["description"], d["kind"], event.occurred_at))

    @handles("branch.ClaimTaken")
    def claimed(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "UPDATE claims SET state = 'claimed', organisation_id = %s, organisation = %s,"
            " organisation_kind = %s, claimed_at = %s WHERE claim_id = %s",
            (d["organisation_id"], d["organisation"], d["organisation_kind"], event.occurred_at,
             event.aggregate_id))

    @handles("branch.ClaimSolved")
    def solved(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE claims SET state = 'solved', report = %s, solved_at = %s WHERE claim_id = %s",
                    (event.data["report"], event.occurred_at, event.aggregate_id))
