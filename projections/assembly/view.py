"""Votes of the owners' assembly: the frozen electorate with each owner's ballot delivery, every
ballot and correction, objections and their answers, the stage (open, preliminary, final), and the
count the owners' committee published last, with the rule applied and why it passed or failed."""

from __future__ import annotations

from decimal import Decimal

from psycopg import Cursor

from projections.view import View, execute_rows, handles_together
from services.common.published import PublishedEvent

BALLOTS = ("BallotCast", "BallotCorrected")
COUNT_FIELDS = ("voted_area", "voted_owners", "yes_area", "yes_owners", "no_area", "no_owners",
                "abstain_area", "abstain_owners", "valid", "passed", "reason")


def detail_of(event: PublishedEvent) -> str:
    """What a vote's timeline shows of a step (owners' names sealed, opened for those entitled)."""
    d = event.data
    match event.name:
        case "AssemblyVoteOpened":
            return (f"{d['matter']} opened: {len(set(d['unit_owners']))} owners, {sum(d['unit_areas'])} m²; "
                    f"voting until {d['closes_on']}" + (f", notice until {d['notice_ends']}" if d.get("notice_ends")
                                                        else ""))
        case "BallotDelivered":
            return f"{d['owner']}'s ballot delivered ({d['method']}) on {d['delivered_on']} to {d['recipient']}"
        case "BallotCast":
            return f"{d['owner']} voted ({d['channel']})"
        case "AssemblyVoteClosed" if d.get("objections_end"):
            return (f"closed: the preliminary count is publicised, objections until {d['objections_end']}; "
                    f"{d['unreached_owners']} owners not reached")
        case "AssemblyVoteClosed":
            return "closed"
        case "AssemblyVoteCounted":
            return f"count ({d['occasion']}): {d['reason']}"
        case "VoteObjectionLodged":
            return f"objection {d['number']} by {d['owner']} on {d['lodged_on']}: {d['objection']}"
        case "VoteObjectionAnswered":
            return f"objection {d['number']} {'upheld' if d['upheld'] else 'rejected'}: {d['reason']}"
        case "BallotCorrected":
            return f"{d['owner']}'s ballot corrected ({d['kind']}): {d['reason']}"
        case "AssemblyVoteFinalised":
            return f"final, {d['objections']} objections answered"
    return ""


class AssemblyView(View):
    name = "assembly"
    tables = ("assembly_votes", "vote_electors", "ballots", "vote_objections", "vote_steps")

    @handles_together(*(f"owners_committee.{name}" for name in (
        "AssemblyVoteOpened", "BallotDelivered", "BallotCast", "AssemblyVoteClosed", "AssemblyVoteCounted",
        "VoteObjectionLodged", "VoteObjectionAnswered", "BallotCorrected", "AssemblyVoteFinalised")))
    def steps(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Steps of votes: the timeline and the ballots (most of a vote's events) a statement each,
        the rest one after the other. Nothing of a vote's row depends on its ballots but the
        corrections' count, set once the ballots are in."""
        execute_rows(cur, "INSERT INTO vote_steps (vote_id, version, compound_id, at, step, detail)"
                     " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::uuid[], %s::timestamptz[], %s::text[],"
                     " %s::text[]) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.aggregate_version, e.compound_id, e.occurred_at, e.name, detail_of(e))
                      for e in events])
        ballots = [e for e in events if e.name in BALLOTS]
        for event in events:
            if event.name not in BALLOTS:
                {"AssemblyVoteOpened": self.opened, "BallotDelivered": self.delivered,
                 "AssemblyVoteClosed": self.closed, "AssemblyVoteCounted": self.counted,
                 "VoteObjectionLodged": self.objection_lodged, "VoteObjectionAnswered": self.objection_answered,
                 "AssemblyVoteFinalised": self.finalised}[event.name](cur, event)
        execute_rows(cur, "INSERT INTO ballots (receipt, vote_id, version, compound_id, owner, area, choice, channel,"
                     " kind, reason, at) SELECT * FROM unnest(%s::text[], %s::uuid[], %s::bigint[], %s::uuid[],"
                     " %s::text[], %s::numeric[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[])"
                     " ON CONFLICT DO NOTHING",
                     [(e.data["receipt"], e.aggregate_id, e.aggregate_version, e.compound_id, e.data["owner"],
                       e.data["area"], e.data["choice"], "paper" if e.name == "BallotCorrected" else e.data["channel"],
                       e.data["kind"] if e.name == "BallotCorrected" else "cast", e.data.get("reason"), e.occurred_at)
                      for e in ballots])
        execute_rows(cur, "UPDATE assembly_votes SET corrections ="
                     " (SELECT count(*) FROM ballots b WHERE b.vote_id = r.vote_id AND b.kind <> 'cast')"
                     " FROM unnest(%s::uuid[]) AS r(vote_id) WHERE assembly_votes.vote_id = r.vote_id",
                     [(vote,) for vote in dict.fromkeys(e.aggregate_id for e in ballots
                                                        if e.name == "BallotCorrected")])

    def opened(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        electors: dict[str, tuple[list[str], Decimal]] = {}
        for unit, owner, area in zip(d["units"], d["unit_owners"], d["unit_areas"], strict=True):
            units, total = electors.get(owner, ([], Decimal(0)))
            electors[owner] = ([*units, unit], total + area)
        cur.execute(
            "INSERT INTO assembly_votes (vote_id, compound_id, matter, majority, title, description,"
            " closes_on, amount, company_id, candidates, stage, opened_at, notice_ends, total_area, total_owners)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.aggregate_id, event.compound_id, d["matter"], d["majority"], d["title"], d["description"],
             d["closes_on"], d["amount"], d["company_id"], d["candidates"], event.occurred_at, d.get("notice_ends"),
             sum(area for _, area in electors.values()), len(electors)))
        cur.executemany(
            "INSERT INTO vote_electors (vote_id, position, compound_id, owner, units, area)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(event.aggregate_id, n, event.compound_id, owner, "、".join(units), area)
             for n, (owner, (units, area)) in enumerate(electors.items())])

    def delivered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE vote_electors SET delivered_by = %s, delivered_on = %s, delivered_to = %s"
                    " WHERE vote_id = %s AND owner = %s",
                    (d["method"], d["delivered_on"], d["recipient"], event.aggregate_id, d["owner"]))

    def closed(self, cur: Cursor, event: PublishedEvent) -> None:
        # A vote closed before objection periods existed was final when it closed.
        objections_end = event.data.get("objections_end")
        cur.execute("UPDATE assembly_votes SET stage = %s, closed_at = %s, objections_end = %s WHERE vote_id = %s",
                    ("final" if objections_end is None else "preliminary", event.occurred_at, objections_end,
                     event.aggregate_id))

    def objection_lodged(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO vote_objections (vote_id, number, compound_id, owner, unit, lodged_on, objection)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, d["number"], event.compound_id, d["owner"], d["unit"], d["lodged_on"],
                     d["objection"]))

    def objection_answered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE vote_objections SET upheld = %s, answer = %s, answered_at = %s"
                    " WHERE vote_id = %s AND number = %s",
                    (d["upheld"], d["reason"], event.occurred_at, event.aggregate_id, d["number"]))

    def finalised(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE assembly_votes SET stage = 'final', finalised_at = %s WHERE vote_id = %s",
                    (event.occurred_at, event.aggregate_id))

    def counted(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        assignments = ", ".join(f"{f} = %s" for f in COUNT_FIELDS)
        cur.execute(
            f"UPDATE assembly_votes SET {assignments}, counted_at = %s, count_occasion = %s"  # noqa: S608
            " WHERE vote_id = %s",
            (*(d[f] for f in COUNT_FIELDS), event.occurred_at, d["occasion"], event.aggregate_id))
