"""The branch's five powers and activities: joint meetings, suggestions with the addressed body's
answer, supervision notices through their rounds, recommendations, evaluations and their sheets.
An answer may arrive before the suggestion it answers (another body's topic): both upsert."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, handles
from services.common.published import PublishedEvent


class PowersView(View):
    name = "powers"
    tables = ("joint_meetings", "branch_activities", "suggestions", "supervision_notices", "recommendations",
              "evaluations", "evaluation_scores")

    @handles("branch.JointMeetingHeld")
    def meeting(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO joint_meetings (meeting_id, compound_id, branch_id, event_id, held_on, topic, bodies,"
                    " attendees, decisions) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["branch_id"], event.event_id, d["held_on"], d["topic"],
                     d["bodies"], d["attendees"], d["decisions"]))

    @handles("branch.BranchActivityHeld")
    def activity(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO branch_activities (activity_id, compound_id, branch_id, event_id, held_on, title,"
                    " participants, residents_attending) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["branch_id"], event.event_id, d["held_on"], d["title"],
                     d["participants"], d["residents_attending"]))

    @handles("branch.SuggestionMade")
    def suggestion(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO suggestions (suggestion_id, compound_id, branch_id, addressed_to, subject, text, made_on,"
            " answer_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (suggestion_id) DO UPDATE SET"
            " branch_id = EXCLUDED.branch_id, addressed_to = EXCLUDED.addressed_to, subject = EXCLUDED.subject,"
            " text = EXCLUDED.text, made_on = EXCLUDED.made_on, answer_by = EXCLUDED.answer_by",
            (event.aggregate_id, event.compound_id, d["branch_id"], d["addressed_to"], d["subject"], d["text"],
             d["made_on"], d["answer_by"]))

    @handles("residents.SuggestionAnswered", "owners_committee.SuggestionAnswered", "property.SuggestionAnswered")
    def answered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO suggestions (suggestion_id, compound_id, answered_by, response, reason, answered_on)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (suggestion_id) DO UPDATE SET"
            " answered_by = EXCLUDED.answered_by, response = EXCLUDED.response, reason = EXCLUDED.reason,"
            " answered_on = EXCLUDED.answered_on",
            (d["suggestion_id"], event.compound_id, event.body.value, d["response"], d["reason"], d["answered_on"]))

    @handles("branch.SupervisionNoticeIssued")
    def notice(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO supervision_notices (notice_id, compound_id, branch_id, addressed_to, matter, requirement,"
            " issued_on, rectify_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.aggregate_id, event.compound_id, d["branch_id"], d["addressed_to"], d["matter"], d["requirement"],
             d["issued_on"], d["rectify_by"]))

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

    @handles("branch.CandidatesRecommended")
    def recommended(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO recommendations (recommendation_id, compound_id, branch_id, recommended_to,"
                    " candidates, note, recommended_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["branch_id"], d["recommended_to"], d["candidates"],
                     d["note"], event.occurred_at))

    @handles("branch.EvaluationOpened")
    def evaluation(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO evaluations (evaluation_id, compound_id, branch_id, evaluated, title, closes_on,"
                    " opened_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.aggregate_id, event.compound_id, d["branch_id"], d["evaluated"], d["title"],
                     d["closes_on"], event.occurred_at))

    @handles("branch.EvaluationScored")
    def scored(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("INSERT INTO evaluation_scores (event_id, evaluation_id, compound_id, rater_kind, score,"
                    " scored_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, event.aggregate_id, event.compound_id, event.data["rater_kind"],
                     event.data["score"], event.occurred_at))
        cur.execute("UPDATE evaluations SET sheets = sheets + 1 WHERE evaluation_id = %s", (event.aggregate_id,))

    @handles("branch.EvaluationPublished")
    def evaluation_published(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("UPDATE evaluations SET average = %s, resident_sheets = %s, member_sheets = %s, verdict = %s,"
                    " published_at = %s WHERE evaluation_id = %s",
                    (d["average"], d["residents"], d["members"], d["verdict"], event.occurred_at, event.aggregate_id))
