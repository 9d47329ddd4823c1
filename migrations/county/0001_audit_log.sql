-- Every state change of a proposal or suggestion lands here, with who and when.
-- Append-only: county roles get INSERT and SELECT only (no triggers: see docs/architecture.md).
-- Run by hand with: SET search_path TO county_<code>; \i 0001_audit_log.sql
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    action      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);
