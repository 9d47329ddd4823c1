-- Honest clocks and people (issue 15): every audit entry keeps the server's clock when it was
-- recorded beside the step's effective time, and who typed it when that is not the actor (an
-- operator acting for an account, staff entering a paper form). Entries made before have
-- neither (NULL): their hashes are unchanged (concat_ws skips NULLs, see AuditLog.swift).
-- Replies and ratings keep the server's clock too, and a rating entered from paper says so.
-- Run by hand with: SET search_path TO county_<code>; \i 0005_honest_clocks.sql
ALTER TABLE audit_log ADD COLUMN recorded_at timestamptz;
ALTER TABLE audit_log ALTER COLUMN recorded_at SET DEFAULT now();
ALTER TABLE audit_log ADD COLUMN entered_by text;
ALTER TABLE reply ADD COLUMN recorded_at timestamptz;
ALTER TABLE reply ALTER COLUMN recorded_at SET DEFAULT now();
ALTER TABLE reply ADD COLUMN entered_by text;
ALTER TABLE evaluation ADD COLUMN recorded_at timestamptz;
ALTER TABLE evaluation ALTER COLUMN recorded_at SET DEFAULT now();
ALTER TABLE evaluation ADD COLUMN entered_by text;
ALTER TABLE micro_suggestion ADD COLUMN rating_entered_by text;
