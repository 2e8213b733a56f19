-- The branch's five powers and activities, with the other bodies' replies.
CREATE TABLE IF NOT EXISTS joint_meetings (
    meeting_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    event_id uuid NOT NULL,
    held_on date NOT NULL,
    topic text NOT NULL,
    bodies text[] NOT NULL,
    attendees integer[] NOT NULL,
    decisions text[] NOT NULL
);
CREATE INDEX IF NOT EXISTS joint_meetings_by_compound ON joint_meetings (compound_id, held_on);

CREATE TABLE IF NOT EXISTS branch_activities (
    activity_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    event_id uuid NOT NULL,
    held_on date NOT NULL,
    title text NOT NULL,
    participants uuid[] NOT NULL,
    residents_attending integer NOT NULL
);
CREATE INDEX IF NOT EXISTS branch_activities_by_branch ON branch_activities (branch_id, held_on);

-- A suggestion, from the branch's event and the addressed body's answer, whichever came first.
CREATE TABLE IF NOT EXISTS suggestions (
    suggestion_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    branch_id uuid,
    addressed_to text,
    subject text,
    text text,
    made_on date,
    answer_by date,
    answered_by text,  -- the body whose answer it is
    response text,
    reason text,
    answered_on date
);
CREATE INDEX IF NOT EXISTS suggestions_by_compound ON suggestions (compound_id, answer_by);

CREATE TABLE IF NOT EXISTS supervision_notices (
    notice_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    addressed_to text NOT NULL,
    matter text NOT NULL,
    requirement text NOT NULL,
    issued_on date NOT NULL,
    rectify_by date NOT NULL,
    round integer NOT NULL DEFAULT 1,
    state text NOT NULL DEFAULT 'open',  -- open, reported, closed
    report text,
    reported_on date,
    note text,
    closed_at timestamptz
);
CREATE INDEX IF NOT EXISTS supervision_notices_by_compound ON supervision_notices (compound_id, rectify_by);

CREATE TABLE IF NOT EXISTS recommendations (
    recommendation_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    recommended_to text NOT NULL,
    candidates text[] NOT NULL,
    note text NOT NULL,
    recommended_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS evaluations (
    evaluation_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    evaluated text NOT NULL,
    title text NOT NULL,
    closes_on date NOT NULL,
    opened_at timestamptz NOT NULL,
    sheets integer NOT NULL DEFAULT 0,
    average numeric(4, 2),
    resident_sheets integer,
    member_sheets integer,
    verdict text,
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS evaluations_by_compound ON evaluations (compound_id, opened_at);

-- Each sheet's score (not its rater): what satisfaction and participation are counted from.
CREATE TABLE IF NOT EXISTS evaluation_scores (
    event_id uuid PRIMARY KEY,
    evaluation_id uuid NOT NULL,
    compound_id uuid NOT NULL,
    rater_kind text NOT NULL,
    score integer NOT NULL,
    scored_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluation_scores_by_compound ON evaluation_scores (compound_id, scored_at);
