"""The project ledger: each project of a residents' council with its budget, actual spend and
savings, its state, and its timeline. A project's events are one aggregate's, in order."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, execute_rows, handles_together, update_rows
from services.common.published import PublishedEvent

STATE_AFTER = {
    "ProjectMeetingHeld": "deliberating", "ProjectPlanDrafted": "planned",
    "ProjectPublicised": "publicised", "ProjectContractorChosen": "contracted",
    "ProjectWorksStarted": "in_works", "ProjectWorksCompleted": "completed",
    "ProjectAccepted": "accepted", "ProjectSettled": "settled", "ProjectWithdrawn": "withdrawn",
}
# The ledger's columns a step may set, with their types.
LEDGER = {
    "state": "text", "plan": "text", "budget": "numeric", "funding": "text", "contributing_households": "integer",
    "contribution_per_household": "numeric", "notice_posted_on": "date", "notice_ends_on": "date",
    "council_members": "integer", "council_yes": "integer", "voted_on": "date", "contractor": "text",
    "contract_amount": "numeric", "started_on": "date", "completed_on": "date", "accepted_on": "date",
    "actual": "numeric", "savings": "numeric", "settled_on": "date", "updated_at": "timestamptz",
}
# The date on paper each step records.
ON_DATE = ("held_on", "posted_on", "lodged_on", "opened_on", "voted_on", "started_on", "inspected_on",
           "completed_on", "accepted_on", "settled_on")


def detail_of(event: PublishedEvent) -> str:
    """What the timeline shows of a step, in the council's words and figures."""
    d = event.data
    match event.name:
        case "ProjectMeetingHeld":
            people = "、".join(f"{a}（{b}）" for a, b in zip(d["attendees"], d["bodies"], strict=True))
            return f"{people}: {d['minutes']}"
        case "ProjectPlanDrafted":
            return f"budget ¥{d['budget']}, {d['funding']}: {d['content']}"
        case "ProjectPublicised":
            return f"notice for {d['days']} days, until {d['ends_on']}"
        case "ProjectObjectionLodged":
            return f"objection {d['number']}: {d['objection']}"
        case "ProjectObjectionAnswered":
            return f"objection {d['number']} answered: {d['answer']}"
        case "ProjectCouncilVoteOpened":
            what = ("the plan" if d["subject"] == "plan"
                    else f"a budget of ¥{d['budget']} ({d['reason']})")
            return f"council vote {d['number']} on {what} opened: {len(d['seats'])} members seated"
        case "ProjectCouncilMemberVoted":
            return f"council vote {d['number']}: {d['member']} {d['vote']}"
        case "ProjectCouncilVoted" | "ProjectBudgetAmendmentVoted":
            outcome = "passed" if d["passed"] else "failed"
            what = f"budget ¥{d['budget']} ({d['reason']}): " if "budget" in d else ""
            return (f"{what}{d['yes']} of {d['members']} members yes, {d['no']} no, {d['abstain']} "
                    f"abstain: {outcome} (2/3 of all members needed)")
        case "ProjectBidReceived":
            return f"bid {d['number']}: {d['bidder']} ¥{d['amount']}"
        case "ProjectContractorChosen":
            return f"bid {d['bid']} chosen: {d['reason']}"
        case "ProjectInspected":
            return f"{d['inspector']}: {d['finding']}"
        case "ProjectSettled":
            return f"actual ¥{d['actual']}, savings ¥{d['savings']}"
    return next((str(d[k]) for k in ("title", "note", "reason") if d.get(k)), "")


class ProjectsView(View):
    name = "projects"
    tables = ("projects", "project_steps", "project_bids", "council_votes", "council_vote_members")

    @handles_together(*(f"residents.{name}" for name in (
        "ProjectProposed", "ProjectMeetingHeld", "ProjectPlanDrafted", "ProjectPublicised",
        "ProjectObjectionLodged", "ProjectObjectionAnswered", "ProjectCouncilVoteOpened",
        "ProjectCouncilMemberVoted", "ProjectCouncilVoted", "ProjectBidReceived",
        "ProjectContractorChosen", "ProjectWorksStarted", "ProjectInspected", "ProjectWorksCompleted",
        "ProjectAccepted", "ProjectBudgetAmendmentVoted", "ProjectSettled", "ProjectWithdrawn")))
    def steps(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Projects proposed, their timelines, and their ledgers' columns, a statement each over
        the batch: a project's columns take what its last step setting each left (its steps come
        in order, one aggregate's). The council's votes and the bids go step by step, in order, as
        a contractor chosen reads its bid."""
        proposed, timeline, ledgers = [], [], {}
        for event in events:
            d = event.data
            if event.name == "ProjectProposed":
                proposed.append((event.aggregate_id, event.compound_id, d["title"], d["description"],
                                 d["proposed_by"], event.occurred_at, event.occurred_at))
            timeline.append((event.aggregate_id, event.aggregate_version, event.compound_id, event.occurred_at,
                             next((d[k] for k in ON_DATE if k in d), None), event.name, event.actor,
                             detail_of(event)))
            changes = dict(self.changes(cur, event))
            state = STATE_AFTER.get(event.name)
            if event.name == "ProjectCouncilVoted":
                state = "approved" if d["passed"] else "rejected"
            if state:
                changes["state"] = state
            changes["updated_at"] = event.occurred_at
            ledgers.setdefault(event.aggregate_id, {}).update(changes)
        execute_rows(cur, "INSERT INTO projects (project_id, compound_id, title, description, proposed_by, proposed_at,"
                          " state, updated_at) SELECT project_id, compound_id, title, description, proposed_by,"
                          " proposed_at, 'proposed', updated_at FROM unnest(%s::uuid[], %s::uuid[], %s::text[],"
                          " %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[]) AS r(project_id,"
                          " compound_id, title, description, proposed_by, proposed_at, updated_at)"
                          " ON CONFLICT DO NOTHING", proposed)
        execute_rows(cur, "INSERT INTO project_steps (project_id, version, compound_id, at, on_date, step, actor, detail)"
                          " SELECT * FROM unnest(%s::uuid[], %s::integer[], %s::uuid[], %s::timestamptz[], %s::date[],"
                          " %s::text[], %s::text[], %s::text[]) ON CONFLICT DO NOTHING", timeline)
        update_rows(cur, "projects", ("project_id", "uuid"), LEDGER, ledgers)

    @staticmethod
    def changes(cur: Cursor, event: PublishedEvent):
        """The ledger's columns a step sets."""
        d = event.data
        match event.name:
            case "ProjectPlanDrafted":
                yield from (("plan", d["content"]), ("budget", d["budget"]), ("funding", d["funding"]),
                            ("contributing_households", d["contributing_households"]),
                            ("contribution_per_household", d["contribution_per_household"]))
            case "ProjectPublicised":
                yield from (("notice_posted_on", d["posted_on"]), ("notice_ends_on", d["ends_on"]))
            case "ProjectCouncilVoteOpened":
                cur.execute("INSERT INTO council_votes (project_id, number, compound_id, subject, opened_on,"
                            " seats, budget, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (event.aggregate_id, d["number"], event.compound_id, d["subject"], d["opened_on"],
                             len(d["seats"]), d["budget"], d["reason"]))
                cur.executemany("INSERT INTO council_vote_members (project_id, number, position, compound_id,"
                                " member) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                                [(event.aggregate_id, d["number"], n, event.compound_id, member)
                                 for n, member in enumerate(d["seats"])])
            case "ProjectCouncilMemberVoted":
                cur.execute("UPDATE council_vote_members SET vote = %s WHERE project_id = %s AND number = %s"
                            " AND member = %s", (d["vote"], event.aggregate_id, d["number"], d["member"]))
            case "ProjectCouncilVoted" | "ProjectBudgetAmendmentVoted":
                # The vote it counts, if it was opened member by member (earlier votes were not).
                cur.execute("UPDATE council_votes SET voted_on = %s, yes = %s, no = %s, abstain = %s,"
                            " absent = seats - %s - %s - %s, passed = %s WHERE project_id = %s AND voted_on IS NULL",
                            (d["voted_on"], d["yes"], d["no"], d["abstain"], d["yes"], d["no"], d["abstain"],
                             d["passed"], event.aggregate_id))
                if event.name == "ProjectCouncilVoted":
                    yield from (("council_members", d["members"]), ("council_yes", d["yes"]),
                                ("voted_on", d["voted_on"]))
                elif d["passed"]:
                    yield "budget", d["budget"]
            case "ProjectBidReceived":
                cur.execute("INSERT INTO project_bids (project_id, number, bidder, amount, note)"
                            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (event.aggregate_id, d["number"], d["bidder"], d["amount"], d["note"]))
            case "ProjectContractorChosen":
                # A cursor of its own: the reader runs in pipeline mode, where a cursor that has
                # queued other statements may not hand back this one's rows.
                bidder, amount = cur.connection.execute(
                    "SELECT bidder, amount FROM project_bids WHERE project_id = %s AND number = %s",
                    (event.aggregate_id, d["bid"])).fetchone()
                yield from (("contractor", bidder), ("contract_amount", amount))
            case "ProjectWorksStarted":
                yield "started_on", d["started_on"]
            case "ProjectWorksCompleted":
                yield "completed_on", d["completed_on"]
            case "ProjectAccepted":
                yield "accepted_on", d["accepted_on"]
            case "ProjectSettled":
                yield from (("actual", d["actual"]), ("savings", d["savings"]), ("settled_on", d["settled_on"]))
