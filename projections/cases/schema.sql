-- One row per case, joined across the residents, the branch and the property company.
CREATE TABLE IF NOT EXISTS cases (
    case_id uuid PRIMARY KEY,
    compound_id uuid,
    category text,
    description text,
    location text,
    building text,  -- the building and the common area the location names (services.common.places)
    area text,
    place text,  -- both, what repeats are matched on
    photo_ref text,
    urgency text,
    raised_by text,  -- the resident principal, personal data
    raised_at timestamptz,
    due_at timestamptz,
    respond_by timestamptz,  -- by when the first answer was due (its response time)
    first_contact_at timestamptz,  -- the first dispatch, acceptance or refusal
    state text NOT NULL DEFAULT 'raised',
    -- The step the state is that of: the latest that changes it, by when, its aggregate's version
    -- and its id (steps of different bodies arrive in any order).
    state_at timestamptz,
    state_version bigint,
    state_event uuid,
    taker text,
    assignee text,
    dispatches integer NOT NULL DEFAULT 0,
    accepted_at timestamptz,
    resolved_at timestamptz,
    score integer,  -- the latest rating (every one is in case_ratings)
    comment text,
    rated_at timestamptz,
    reopened boolean NOT NULL DEFAULT false,
    escalated_to text,
    mediation_outcome text,  -- agreement, partial or failed_referred, for disputes
    withdrawn_at timestamptz
);
CREATE INDEX IF NOT EXISTS cases_by_compound ON cases (compound_id, raised_at, case_id);
CREATE INDEX IF NOT EXISTS cases_by_place ON cases (compound_id, category, place, raised_at);

-- Every rating of every case, the one that reopened it included: what satisfaction is counted over.
CREATE TABLE IF NOT EXISTS case_ratings (
    event_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    compound_id uuid NOT NULL,
    score integer NOT NULL,
    rated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS case_ratings_by_case ON case_ratings (case_id);
CREATE INDEX IF NOT EXISTS case_ratings_by_compound ON case_ratings (compound_id, rated_at);

-- Every step of every case, whichever body took it: the timeline.
CREATE TABLE IF NOT EXISTS case_steps (
    event_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    at timestamptz NOT NULL,
    version bigint NOT NULL,  -- the aggregate's version: orders one body's steps taken together
    body text NOT NULL,
    step text NOT NULL,
    actor text NOT NULL,
    state_after text,  -- the case's state after this step; null for a body noting another's step
    detail text
);
CREATE INDEX IF NOT EXISTS case_steps_by_case ON case_steps (case_id, at, version);

-- The timeline with what its readers' rights depend on: the compound and the resident.
CREATE OR REPLACE VIEW case_timeline AS
    SELECT s.*, c.compound_id, c.raised_by,
           extract(epoch FROM s.at - lag(s.at) OVER (PARTITION BY s.case_id ORDER BY s.at, s.version))
             / 3600 AS hours_since_previous
    FROM case_steps s JOIN cases c USING (case_id);
