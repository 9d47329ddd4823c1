-- County roles (docs/operations.md, "County roles"). Each county's role tongxin_county_<code>
-- (made by `county create`: Sources/Counties/CountyRoles.swift) is a member of tongxin_staff,
-- which holds what the staff commands need of the control schema: the registry and the rollups
-- to read (comparing counties is a feature), and the job queue's tables to enqueue and cancel
-- the workflow's clocks. The queue holds every county's jobs, so row-level security lets a
-- county role see and change only the rows of counties whose role it holds. The tables' owner
-- (the operator, the worker, migrations) is not subject to it (not FORCEd): the worker's
-- statements run as before. Nothing else is granted: not the outbox, not the exchange's keys,
-- not DELETE or TRUNCATE.

-- Roles belong to the server: the first database to run this makes it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tongxin_staff') THEN
        CREATE ROLE tongxin_staff NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- made meanwhile by another database's migration
END
$$;

-- The schema this file runs in (the runner sets the search_path).
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tongxin_staff', current_schema());
END
$$;

GRANT SELECT ON county, county_rollup, peer_rollup TO tongxin_staff;
GRANT SELECT, INSERT, UPDATE ON job, job_fairness TO tongxin_staff;

ALTER TABLE job ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_fairness ENABLE ROW LEVEL SECURITY;

-- A row is visible and writable when the current role holds (directly or through membership)
-- the role of the row's county; jobs of no county belong to the operator alone.
CREATE POLICY county_role ON job
    USING (coalesce(pg_catalog.pg_has_role(pg_catalog.to_regrole('tongxin_county_' || county)::oid, 'USAGE'), false))
    WITH CHECK (coalesce(pg_catalog.pg_has_role(pg_catalog.to_regrole('tongxin_county_' || county)::oid, 'USAGE'), false));

CREATE POLICY county_role ON job_fairness
    USING (coalesce(pg_catalog.pg_has_role(pg_catalog.to_regrole('tongxin_county_' || county)::oid, 'USAGE'), false))
    WITH CHECK (coalesce(pg_catalog.pg_has_role(pg_catalog.to_regrole('tongxin_county_' || county)::oid, 'USAGE'), false));
