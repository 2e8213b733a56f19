CREATE TABLE IF NOT EXISTS organisations (
    organisation_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS organisations_by_compound ON organisations (compound_id, name, organisation_id);

CREATE TABLE IF NOT EXISTS claims (
    claim_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    kind text NOT NULL,
    state text NOT NULL,
    published_at timestamptz NOT NULL,
    organisation_id uuid,
    organisation text,
    organisation_kind text,
    claimed_at timestamptz,
    report text,
    solved_at timestamptz
);
CREATE INDEX IF NOT EXISTS claims_by_compound ON claims (compound_id, published_at, claim_id);
