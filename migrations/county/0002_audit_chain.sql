-- The audit log becomes a hash chain: each entry holds the hash of the one before, so an edited
-- or deleted entry is detected (`tongxin audit verify`). Hashes are computed by PostgreSQL over
-- a canonical text of the entry (see Sources/Workflow/AuditLog.swift), the same when written
-- and when verified.
ALTER TABLE audit_log ADD COLUMN prev_hash text;
ALTER TABLE audit_log ADD COLUMN hash text NOT NULL DEFAULT '';
