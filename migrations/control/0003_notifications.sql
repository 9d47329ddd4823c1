-- The notification outbox: what the worker's jobs tell people (reminders, overdue notices,
-- escalations …), written in the same transaction as the job's other database effects, then
-- delivered by notification.deliver jobs through the configured sink (log, file, webhook).
-- The idempotency key names the event, so an event is written once whatever happens, and a
-- delivery that is repeated (a worker killed after delivering) carries the same key.
CREATE TABLE notification (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county          text NOT NULL CHECK (county ~ '^[a-z][a-z0-9_]{1,30}$'),
    kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,59}$'),
    -- A unit's or member's name, or the proposal office (提案委).
    recipient       text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 100),
    -- The proposal or micro-suggestion number.
    subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 40),
    message         text NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 300),
    -- When the event happened (the job's time: on a replayed clock, the replayed day).
    created_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    attempts        integer NOT NULL DEFAULT 0,
    delivered_at    timestamptz,
    -- The sink that delivered it: log, file or webhook.
    channel         text
);

CREATE INDEX notification_county ON notification (county, created_at);

-- Per-county figures of a year, kept fresh by the worker (stats.rollup); the cross-county
-- comparison reads these instead of every county's tables.
CREATE TABLE county_rollup (
    county      text NOT NULL CHECK (county ~ '^[a-z][a-z0-9_]{1,30}$'),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    -- The whole annual report.
    figures     jsonb NOT NULL,
    -- Just what the comparison reads (rates as [count, of]): small enough to stay in the row,
    -- so comparing thousands of counties decompresses nothing.
    compared    jsonb NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (county, year)
);

-- What the built-in `effect` job kind writes, one row per committed run: crash tests and
-- benchmarks count these rows to prove that a job's database work happens exactly once.
CREATE TABLE job_effect (
    job_id bigint NOT NULL,
    worker text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
