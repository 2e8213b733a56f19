"""Votes of the owners' assembly: the frozen electorate with each owner's ballot delivery, every
ballot and correction, objections and their answers, the stage (open, preliminary, final), and the
count the owners' committee published last, with the rule applied and why it passed or failed."""

from __future__ import annotations

from decimal import Decimal

from psycopg import Cursor

from projections.view import View, handles
from services.common.published import PublishedEvent

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

    @handles(*(f"owners_committee.{name}" for name in (
        "AssemblyVoteOpened", "BallotDelivered", "BallotCast", "AssemblyVoteClosed", "AssemblyVoteCounted",
        "VoteObjectionLodged", "VoteObjectionAnswered", "BallotCorrected", "AssemblyVoteFinalised")))
    def step(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("INSERT INTO vote_steps (vote_id, version, compound_id, at, step, detail)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.aggregate_version, event.compound_id, event.occurred_at, event.name,
                     detail_of(event)))
        {"AssemblyVoteOpened": self.opened, "BallotDelivered": self.delivered, "BallotCast": self.ballot,
         "BallotCorrected": self.ballot, "AssemblyVoteClosed": self.closed, "AssemblyVoteCounted": self.counted,
         "VoteObjectionLodged": self.objection_lodged, "VoteObjectionAnswered": self.objection_answered,
         "AssemblyVoteFinalised": self.finalised}[event.name](cur, event)

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
