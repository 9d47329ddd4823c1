-- Drafts (暂存) and 联名 confirmation: a member's proposal before it is filed. Its co-authors
-- are invited and each confirms (or declines) on their own page; the lead files it once every
-- co-author has answered. A draft has no number and counts in no figure: only the filed
-- proposal does.
-- Run by hand with: SET search_path TO county_<code>; \i 0008_drafts.sql
CREATE TABLE proposal_draft (
    id          bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    lead_id     bigint NOT NULL REFERENCES member (id),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body        text NOT NULL DEFAULT '',
    category    text NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'discarded')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    proposal_id bigint REFERENCES proposal (id)
);
CREATE INDEX proposal_draft_lead_idx ON proposal_draft (lead_id);
CREATE TABLE draft_cosigner (
    draft_id    bigint NOT NULL REFERENCES proposal_draft (id),
    member_id   bigint NOT NULL REFERENCES member (id),
    state       text NOT NULL DEFAULT 'invited' CHECK (state IN ('invited', 'confirmed', 'declined')),
    invited_at  timestamptz NOT NULL,
    answered_at timestamptz,
    PRIMARY KEY (draft_id, member_id)
);
CREATE INDEX draft_cosigner_member_idx ON draft_cosigner (member_id);
