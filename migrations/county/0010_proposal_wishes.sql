-- What the member asks for when filing: the units they would like to handle it (the office
-- decides) and whether it may be published (公开), on the proposal and on its draft.
-- Run by hand with: SET search_path TO county_<code>; \i 0010_proposal_wishes.sql
ALTER TABLE proposal ADD COLUMN preferred_units text[] NOT NULL DEFAULT '{}', ADD COLUMN publication_consent boolean NOT NULL DEFAULT false;
ALTER TABLE proposal_draft ADD COLUMN preferred_units text[] NOT NULL DEFAULT '{}', ADD COLUMN publication_consent boolean NOT NULL DEFAULT false;
