"""The star rating's figures, counted from the read models for many branches at once, and the
events behind them. The thresholds are the domain's (``services.branch.rating``).

A date counts in the China calendar day it fell on. A branch's compounds are those it leads now."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from psycopg import sql

from services.branch.rating import Figures

LOCAL = "Asia/Shanghai"

# Named parameters: %(branches)s (uuid[]), %(start)s, %(end)s (dates).
COMMON = f"""
covered AS (
    SELECT cb.branch_id, cb.compound_id, c.residents
    FROM compound_bodies cb JOIN compounds c USING (compound_id)
    WHERE cb.branch_id = ANY(%(branches)s)),
members AS (
    SELECT branch_id, member_id, name, compound_id, building, reported_on, reported_event_id
    FROM branch_members
    WHERE branch_id = ANY(%(branches)s) AND reported_on <= %(end)s
      AND (left_on IS NULL OR left_on >= %(start)s)),
period_cases AS (
    SELECT cv.branch_id, c.* FROM cases c JOIN covered cv USING (compound_id)),
period_ratings AS (  -- every rating given in the period, the one that reopened a case included
    SELECT cv.branch_id, r.* FROM case_ratings r JOIN covered cv USING (compound_id)
    WHERE (r.rated_at AT TIME ZONE '{LOCAL}')::date BETWEEN %(start)s AND %(end)s),
member_cases AS (  -- cases a member took (党员接单), by the name the branch dispatched to
    SELECT m.branch_id, m.member_id, c.case_id
    FROM members m JOIN period_cases c ON c.branch_id = m.branch_id AND c.compound_id = m.compound_id
      AND c.taker = 'party_member' AND c.assignee = m.name
    WHERE (c.raised_at AT TIME ZONE '{LOCAL}')::date BETWEEN %(start)s AND %(end)s),
activities AS (
    SELECT * FROM branch_activities
    WHERE branch_id = ANY(%(branches)s) AND held_on BETWEEN %(start)s AND %(end)s),
meetings AS (
    SELECT *, attendees[array_position(bodies, 'residents')] AS residents_attending FROM joint_meetings
    WHERE branch_id = ANY(%(branches)s) AND held_on BETWEEN %(start)s AND %(end)s
      AND 'residents' = ANY(bodies)),
sheets AS (
    SELECT e.branch_id, s.* FROM evaluation_scores s JOIN evaluations e USING (evaluation_id)
    WHERE e.branch_id = ANY(%(branches)s)
      AND (s.scored_at AT TIME ZONE '{LOCAL}')::date BETWEEN %(start)s AND %(end)s)
"""

FIGURES = f"""
WITH {COMMON},
took_part AS (
    SELECT branch_id, unnest(participants) AS member_id FROM activities
    UNION SELECT branch_id, member_id FROM member_cases)
SELECT b AS branch_id,
    (SELECT count(*) FROM members m WHERE m.branch_id = b) AS members,
    (SELECT count(*) FROM took_part t JOIN members m USING (branch_id, member_id)
     WHERE t.branch_id = b) AS participating_members,
    (SELECT coalesce(sum(residents), 0) FROM covered WHERE branch_id = b) AS residents,
    (SELECT count(DISTINCT raised_by) FROM period_cases c WHERE c.branch_id = b
       AND ((c.raised_at AT TIME ZONE '{LOCAL}')::date BETWEEN %(start)s AND %(end)s
            OR c.case_id IN (SELECT case_id FROM period_ratings)))
    + (SELECT coalesce(sum(residents_attending), 0) FROM activities a WHERE a.branch_id = b)
    + (SELECT coalesce(sum(residents_attending), 0) FROM meetings j WHERE j.branch_id = b)
    + (SELECT count(*) FROM sheets s WHERE s.branch_id = b AND s.rater_kind = 'resident')
      AS resident_participations,
    (SELECT count(*) FROM period_ratings r WHERE r.branch_id = b)
    + (SELECT count(*) FROM sheets s WHERE s.branch_id = b) AS scores,
    (SELECT coalesce(sum(score), 0) FROM period_ratings r WHERE r.branch_id = b)
    + (SELECT coalesce(sum(score), 0) FROM sheets s WHERE s.branch_id = b) AS score_total
FROM unnest(%(branches)s::uuid[]) AS b
"""

# The events behind the figures: one row per event, with the figure it counts in.
EVIDENCE = f"""
WITH {COMMON}
SELECT reported_event_id AS event_id, 'branch' AS body, 'member_reported' AS kind, reported_on AS on_date,
       'members' AS figure, building AS detail
FROM members
UNION ALL
SELECT event_id, 'branch', 'activity', held_on, 'member_participation, resident_participation', title
FROM activities
UNION ALL
SELECT s.event_id, s.body, 'case_dispatched_to_member', (s.at AT TIME ZONE '{LOCAL}')::date,
       'member_participation', c.category
FROM member_cases mc JOIN case_steps s USING (case_id) JOIN cases c USING (case_id)
WHERE s.step = 'CaseDispatched'
UNION ALL
SELECT s.event_id, s.body, CASE s.step WHEN 'CaseRaised' THEN 'case_raised' ELSE 'case_rated' END,
       (s.at AT TIME ZONE '{LOCAL}')::date,
       CASE s.step WHEN 'CaseRaised' THEN 'resident_participation'
            ELSE 'resident_participation, satisfaction' END, c.category
FROM period_cases c JOIN case_steps s USING (case_id)
WHERE s.step IN ('CaseRaised', 'CaseRated')
  AND (s.at AT TIME ZONE '{LOCAL}')::date BETWEEN %(start)s AND %(end)s
UNION ALL
SELECT event_id, 'branch', 'joint_meeting', held_on, 'resident_participation', topic FROM meetings
UNION ALL
SELECT event_id, 'branch', 'evaluation_sheet', (scored_at AT TIME ZONE '{LOCAL}')::date,
       CASE rater_kind WHEN 'resident' THEN 'resident_participation, satisfaction' ELSE 'satisfaction' END,
       rater_kind || ' sheet'
FROM sheets
"""


def parameters(branches: list[UUID], start: date, end: date) -> dict:
    return {"branches": branches, "start": start, "end": end}


def figures_of(row: dict) -> Figures:
    return Figures(members=row["members"], participating_members=row["participating_members"],
                   residents=row["residents"], resident_participations=row["resident_participations"],
                   scores=row["scores"], score_total=row["score_total"])


def evidence_source() -> sql.Composable:
    return sql.SQL("({}) AS evidence").format(sql.SQL(EVIDENCE))
