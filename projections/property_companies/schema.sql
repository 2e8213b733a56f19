CREATE TABLE IF NOT EXISTS property_companies (
    company_id uuid PRIMARY KEY,
    name text NOT NULL,
    credit_code text NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS property_companies_by_name ON property_companies (name, company_id);
