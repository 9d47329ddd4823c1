-- The head of the audit chain: one row with the newest entry's hash. An append updates this
-- row and inserts the entry in one statement: the row lock serializes the appends of a county,
-- and an update that waited sees the head its rival committed, so the chain has one order
-- without a separate lock statement (see Sources/Counties/AuditLog.swift).
CREATE TABLE audit_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    prev varchar(64),
    hash varchar(64)
);
INSERT INTO audit_head (hash) SELECT (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1);
