-- The job queue: one for every county (each job carries its county's code, no foreign key).
-- Workers claim due jobs in batches with FOR UPDATE SKIP LOCKED, hold them under a lease that
-- they renew, and complete them (a job whose work is in the database completes in the same
-- transaction as that work). See docs/architecture.md, "The job queue".
CREATE TABLE job (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z][a-z0-9_-]{0,39}$'),
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,59}$'),
    -- The county the job works for (NULL: the whole deployment).
    county       text CHECK (county ~ '^[a-z][a-z0-9_]{1,30}$'),
    args         jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Lower runs first; 0 is the default.
    priority     smallint NOT NULL DEFAULT 0,
    -- Not before this time (the workflow's clock: real time, or a replayed one).
    run_at       timestamptz NOT NULL,
    -- When it was scheduled for (enqueue, or a watcher's snooze): unlike run_at, not moved by
    -- a failure's backoff or a retry, so a watcher still does the milestone it was due for.
    scheduled_at timestamptz,
    -- Order among due jobs: run_at plus the county's backlog (job_fairness), so one county's
    -- flood cannot starve the others.
    fair_at      timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'available'
                 CHECK (state IN ('available', 'running', 'completed', 'cancelled', 'dead')),
    attempt      integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 100),
    -- At most one job per key, whatever its state (until finished jobs are pruned).
    dedupe_key   text CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    -- The worker holding a running job, and until when (renewed by its heartbeats).
    worker       text,
    lease_until  timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- What workers claim: due jobs in order.
CREATE INDEX job_due ON job (priority, fair_at) WHERE state = 'available';
-- Leases to rescue when a worker stops renewing them. (Not "WHERE state = 'running'": then
-- the planner would scan this index for completions, which name state = 'running', instead
-- of looking the completed ids up by primary key.)
CREATE INDEX job_leased ON job (lease_until) WHERE lease_until IS NOT NULL;
CREATE UNIQUE INDEX job_dedupe ON job (dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Per county, how far its enqueued jobs reach in the fair order: each job moves next_at one
-- quantum (1 ms) on. A job's fair_at is its run_at plus the county's backlog then (next_at
-- minus now), so a county that enqueues many jobs at once has them spread behind the jobs other
-- counties enqueue meanwhile, while a county without a backlog keeps its run_at order.
CREATE TABLE job_fairness (
    county  text PRIMARY KEY,
    next_at timestamptz NOT NULL
);

-- Raised inside a completion statement when a worker no longer holds every job it completes
-- (its lease expired and another worker took the job): the whole transaction rolls back, so a
-- job's database work happens once.
CREATE FUNCTION job_lease_check(held bigint, expected bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF held <> expected THEN
        RAISE EXCEPTION 'lease lost: % of % jobs are no longer held by this worker', expected - held, expected
            USING ERRCODE = 'TXL01';
    END IF;
    RETURN held;
END
$$;
