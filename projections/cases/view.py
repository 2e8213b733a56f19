"""Cases across bodies: each case's row and its timeline, from the residents', the branch's and
the property company's events. Events of different bodies arrive in any order, so a case's state
is that of its latest state-changing step, whatever came last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor

from projections.view import View, execute_rows, handles_together
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


# The state of the latest step that changes it, whichever arrives last: a step's (at, version,
# event) against the row's.
NEWER = "(cases.state_at IS NULL OR (cases.state_at, cases.state_version, cases.state_event) < ({}))"
# What a case's raising describes of it. A case not yet known (most: the raising comes first) is
# written whole, its state the raising's; one another body's step made first gets its description,
# and the raising's state by the same rule as any step's.
DESCRIBED = ("compound_id", "category", "description", "location", "building", "area", "place", "photo_ref",
             "urgency", "raised_by", "raised_at", "due_at", "respond_by")
STATE = ("state", "state_at", "state_version", "state_event")
RAISE = (f"INSERT INTO cases (case_id, {', '.join(DESCRIBED + STATE)})"
         f" SELECT case_id, {', '.join(DESCRIBED)}, state, raised_at, version, event"
         " FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
         " %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::text[],"
         f" %s::bigint[], %s::uuid[]) AS r(case_id, {', '.join(DESCRIBED)}, state, version, event)"
         " ON CONFLICT (case_id) DO UPDATE SET "
         + ", ".join([f"{column} = excluded.{column}" for column in DESCRIBED]
                     + [f"{column} = CASE WHEN {NEWER.format('excluded.state_at, excluded.state_version, excluded.state_event')}"
                        f" THEN excluded.{column} ELSE cases.{column} END" for column in STATE]))

RESOLVING = ("branch.CaseResolved", "property.WorkOrderResolved")
ACCEPTING = ("branch.CaseAccepted", "property.WorkOrderAccepted")
TIER_ORDER = {"community": 1, "street": 2}  # the higher tier wins, whichever arrives last


@dataclass(frozen=True)
class Step:
    """A case's step as the view records it."""

    event: PublishedEvent
    case_id: UUID
    state_after: str | None
    detail: str | None

    @classmethod
    def of(cls, event: PublishedEvent) -> Step:
        state_after = STATE_AFTER.get(event.type)
        if event.type == "branch.MediationConcluded":
            state_after = "referred" if event.data["outcome"] == "failed_referred" else "resolved"
        return cls(event, case_of(event), state_after,
                   next((str(event.data[k]) for k in DETAIL if event.data.get(k)), None))

    @property
    def resolves(self) -> bool:
        return self.event.type in RESOLVING or (
            self.event.type == "branch.MediationConcluded" and self.event.data["outcome"] != "failed_referred")


def _last(steps: list[Step], key=lambda step: ()) -> list[Step]:
    """Per case, the step that decides a value set by each step in turn: the greatest by ``key``,
    and of equals the last."""
    found: dict[UUID, tuple[Any, int, Step]] = {}
    for n, step in enumerate(steps):
        ranked = (key(step), n)
        if step.case_id not in found or ranked > found[step.case_id][:2]:
            found[step.case_id] = (*ranked, step)
    return [step for *_, step in found.values()]


def _moments(steps: list[Step], pick) -> list[tuple[UUID, datetime]]:
    """Per case, the earliest or the latest (``pick``) of its steps' times."""
    found: dict[UUID, list[datetime]] = {}
    for step in steps:
        found.setdefault(step.case_id, []).append(step.event.occurred_at)
    return [(case_id, pick(moments)) for case_id, moments in found.items()]


class CasesView(View):
    name = "cases"
    tables = ("cases", "case_steps", "case_ratings")

    @handles_together(*STATE_AFTER, *NOTES, "branch.MediationConcluded")
    def steps(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Steps of cases, a statement for each kind of change: each case's row left as the steps
        one after the other leave it. Each value is set by a rule that does not depend on the order
        steps arrive in (the latest state, the earliest first contact, the highest dispatch…), but
        for a few set by each step in turn (a withdrawal's time, a mediation's outcome): the last."""
        steps = [Step.of(event) for event in events]
        raised = _last([s for s in steps if s.event.type == "residents.CaseRaised"])
        self._raised(cur, raised)
        written = {s.case_id for s in raised}
        execute_rows(cur, "INSERT INTO cases (case_id) SELECT * FROM unnest(%s::uuid[]) ON CONFLICT DO NOTHING",
                     [(case_id,) for case_id in dict.fromkeys(step.case_id for step in steps) if case_id not in written])
        execute_rows(cur, "INSERT INTO case_steps (event_id, case_id, at, version, body, step, actor, state_after,"
                     " detail) SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::timestamptz[], %s::bigint[],"
                     " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) ON CONFLICT (event_id) DO NOTHING",
                     [(s.event.event_id, s.case_id, s.event.occurred_at, s.event.aggregate_version, s.event.body.value,
                       s.event.name, s.event.actor, s.state_after, s.detail) for s in steps])
        # The state of each case's latest step, unless that is its raising, whose state RAISE set.
        execute_rows(cur, "UPDATE cases SET state = r.state, state_at = r.at, state_version = r.version,"
                     " state_event = r.event FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::bigint[],"
                     " %s::uuid[]) AS r(case_id, state, at, version, event) WHERE cases.case_id = r.case_id"
                     f" AND {NEWER.format('r.at, r.version, r.event')}",
                     [(s.case_id, s.state_after, s.event.occurred_at, s.event.aggregate_version, s.event.event_id)
                      for s in _last([s for s in steps if s.state_after is not None],
                                     lambda s: (s.event.occurred_at, s.event.aggregate_version, s.event.event_id))
                      if s.event.type != "residents.CaseRaised"])
        of = {kind: [s for s in steps if s.event.type in kinds] for kind, kinds in (
            ("dispatched", ("branch.CaseDispatched",)),
            ("accepted", ACCEPTING), ("rated", ("residents.CaseRated",)), ("reopened", ("residents.CaseReopened",)),
            ("withdrawn", ("residents.CaseWithdrawn",)), ("escalated", ("branch.CaseEscalated",)),
            ("mediated", ("branch.MediationConcluded",)), ("first_contact", FIRST_CONTACT))}
        execute_rows(cur, "UPDATE cases SET taker = r.taker, assignee = r.assignee,"
                     " dispatches = GREATEST(dispatches, r.number) FROM unnest(%s::uuid[], %s::text[], %s::text[],"
                     " %s::integer[]) AS r(case_id, taker, assignee, number)"
                     " WHERE cases.case_id = r.case_id AND dispatches <= r.number",
                     [(s.case_id, s.event.data["taker"], s.event.data["assignee"], s.event.data["dispatch_no"])
                      for s in _last(of["dispatched"], lambda s: s.event.data["dispatch_no"])])
        for column, pick, moments in (("accepted_at", "GREATEST", _moments(of["accepted"], max)),
                                      ("resolved_at", "GREATEST", _moments([s for s in steps if s.resolves], max)),
                                      ("first_contact_at", "LEAST", _moments(of["first_contact"], min))):
            execute_rows(cur, f"UPDATE cases SET {column} = {pick}({column}, r.at)"  # noqa: S608
                         " FROM unnest(%s::uuid[], %s::timestamptz[]) AS r(case_id, at)"
                         " WHERE cases.case_id = r.case_id",
                         moments)
        execute_rows(cur, "INSERT INTO case_ratings (event_id, case_id, compound_id, score, rated_at)"
                     " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::integer[], %s::timestamptz[])"
                     " ON CONFLICT DO NOTHING",
                     [(s.event.event_id, s.case_id, s.event.compound_id, s.event.data["score"], s.event.occurred_at)
                      for s in of["rated"]])
        execute_rows(cur, "UPDATE cases SET score = r.score, comment = r.comment, rated_at = r.at"
                     " FROM unnest(%s::uuid[], %s::integer[], %s::text[], %s::timestamptz[])"
                     " AS r(case_id, score, comment, at)"
                     " WHERE cases.case_id = r.case_id AND (rated_at IS NULL OR rated_at <= r.at)",
                     [(s.case_id, s.event.data["score"], s.event.data["comment"], s.event.occurred_at)
                      for s in _last(of["rated"], lambda s: s.event.occurred_at)])
        execute_rows(cur, "UPDATE cases SET reopened = true FROM unnest(%s::uuid[]) AS r(case_id)"
                     " WHERE cases.case_id = r.case_id", [(s.case_id,) for s in _last(of["reopened"])])
        execute_rows(cur, "UPDATE cases SET withdrawn_at = r.at"
                     " FROM unnest(%s::uuid[], %s::timestamptz[]) AS r(case_id, at)"
                     " WHERE cases.case_id = r.case_id",
                     [(s.case_id, s.event.occurred_at) for s in _last(of["withdrawn"])])
        execute_rows(cur, "UPDATE cases SET escalated_to = r.tier"
                     " FROM unnest(%s::uuid[], %s::text[]) AS r(case_id, tier)"
                     " WHERE cases.case_id = r.case_id"
                     " AND (escalated_to IS NULL OR (escalated_to = 'community' AND r.tier = 'street'))",
                     [(s.case_id, s.event.data["tier"])
                      for s in _last(of["escalated"], lambda s: TIER_ORDER.get(s.event.data["tier"], 0))])
        execute_rows(cur, "UPDATE cases SET mediation_outcome = r.outcome FROM unnest(%s::uuid[], %s::text[])"
                     " AS r(case_id, outcome) WHERE cases.case_id = r.case_id",
                     [(s.case_id, s.event.data["outcome"]) for s in _last(of["mediated"])])

    @staticmethod
    def _raised(cur: Cursor, raised: list[Step]) -> None:
        """Cases as their raising describes them (``RAISE``): a new case in one row version, not three
        (made, given its state, described)."""
        rows = []
        for s in raised:
            d, at = s.event.data, s.event.occurred_at
            category, urgency = Category(d["category"]), Urgency(d.get("urgency") or "routine")
            place = place_of(d["location"])
            rows.append((s.case_id, s.event.compound_id, category.value, d["description"], d["location"],
                         place.building, place.area, place.key, d["photo_ref"], urgency.value, s.event.actor, at,
                         at + DEADLINES[category], at + RESPONSE_TIMES[category, urgency], s.state_after,
                         s.event.aggregate_version, s.event.event_id))
        execute_rows(cur, RAISE, rows)
