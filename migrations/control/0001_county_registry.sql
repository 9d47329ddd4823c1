-- The county registry: one row per county committee; its tables live in schema_name.
-- Run by hand with: SET search_path TO tongxin; \i 0001_county_registry.sql
CREATE TABLE county (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    region      text CHECK (region IS NULL OR length(region) BETWEEN 1 AND 200),
    schema_name text NOT NULL UNIQUE,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX county_status_idx ON county (status, code);
