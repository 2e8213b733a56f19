"""The branch's five powers and activities: joint meetings, suggestions with the addressed body's
answer, supervision notices through their rounds, recommendations, evaluations and their sheets.
An answer may arrive before the suggestion it answers (another body's topic): both upsert."""

from __future__ import annotations

from collections import Counter

from psycopg import Cursor

from infra.database import array_literal
from projections.view import View, by_name, execute_rows, handles, handles_together
from services.common.published import PublishedEvent


class PowersView(View):
    name = "powers"
    tables = ("joint_meetings", "branch_activities", "suggestions", "supervision_notices", "recommendations",
              "evaluations", "evaluation_scores")

    @handles_together("branch.JointMeetingHeld", "branch.BranchActivityHeld", "branch.SuggestionMade",
                      "branch.SupervisionNoticeIssued", "branch.CandidatesRecommended", "branch.EvaluationOpened",
                      "branch.EvaluationScored", "branch.EvaluationPublished")
    def held(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Most of the branch's own steps: a statement for each kind over the batch. Each adds its
        event's own row (kept once, the first) to a table of its own, or sets columns only it
        sets: a suggestion's (its last), an evaluation's published figures (its last), and its
        sheets, one more a score, after the evaluations opened."""
        of = by_name(events)
        execute_rows(cur, "INSERT INTO joint_meetings (meeting_id, compound_id, branch_id, event_id, held_on, topic,"
                          " bodies, attendees, decisions) SELECT meeting_id, compound_id, branch_id, event_id,"
                          " held_on, topic, bodies::text[], attendees::integer[], decisions::text[]"
                          " FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::uuid[], %s::date[], %s::text[],"
                          " %s::text[], %s::text[], %s::text[]) AS r(meeting_id, compound_id, branch_id, event_id,"
                          " held_on, topic, bodies, attendees, decisions) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["branch_id"], e.event_id, e.data["held_on"],
                       e.data["topic"], array_literal(e.data["bodies"]), array_literal(e.data["attendees"]),
                       array_literal(e.data["decisions"])) for e in of["JointMeetingHeld"]])
        execute_rows(cur, "INSERT INTO branch_activities (activity_id, compound_id, branch_id, event_id, held_on,"
                          " title, participants, residents_attending) SELECT activity_id, compound_id, branch_id,"
                          " event_id, held_on, title, participants::uuid[], residents_attending"
                          " FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::uuid[], %s::date[], %s::text[],"
                          " %s::text[], %s::integer[]) AS r(activity_id, compound_id, branch_id, event_id, held_on,"
                          " title, participants, residents_attending) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["branch_id"], e.event_id, e.data["held_on"],
                       e.data["title"], array_literal(e.data["participants"]), e.data["residents_attending"])
                      for e in of["BranchActivityHeld"]])
        suggestions = {e.aggregate_id: (e.aggregate_id, e.compound_id, e.data["branch_id"], e.data["addressed_to"],
                                        e.data["subject"], e.data["text"], e.data["made_on"], e.data["answer_by"])
                       for e in of["SuggestionMade"]}
        execute_rows(cur, "INSERT INTO suggestions (suggestion_id, compound_id, branch_id, addressed_to, subject, text,"
                          " made_on, answer_by) SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[],"
                          " %s::text[], %s::text[], %s::date[], %s::date[]) ON CONFLICT (suggestion_id) DO UPDATE SET"
                          " branch_id = EXCLUDED.branch_id, addressed_to = EXCLUDED.addressed_to,"
                          " subject = EXCLUDED.subject, text = EXCLUDED.text, made_on = EXCLUDED.made_on,"
                          " answer_by = EXCLUDED.answer_by",
                     list(suggestions.values()))
        execute_rows(cur, "INSERT INTO supervision_notices (notice_id, compound_id, branch_id, addressed_to, matter,"
                          " requirement, issued_on, rectify_by) SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[],"
                          " %s::text[], %s::text[], %s::text[], %s::date[], %s::date[]) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["branch_id"], e.data["addressed_to"], e.data["matter"],
                       e.data["requirement"], e.data["issued_on"], e.data["rectify_by"])
                      for e in of["SupervisionNoticeIssued"]])
        execute_rows(cur, "INSERT INTO recommendations (recommendation_id, compound_id, branch_id, recommended_to,"
                          " candidates, note, recommended_at) SELECT recommendation_id, compound_id, branch_id,"
                          " recommended_to, candidates::text[], note, recommended_at FROM unnest(%s::uuid[],"
                          " %s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[], %s::timestamptz[])"
                          " AS r(recommendation_id, compound_id, branch_id, recommended_to, candidates, note,"
                          " recommended_at) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["branch_id"], e.data["recommended_to"],
                       array_literal(e.data["candidates"]), e.data["note"], e.occurred_at)
                      for e in of["CandidatesRecommended"]])
        self._evaluations(cur, of)

    @staticmethod
    def _evaluations(cur: Cursor, of: dict[str, list[PublishedEvent]]) -> None:
        execute_rows(cur, "INSERT INTO evaluations (evaluation_id, compound_id, branch_id, evaluated, title, closes_on,"
                          " opened_at) SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[], %s::text[],"
                          " %s::date[], %s::timestamptz[]) ON CONFLICT DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["branch_id"], e.data["evaluated"], e.data["title"],
                       e.data["closes_on"], e.occurred_at) for e in of["EvaluationOpened"]])
        scored = of["EvaluationScored"]
        execute_rows(cur, "INSERT INTO evaluation_scores (event_id, evaluation_id, compound_id, rater_kind, score,"
                          " scored_at) SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[],"
                          " %s::integer[], %s::timestamptz[]) ON CONFLICT DO NOTHING",
                     [(e.event_id, e.aggregate_id, e.compound_id, e.data["rater_kind"], e.data["score"], e.occurred_at)
                      for e in scored])
        execute_rows(cur, "UPDATE evaluations SET sheets = sheets + r.count FROM unnest(%s::uuid[], %s::integer[])"
                          " AS r(evaluation_id, count) WHERE evaluations.evaluation_id = r.evaluation_id",
                     list(Counter(e.aggregate_id for e in scored).items()))
        published = {e.aggregate_id: (e.aggregate_id, e.data["average"], e.data["residents"], e.data["members"],
                                      e.data["verdict"], e.occurred_at) for e in of["EvaluationPublished"]}
        execute_rows(cur, "UPDATE evaluations SET average = r.average, resident_sheets = r.residents,"
                          " member_sheets = r.members, verdict = r.verdict, published_at = r.at"
                          " FROM unnest(%s::uuid[], %s::numeric[], %s::integer[], %s::integer[], %s::text[],"
                          " %s::timestamptz[]) AS r(evaluation_id, average, residents, members, verdict, at)"
                          " WHERE evaluations.evaluation_id = r.evaluation_id",
                     list(published.values()))

    @handles("residents.SuggestionAnswered", "owners_committee.SuggestionAnswered", "property.SuggestionAnswered")
    def answered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO suggestions (suggestion_id, compound_id, answered_by, response, reason, answered_on)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (suggestion_id) DO UPDATE SET"
            " answered_by = EXCLUDED.answered_by, response = EXCLUDED.response, reason = EXCLUDED.reason,"
            " answered_on = EXCLUDED.answered_on",
            (d["suggestion_id"], event.compound_id, event.body.value, d["response"], d["reason"], d["answered_on"]))

    @handles("branch.RectificationNoted")
    def rectified(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE supervision_notices SET state = 'reported', report = %s, reported_on = %s"
                    " WHERE notice_id = %s", (event.data["report"], event.data["reported_on"], event.aggregate_id))

    @handles("branch.SupervisionNoticeClosed")
    def closed(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE supervision_notices SET state = 'closed', note = %s, closed_at = %s WHERE notice_id = %s",
                    (event.data["note"], event.occurred_at, event.aggregate_id))

    @handles("branch.SupervisionNoticeReopened")
    def reopened(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE supervision_notices SET state = 'open', round = %s, rectify_by = %s, note = %s,"
                    " closed_at = NULL WHERE notice_id = %s",
                    (d["round"], d["rectify_by"], d["reason"], event.aggregate_id))

