-- One row per compound, filled from whichever body's events arrive first.
CREATE TABLE IF NOT EXISTS compounds (
    compound_id uuid PRIMARY KEY,
    name text,
    district text,
    street text,
    community text,
    households integer,
    residents integer,
    registered_at timestamptz
);
CREATE INDEX IF NOT EXISTS compounds_by_street ON compounds (district, street, name);

CREATE TABLE IF NOT EXISTS exclusive_units (
    unit_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    building text NOT NULL,
    unit text NOT NULL,
    exclusive_area numeric(18, 2) NOT NULL,
    owner text NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS exclusive_units_by_compound ON exclusive_units (compound_id);

-- The API remembers which compounds each auditor's area holds, and answers read from them and the
-- bodies each has; any change here (or to those bodies: the governance view's triggers) tells it
-- to forget (``CHANGED_CHANNEL`` in view.py). Only where the API reads: a version built beside the schema
-- serving, or a compound replayed for asOf, changes nothing it remembered (a switch announces
-- itself). Where nothing says what serves, every change is announced.
CREATE OR REPLACE FUNCTION compounds_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('projections.serving') IS NULL THEN
        PERFORM pg_notify('siwei_compounds_changed', '');
    ELSIF EXISTS (SELECT FROM projections.serving WHERE schema = TG_TABLE_SCHEMA) THEN
        PERFORM pg_notify('siwei_compounds_changed', '');
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER compounds_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON compounds
    FOR EACH STATEMENT EXECUTE FUNCTION compounds_changed();
