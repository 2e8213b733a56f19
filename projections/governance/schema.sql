-- Which bodies each compound has, filled from the four bodies' own events in any order.
CREATE TABLE IF NOT EXISTS compound_bodies (
    compound_id uuid PRIMARY KEY,
    branch_id uuid,  -- the branch leading it now; null when it has none
    committee_members text[],
    committee_term_ends date,
    committee_dissolved_on date,
    property_company_id uuid,  -- the company serving it now; null when none does
    property_company_name text,
    property_basis text,
    property_since date,
    property_fee_per_m2 numeric(18, 2)  -- what a preliminary or interim basis declared; a contract sets its own
);
CREATE INDEX IF NOT EXISTS compound_bodies_by_branch ON compound_bodies (branch_id);

-- Every company's service of every compound, from its taking up to its handing over (null while
-- it serves): what a company's grade counts over.
CREATE TABLE IF NOT EXISTS property_services (
    event_id uuid PRIMARY KEY,  -- the ServiceTakenUp
    compound_id uuid NOT NULL,
    company_id uuid NOT NULL,
    company_name text NOT NULL,
    since date NOT NULL,
    until date
);
CREATE INDEX IF NOT EXISTS property_services_by_company ON property_services (company_id, since);
CREATE INDEX IF NOT EXISTS property_services_by_compound ON property_services (compound_id, since);

-- N-in-one: other bodies attached to the compound's governance.
CREATE TABLE IF NOT EXISTS attached_bodies (
    compound_id uuid NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    attached_at timestamptz NOT NULL,
    PRIMARY KEY (compound_id, kind, name)
);

CREATE TABLE IF NOT EXISTS branches (
    branch_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,  -- where it was established
    name text NOT NULL,
    mode text NOT NULL,
    affiliated_to text,
    established_at timestamptz NOT NULL,
    dissolved_on date,
    dissolution_reason text,
    secretary uuid,
    committee uuid[] NOT NULL DEFAULT '{}'
);

CREATE TABLE IF NOT EXISTS branch_members (
    member_id uuid PRIMARY KEY,
    branch_id uuid NOT NULL,
    compound_id uuid NOT NULL,  -- where the member lives
    name text NOT NULL,  -- personal data
    building text NOT NULL,
    kind text NOT NULL,
    organisation text NOT NULL,
    reported_on date NOT NULL,
    reported_event_id uuid NOT NULL,
    left_on date,
    how_left text,
    destination text,
    group_id uuid,
    central_households integer  -- households a central household (党员中心户) looks after
);
CREATE INDEX IF NOT EXISTS branch_members_by_branch ON branch_members (branch_id, compound_id);

CREATE TABLE IF NOT EXISTS building_groups (
    group_id uuid PRIMARY KEY,
    branch_id uuid NOT NULL,
    compound_id uuid NOT NULL,
    building text NOT NULL,
    leader uuid NOT NULL,
    formed_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS cross_appointments (
    event_id uuid PRIMARY KEY,  -- the branch's record of the seat
    branch_id uuid NOT NULL,
    member_id uuid NOT NULL,
    seated_body text NOT NULL,
    seat text NOT NULL,
    since date NOT NULL,
    ended_on date
);

-- The residents' council as the residents' group records it.
CREATE TABLE IF NOT EXISTS council_members (
    compound_id uuid NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    joined_on date NOT NULL,
    left_on date,
    PRIMARY KEY (compound_id, name, joined_on)
);

-- Each registered compound with the bodies it has now (双无: neither a property company nor an
-- owners' committee). A committee is in office until its term ends or it is dissolved. Today is
-- a subquery: reckoned once a statement, not once a row (a street's coverage, 100 compounds: a
-- fifth of PostgreSQL's time).
CREATE OR REPLACE VIEW compound_shapes AS
    SELECT c.*, b.branch_id, b.name AS branch_name, b.mode AS branch_mode, b.affiliated_to AS branch_affiliated_to,
           b.established_at AS branch_established_at, b.secretary AS branch_secretary,
           b.committee AS branch_committee, b.compound_id AS branch_home,
           cb.committee_members, cb.committee_term_ends,
           cb.property_company_id, cb.property_company_name, cb.property_basis, cb.property_since,
           cb.property_fee_per_m2, b.branch_id IS NOT NULL AS has_branch,
           coalesce(cb.committee_dissolved_on IS NULL
                    AND cb.committee_term_ends >= (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date), false)
             AS has_owners_committee,
           cb.property_company_id IS NOT NULL AS has_property
    FROM compounds c
    LEFT JOIN compound_bodies cb USING (compound_id)
    LEFT JOIN branches b ON b.branch_id = cb.branch_id;

-- The API remembers answers read from this view (an area's coverage): a change to which bodies a
-- compound has is announced as a change to the compounds is (``compounds_changed`` in the
-- compounds' schema.sql). A branch's own details are not in what it remembers.
CREATE OR REPLACE TRIGGER compound_bodies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON compound_bodies
    FOR EACH STATEMENT EXECUTE FUNCTION compounds_changed();
CREATE OR REPLACE TRIGGER branches_changed AFTER INSERT OR DELETE OR TRUNCATE ON branches
    FOR EACH STATEMENT EXECUTE FUNCTION compounds_changed();
