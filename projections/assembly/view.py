"""Votes of the owners' assembly: the frozen electorate with each owner's ballot delivery, every
ballot and correction, objections and their answers, the stage (open, preliminary, final), and the
count the owners' committee published last, with the rule applied and why it passed or failed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from infra.database import array_literal
from projections.view import View, by_name, execute_rows, handles_together, update_rows
from services.common.published import PublishedEvent

BALLOTS = ("BallotCast", "BallotCorrected")
COUNT_FIELDS = ("voted_area", "voted_owners", "yes_area", "yes_owners", "no_area", "no_owners",
                "abstain_area", "abstain_owners", "valid", "passed", "reason")
# A vote's columns its steps after the opening set, with their types.
VOTE_COLUMNS = {
    "stage": "text", "closed_at": "timestamptz", "objections_end": "date", "finalised_at": "timestamptz",
    "voted_area": "numeric", "voted_owners": "integer", "yes_area": "numeric", "yes_owners": "integer",
    "no_area": "numeric", "no_owners": "integer", "abstain_area": "numeric", "abstain_owners": "integer",
    "valid": "boolean", "passed": "boolean", "reason": "text", "counted_at": "timestamptz", "count_occasion": "text",
}


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
        """Steps of votes, a statement for each kind over the batch: the timeline, the votes opened
        with their electorates, then what later steps set of a vote (each column its last step's
        value: a vote's steps come in order, one aggregate's), the deliveries and objections
        answered (each its last), and the ballots. Nothing of a vote's row depends on its ballots
        but the corrections' count, set once the ballots are in."""
        execute_rows(cur, "INSERT INTO vote_steps (vote_id, version, compound_id, at, step, detail)"
                     " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::uuid[], %s::timestamptz[], %s::text[],"
                     " %s::text[]) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.aggregate_version, e.compound_id, e.occurred_at, e.name, detail_of(e))
                      for e in events])
        of = by_name(events)
        self._opened(cur, of["AssemblyVoteOpened"])
        votes: dict[UUID, dict[str, Any]] = {}  # each vote's columns its steps set, the last step's value
        delivered: dict[tuple[UUID, str], tuple] = {}
        for event in events:
            d = event.data
            match event.name:
                case "AssemblyVoteClosed":
                    # A vote closed before objection periods existed was final when it closed.
                    votes.setdefault(event.aggregate_id, {}).update(
                        stage="final" if d.get("objections_end") is None else "preliminary",
                        closed_at=event.occurred_at, objections_end=d.get("objections_end"))
                case "AssemblyVoteCounted":
                    votes.setdefault(event.aggregate_id, {}).update(
                        {field: d[field] for field in COUNT_FIELDS}, counted_at=event.occurred_at,
                        count_occasion=d["occasion"])
                case "AssemblyVoteFinalised":
                    votes.setdefault(event.aggregate_id, {}).update(stage="final", finalised_at=event.occurred_at)
                case "BallotDelivered":
                    delivered[event.aggregate_id, d["owner"]] = (
                        event.aggregate_id, d["owner"], d["method"], d["delivered_on"], d["recipient"])
        update_rows(cur, "assembly_votes", ("vote_id", "uuid"), VOTE_COLUMNS, votes)
        execute_rows(cur, "UPDATE vote_electors SET delivered_by = r.method, delivered_on = r.delivered_on,"
                          " delivered_to = r.recipient FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::date[],"
                          " %s::text[]) AS r(vote_id, owner, method, delivered_on, recipient)"
                          " WHERE vote_electors.vote_id = r.vote_id AND vote_electors.owner = r.owner",
                     list(delivered.values()))
        self._objections(cur, of)
        ballots = [e for e in events if e.name in BALLOTS]
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

    @staticmethod
    def _opened(cur: Cursor, opened: list[PublishedEvent]) -> None:
        """Votes opened, each with its electorate: an owner's units and area together."""
        votes, electors = [], []
        for event in opened:
            d = event.data
            owners: dict[str, tuple[list[str], Decimal]] = {}
            for unit, owner, area in zip(d["units"], d["unit_owners"], d["unit_areas"], strict=True):
                units, total = owners.get(owner, ([], Decimal(0)))
                owners[owner] = ([*units, unit], total + area)
            votes.append((event.aggregate_id, event.compound_id, d["matter"], d["majority"], d["title"],
                          d["description"], d["closes_on"], d["amount"], d["company_id"],
                          array_literal(d["candidates"]), event.occurred_at, d.get("notice_ends"),
                          sum(area for _, area in owners.values()), len(owners)))
            electors += [(event.aggregate_id, n, event.compound_id, owner, "、".join(units), area)
                         for n, (owner, (units, area)) in enumerate(owners.items())]
        execute_rows(cur, "INSERT INTO assembly_votes (vote_id, compound_id, matter, majority, title, description,"
                          " closes_on, amount, company_id, candidates, stage, opened_at, notice_ends, total_area,"
                          " total_owners) SELECT vote_id, compound_id, matter, majority, title, description, closes_on,"
                          " amount, company_id, candidates::text[], 'open', opened_at, notice_ends, total_area,"
                          " total_owners FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[],"
                          " %s::text[], %s::date[], %s::numeric[], %s::uuid[], %s::text[], %s::timestamptz[],"
                          " %s::date[], %s::numeric[], %s::integer[]) AS r(vote_id, compound_id, matter, majority,"
                          " title, description, closes_on, amount, company_id, candidates, opened_at, notice_ends,"
                          " total_area, total_owners) ON CONFLICT DO NOTHING", votes)
        execute_rows(cur, "INSERT INTO vote_electors (vote_id, position, compound_id, owner, units, area)"
                          " SELECT * FROM unnest(%s::uuid[], %s::integer[], %s::uuid[], %s::text[], %s::text[],"
                          " %s::numeric[]) ON CONFLICT DO NOTHING", electors)

    @staticmethod
    def _objections(cur: Cursor, of: dict[str, list[PublishedEvent]]) -> None:
        """Objections lodged (an objection's first lodging kept), then answered (its last answer)."""
        execute_rows(cur, "INSERT INTO vote_objections (vote_id, number, compound_id, owner, unit, lodged_on, objection)"
                          " SELECT * FROM unnest(%s::uuid[], %s::integer[], %s::uuid[], %s::text[], %s::text[],"
                          " %s::date[], %s::text[]) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.data["number"], e.compound_id, e.data["owner"], e.data["unit"],
                       e.data["lodged_on"], e.data["objection"]) for e in of["VoteObjectionLodged"]])
        answers = {(e.aggregate_id, e.data["number"]): (e.aggregate_id, e.data["number"], e.data["upheld"],
                                                        e.data["reason"], e.occurred_at)
                   for e in of["VoteObjectionAnswered"]}
        execute_rows(cur, "UPDATE vote_objections SET upheld = r.upheld, answer = r.answer, answered_at = r.at"
                          " FROM unnest(%s::uuid[], %s::integer[], %s::boolean[], %s::text[], %s::timestamptz[])"
                          " AS r(vote_id, number, upheld, answer, at)"
                          " WHERE vote_objections.vote_id = r.vote_id AND vote_objections.number = r.number",
                     list(answers.values()))
