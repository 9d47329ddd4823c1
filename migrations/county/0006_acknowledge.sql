-- 签收: a handling unit acknowledges receipt of its assignment (a workflow step of its own,
-- audited; the unit's inbox counts what it has not acknowledged yet).
-- Run by hand with: SET search_path TO county_<code>; \i 0006_acknowledge.sql
ALTER TABLE assignment ADD COLUMN acknowledged_at timestamptz;
