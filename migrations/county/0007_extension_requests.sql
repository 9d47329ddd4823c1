-- Extension requests: a handling unit asks for a later deadline (with its reason); the office
-- approves (`proposal extend`, which moves the deadline) or refuses it. One pending request per
-- assignment.
-- Run by hand with: SET search_path TO county_<code>; \i 0007_extension_requests.sql
CREATE TABLE extension_request (
    id            bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    assignment_id bigint NOT NULL REFERENCES assignment (id),
    until         date NOT NULL,
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    requested_at  timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused')),
    decided_at    timestamptz,
    note          text
);
CREATE UNIQUE INDEX extension_request_pending_idx ON extension_request (assignment_id) WHERE state = 'pending';
