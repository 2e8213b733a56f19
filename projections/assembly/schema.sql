-- Votes of the owners' assembly, each with its latest published count and the rule behind it.
CREATE TABLE IF NOT EXISTS assembly_votes (
    vote_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    matter text NOT NULL,
    majority text NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    closes_on date NOT NULL,
    amount numeric(18, 2),
    company_id uuid,
    candidates text[] NOT NULL,
    stage text NOT NULL,  -- open, preliminary or final
    opened_at timestamptz NOT NULL,
    notice_ends date,  -- before it, the vote closes only once every owner was reached
    closed_at timestamptz,
    objections_end date,  -- the last day objections to the preliminary count may be lodged
    finalised_at timestamptz,
    total_area numeric(18, 2) NOT NULL,
    total_owners integer NOT NULL,
    voted_area numeric(18, 2),
    voted_owners integer,
    yes_area numeric(18, 2),
    yes_owners integer,
    no_area numeric(18, 2),
    no_owners integer,
    abstain_area numeric(18, 2),
    abstain_owners integer,
    valid boolean,
    passed boolean,
    reason text,
    counted_at timestamptz,
    count_occasion text,  -- closing, late_paper, recount, objection or final
    corrections integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS assembly_votes_by_compound ON assembly_votes (compound_id, opened_at, vote_id);

-- The electorate each vote froze: one row per owner (their units together), in the order of the roll.
CREATE TABLE IF NOT EXISTS vote_electors (
    vote_id uuid NOT NULL,
    position integer NOT NULL,
    compound_id uuid NOT NULL,
    owner text NOT NULL,
    units text NOT NULL,
    area numeric(18, 2) NOT NULL,
    delivered_by text,  -- how the owner's ballot was delivered: in_person, post or electronic
    delivered_on date,
    delivered_to text,
    PRIMARY KEY (vote_id, position)
);
CREATE INDEX IF NOT EXISTS vote_electors_by_owner ON vote_electors (vote_id, owner);

-- Every ballot, cast or corrected; an owner's counted choice is their latest.
CREATE TABLE IF NOT EXISTS ballots (
    receipt text PRIMARY KEY,
    vote_id uuid NOT NULL,
    version integer NOT NULL,
    compound_id uuid NOT NULL,
    owner text NOT NULL,
    area numeric(18, 2) NOT NULL,
    choice text NOT NULL,
    channel text NOT NULL,  -- online or paper
    kind text NOT NULL,  -- cast, late_paper, recount or objection
    reason text,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ballots_by_owner ON ballots (vote_id, owner, version);

-- Objections to a preliminary count (询异), each with the committee's answer.
CREATE TABLE IF NOT EXISTS vote_objections (
    vote_id uuid NOT NULL,
    number integer NOT NULL,
    compound_id uuid NOT NULL,
    owner text NOT NULL,
    unit text NOT NULL,  -- within its building: whose resident the objection is
    lodged_on date NOT NULL,
    objection text NOT NULL,
    upheld boolean,  -- null until answered
    answer text,
    answered_at timestamptz,
    PRIMARY KEY (vote_id, number)
);

-- Every step of every vote, in order: the timeline.
CREATE TABLE IF NOT EXISTS vote_steps (
    vote_id uuid NOT NULL,
    version integer NOT NULL,
    compound_id uuid NOT NULL,
    at timestamptz NOT NULL,
    step text NOT NULL,
    detail text NOT NULL,
    PRIMARY KEY (vote_id, version)
);
