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
    state text NOT NULL,
    opened_at timestamptz NOT NULL,
    closed_at timestamptz,
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
    count_occasion text,  -- closing, late_paper or recount
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
    PRIMARY KEY (vote_id, position)
);

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
    kind text NOT NULL,  -- cast, late_paper or recount
    reason text,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ballots_by_owner ON ballots (vote_id, owner, version);
