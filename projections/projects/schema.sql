-- The project ledger: one row per project of a residents' council, with its money.
CREATE TABLE IF NOT EXISTS projects (
    project_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    proposed_by text NOT NULL,
    proposed_at timestamptz NOT NULL,
    state text NOT NULL,
    plan text,
    budget numeric(18, 2),
    funding text,
    contributing_households integer,
    contribution_per_household numeric(18, 2),
    notice_posted_on date,
    notice_ends_on date,
    council_members integer,
    council_yes integer,
    voted_on date,
    contractor text,
    contract_amount numeric(18, 2),
    started_on date,
    completed_on date,
    accepted_on date,
    actual numeric(18, 2),
    savings numeric(18, 2),
    settled_on date,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_by_compound ON projects (compound_id, proposed_at, project_id);

-- Every step of every project, in order: the timeline.
CREATE TABLE IF NOT EXISTS project_steps (
    project_id uuid NOT NULL,
    version integer NOT NULL,
    compound_id uuid NOT NULL,
    at timestamptz NOT NULL,
    on_date date,  -- the date on paper the step records, if any
    step text NOT NULL,
    actor text NOT NULL,
    detail text,
    PRIMARY KEY (project_id, version)
);

CREATE TABLE IF NOT EXISTS project_bids (
    project_id uuid NOT NULL,
    number integer NOT NULL,
    bidder text NOT NULL,
    amount numeric(18, 2) NOT NULL,
    note text NOT NULL,
    PRIMARY KEY (project_id, number)
);

-- The council's votes on a project, member by member: the seats frozen at opening, and the count.
CREATE TABLE IF NOT EXISTS council_votes (
    project_id uuid NOT NULL,
    number integer NOT NULL,
    compound_id uuid NOT NULL,
    subject text NOT NULL,  -- plan or budget_amendment
    opened_on date NOT NULL,
    seats integer NOT NULL,
    budget numeric(18, 2),
    reason text NOT NULL,
    voted_on date,
    yes integer,
    no integer,
    abstain integer,
    absent integer,
    passed boolean,
    PRIMARY KEY (project_id, number)
);
CREATE TABLE IF NOT EXISTS council_vote_members (
    project_id uuid NOT NULL,
    number integer NOT NULL,
    position integer NOT NULL,
    compound_id uuid NOT NULL,
    member text NOT NULL,
    vote text,  -- yes, no, abstain or absent; null until recorded
    PRIMARY KEY (project_id, number, position)
);
