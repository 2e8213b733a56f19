"""Votes of the owners' assembly: the frozen electorate, every ballot and correction, and the
count the owners' committee published last, with the rule applied and why it passed or failed."""

from __future__ import annotations

from decimal import Decimal

from psycopg import Cursor

from projections.view import View, handles
from services.common.published import PublishedEvent

COUNT_FIELDS = ("voted_area", "voted_owners", "yes_area", "yes_owners", "no_area", "no_owners",
                "abstain_area", "abstain_owners", "valid", "passed", "reason")


class AssemblyView(View):
    name = "assembly"
    tables = ("assembly_votes", "vote_electors", "ballots")

    @handles("owners_committee.AssemblyVoteOpened")
    def opened(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        electors: dict[str, tuple[list[str], Decimal]] = {}
        for unit, owner, area in zip(d["units"], d["unit_owners"], d["unit_areas"], strict=True):
            units, total = electors.get(owner, ([], Decimal(0)))
            electors[owner] = ([*units, unit], total + area)
        cur.execute(
            "INSERT INTO assembly_votes (vote_id, compound_id, matter, majority, title, description,"
            " closes_on, amount, company_id, candidates, state, opened_at, total_area, total_owners)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.aggregate_id, event.compound_id, d["matter"], d["majority"], d["title"], d["description"],
             d["closes_on"], d["amount"], d["company_id"], d["candidates"], event.occurred_at,
             sum(area for _, area in electors.values()), len(electors)))
        cur.executemany(
            "INSERT INTO vote_electors (vote_id, position, compound_id, owner, units, area)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(event.aggregate_id, n, event.compound_id, owner, "、".join(units), area)
             for n, (owner, (units, area)) in enumerate(electors.items())])

    @handles("owners_committee.BallotCast", "owners_committee.BallotCorrected")
    def ballot(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        corrected = event.name == "BallotCorrected"
        cur.execute(
            "INSERT INTO ballots (receipt, vote_id, version, compound_id, owner, area, choice, channel, kind,"
            " reason, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (d["receipt"], event.aggregate_id, event.aggregate_version, event.compound_id, d["owner"],
             d["area"], d["choice"], "paper" if corrected else d["channel"],
             d["kind"] if corrected else "cast", d.get("reason"), event.occurred_at))
        if corrected:
            cur.execute("UPDATE assembly_votes SET corrections ="
                        " (SELECT count(*) FROM ballots WHERE vote_id = %s AND kind <> 'cast')"
                        " WHERE vote_id = %s", (event.aggregate_id, event.aggregate_id))

    @handles("owners_committee.AssemblyVoteClosed")
    def closed(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE assembly_votes SET state = 'closed', closed_at = %s WHERE vote_id = %s",
                    (event.occurred_at, event.aggregate_id))

    @handles("owners_committee.AssemblyVoteCounted")
    def counted(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        assignments = ", ".join(f"{f} = %s" for f in COUNT_FIELDS)
        cur.execute(
            f"UPDATE assembly_votes SET {assignments}, counted_at = %s, count_occasion = %s"  # noqa: S608
            " WHERE vote_id = %s",
            (*(d[f] for f in COUNT_FIELDS), event.occurred_at, d["occasion"], event.aggregate_id))
