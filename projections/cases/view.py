"""Cases across bodies: each case's row and its timeline, from the residents', the branch's and
the property company's events. Events of different bodies arrive in any order, so a case's state
is that of its latest state-changing step, whatever came last."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, handles
from services.common.case_categories import DEADLINES, RESPONSE_TIMES, Category, Urgency
from services.common.measures import FIRST_CONTACT
from services.common.places import place_of
from services.common.published import PublishedEvent

# A case still waiting for someone to act; past its deadline it is overdue.
OPEN_STATES = ("raised", "dispatched", "accepted", "refused", "referred", "reopened")

# The case's state after each step; steps a body took only to note another's have none.
STATE_AFTER = {
    "residents.CaseRaised": "raised",
    "residents.CaseWithdrawn": "withdrawn",
    "residents.CaseRated": "closed",
    "residents.CaseReopened": "reopened",
    "branch.CaseDispatched": "dispatched",
    "branch.CaseAccepted": "accepted",
    "branch.CaseRefused": "refused",
    "branch.CaseResolved": "resolved",
    "property.WorkOrderAccepted": "accepted",
    "property.WorkOrderRefused": "refused",
    "property.WorkOrderResolved": "resolved",
}
NOTES = ("residents.CaseInformationAdded", "residents.CaseTakenNoted", "residents.CaseResolutionNoted",
         "branch.CaseReceived", "branch.CaseProgressRecorded", "branch.CaseWithdrawalNoted",
         "branch.CaseReopeningNoted", "branch.WorkOrderOutcomeNoted", "property.WorkOrderOpened",
         "property.WorkOrderProgressRecorded", "branch.CaseEscalated")
# What a step shows of its data (a rating's comment is the resident's: it stays on the case; who was
# sent is the branch's: it stays in Case.assignee).
DETAIL = ("text", "reason", "summary", "note", "tier", "taker")


def case_of(event: PublishedEvent):
    return event.aggregate_id if event.body.value == "residents" else event.data["case_id"]


class CasesView(View):
    name = "cases"
    tables = ("cases", "case_steps", "case_ratings")

    @handles(*STATE_AFTER, *NOTES, "branch.MediationConcluded")
    def step(self, cur: Cursor, event: PublishedEvent) -> None:
        case_id = case_of(event)
        detail = next((str(event.data[k]) for k in DETAIL if event.data.get(k)), None)
        state_after = STATE_AFTER.get(event.type)
        if event.type == "branch.MediationConcluded":
            state_after = "referred" if event.data["outcome"] == "failed_referred" else "resolved"
        if state_after is None:
            cur.execute("INSERT INTO cases (case_id) VALUES (%s) ON CONFLICT DO NOTHING", (case_id,))
        else:  # the state of the latest step that changes it, whichever arrives last
            cur.execute(
                "INSERT INTO cases (case_id, state, state_at, state_version, state_event) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (case_id) DO UPDATE SET state = EXCLUDED.state, state_at = EXCLUDED.state_at,"
                " state_version = EXCLUDED.state_version, state_event = EXCLUDED.state_event"
                " WHERE cases.state_at IS NULL OR (cases.state_at, cases.state_version, cases.state_event)"
                " < (EXCLUDED.state_at, EXCLUDED.state_version, EXCLUDED.state_event)",
                (case_id, state_after, event.occurred_at, event.aggregate_version, event.event_id),
            )
        cur.execute(
            "INSERT INTO case_steps (event_id, case_id, at, version, body, step, actor, state_after,"
            " detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING",
            (event.event_id, case_id, event.occurred_at, event.aggregate_version, event.body.value,
             event.name, event.actor, state_after, detail),
        )
        self.FIELDS.get(event.type, lambda *_: None)(cur, case_id, event)
        if event.type in FIRST_CONTACT:
            cur.execute("UPDATE cases SET first_contact_at = LEAST(first_contact_at, %s) WHERE case_id = %s",
                        (event.occurred_at, case_id))

    # What each step sets on the case's row, beyond its state.

    @staticmethod
    def _raised(cur: Cursor, case_id, event: PublishedEvent) -> None:
        d = event.data
        category, urgency, place = Category(d["category"]), Urgency(d.get("urgency") or "routine"), place_of(d["location"])
        cur.execute(
            "UPDATE cases SET compound_id = %s, category = %s, description = %s, location = %s, building = %s,"
            " area = %s, place = %s, photo_ref = %s, urgency = %s, raised_by = %s, raised_at = %s, due_at = %s,"
            " respond_by = %s WHERE case_id = %s",
            (event.compound_id, category.value, d["description"], d["location"], place.building, place.area,
             place.key, d["photo_ref"], urgency.value, event.actor, event.occurred_at,
             event.occurred_at + DEADLINES[category], event.occurred_at + RESPONSE_TIMES[category, urgency],
             case_id),
        )

    @staticmethod
    def _dispatched(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute(
            "UPDATE cases SET taker = %s, assignee = %s, dispatches = GREATEST(dispatches, %s)"
            " WHERE case_id = %s AND dispatches <= %s",
            (event.data["taker"], event.data["assignee"], event.data["dispatch_no"], case_id,
             event.data["dispatch_no"]),
        )

    @staticmethod
    def _accepted(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute("UPDATE cases SET accepted_at = GREATEST(accepted_at, %s) WHERE case_id = %s",
                    (event.occurred_at, case_id))

    @staticmethod
    def _resolved(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute("UPDATE cases SET resolved_at = GREATEST(resolved_at, %s) WHERE case_id = %s",
                    (event.occurred_at, case_id))

    @staticmethod
    def _rated(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute("INSERT INTO case_ratings (event_id, case_id, compound_id, score, rated_at)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, case_id, event.compound_id, event.data["score"], event.occurred_at))
        cur.execute(
            "UPDATE cases SET score = %s, comment = %s, rated_at = %s"
            " WHERE case_id = %s AND (rated_at IS NULL OR rated_at <= %s)",
            (event.data["score"], event.data["comment"], event.occurred_at, case_id, event.occurred_at),
        )

    @staticmethod
    def _reopened(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute("UPDATE cases SET reopened = true WHERE case_id = %s", (case_id,))

    @staticmethod
    def _mediated(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute("UPDATE cases SET mediation_outcome = %s WHERE case_id = %s",
                    (event.data["outcome"], case_id))
        if event.data["outcome"] != "failed_referred":
            CasesView._resolved(cur, case_id, event)

    @staticmethod
    def _escalated(cur: Cursor, case_id, event: PublishedEvent) -> None:
        tier = event.data["tier"]
        cur.execute(  # the higher tier wins, whichever arrives last
            "UPDATE cases SET escalated_to = %s WHERE case_id = %s"
            " AND (escalated_to IS NULL OR (escalated_to = 'community' AND %s = 'street'))",
            (tier, case_id, tier),
        )

    @staticmethod
    def _withdrawn(cur: Cursor, case_id, event: PublishedEvent) -> None:
        cur.execute("UPDATE cases SET withdrawn_at = %s WHERE case_id = %s", (event.occurred_at, case_id))

    FIELDS = {
        "residents.CaseRaised": _raised,
        "branch.CaseDispatched": _dispatched,
        "branch.CaseAccepted": _accepted,
        "property.WorkOrderAccepted": _accepted,
        "branch.CaseResolved": _resolved,
        "property.WorkOrderResolved": _resolved,
        "residents.CaseRated": _rated,
        "residents.CaseReopened": _reopened,
        "residents.CaseWithdrawn": _withdrawn,
        "branch.CaseEscalated": _escalated,
        "branch.MediationConcluded": _mediated,
    }
