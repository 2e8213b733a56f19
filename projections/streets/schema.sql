-- What each street's office decided: the weights of its figures, from a period on, and the problem
-- it took up each month (每月一题).
CREATE TABLE IF NOT EXISTS street_weights (
    event_id uuid PRIMARY KEY,
    street text NOT NULL,
    since text NOT NULL,  -- a period: the weights apply to it and after
    since_day date NOT NULL,  -- its first day
    response numeric NOT NULL,
    resolution numeric NOT NULL,
    satisfaction numeric NOT NULL,
    set_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS street_weights_by_street ON street_weights (street, since_day, set_at);

CREATE TABLE IF NOT EXISTS monthly_problems (
    event_id uuid PRIMARY KEY,
    street text NOT NULL,
    period text NOT NULL,
    category text NOT NULL,
    area text NOT NULL,
    title text NOT NULL,
    decision text NOT NULL,
    chosen_at timestamptz NOT NULL,
    UNIQUE (street, period)
);
