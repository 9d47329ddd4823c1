-- The reply's letterhead (复文: 文号, 签发人, contact person and phone) and reply review: when the
-- county's setting reply_review is on, a unit's reply waits in reply_submission until a
-- supervisor (or the office) approves it, possibly correcting its A–D category, or sends it
-- back; only an approved reply enters `reply` and reaches the member.
-- Run by hand with: SET search_path TO county_<code>; \i 0009_reply_review.sql
ALTER TABLE reply ADD COLUMN document_number text, ADD COLUMN signer text, ADD COLUMN contact_person text,
    ADD COLUMN contact_phone text, ADD COLUMN reviewed_by text, ADD COLUMN reviewed_at timestamptz, ADD COLUMN original_category text;
CREATE TABLE reply_submission (
    id              bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    assignment_id   bigint NOT NULL REFERENCES assignment (id),
    round           int NOT NULL CHECK (round IN (1, 2)),
    category        text NOT NULL CHECK (category IN ('A', 'B', 'C', 'D')),
    text            text NOT NULL,
    document_number text,
    signer          text,
    contact_person  text,
    contact_phone   text,
    submitted_at    timestamptz NOT NULL,
    due_on          date NOT NULL,
    entered_by      text,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'returned')),
    decided_at      timestamptz,
    decided_by      text,
    note            text
);
CREATE UNIQUE INDEX reply_submission_pending_idx ON reply_submission (assignment_id) WHERE state = 'pending';
