-- Property service contracts, each on the resolution that hired its company.
CREATE TABLE IF NOT EXISTS service_contracts (
    contract_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    resolution_id uuid NOT NULL,
    company_id uuid NOT NULL,
    company_name text NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    fee_per_m2 numeric(18, 2) NOT NULL,
    registered_at timestamptz NOT NULL,
    terminated_on date,
    dismissal_resolution_id uuid,
    termination_reason text
);
CREATE INDEX IF NOT EXISTS service_contracts_by_compound ON service_contracts (compound_id, registered_at);

-- Terms of the owners' committee, each on the election that made it.
CREATE TABLE IF NOT EXISTS committee_terms (
    compound_id uuid NOT NULL,
    resolution_id uuid NOT NULL,
    members text[] NOT NULL,
    term_starts date NOT NULL,
    term_ends date NOT NULL,
    elected_at timestamptz NOT NULL,
    PRIMARY KEY (compound_id, resolution_id)
);

-- Maintenance-fund spending authorised by a resolution, and what was paid out against it.
CREATE TABLE IF NOT EXISTS fund_uses (
    use_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    resolution_id uuid NOT NULL,
    authorised numeric(18, 2) NOT NULL,
    purpose text NOT NULL,
    authorised_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS fund_disbursements (
    use_id uuid NOT NULL,
    version integer NOT NULL,
    compound_id uuid NOT NULL,
    amount numeric(18, 2) NOT NULL,
    payee text NOT NULL,
    paid_on date NOT NULL,
    borne_by text[],  -- the buildings that bear it; empty: the whole compound; null: recorded without shares
    PRIMARY KEY (use_id, version)
);

-- Property fees: one bill per household and period, with what has been paid of it.
CREATE TABLE IF NOT EXISTS fee_bills (
    bill_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    period text NOT NULL,
    household text NOT NULL,
    amount numeric(18, 2) NOT NULL,
    paid numeric(18, 2) NOT NULL DEFAULT 0,
    payments integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS fee_bills_by_period ON fee_bills (compound_id, period);

-- Who bears each disbursement: every unit of the buildings it names (of the compound if none), its
-- exclusive area and its share, the shares adding up to the amount.
CREATE TABLE IF NOT EXISTS fund_shares (
    use_id uuid NOT NULL,
    version integer NOT NULL,
    position integer NOT NULL,
    compound_id uuid NOT NULL,
    building text NOT NULL,
    unit text NOT NULL,
    owner text NOT NULL,
    area numeric(18, 2) NOT NULL,
    share numeric(18, 2) NOT NULL,
    PRIMARY KEY (use_id, version, position)
);
