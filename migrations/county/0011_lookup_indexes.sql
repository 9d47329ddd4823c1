-- Indexes for the lookups the pages make by a foreign key, so that they stay index scans as a
-- county's years pile up (in a county of 8 sessions × 500 proposals a unit's inbox scanned all
-- 8,000 assignments and 4,000 proposals: 3 ms of the server's time per page).
-- Consultations and supervision records are few (a handful of proposals a year each), so their
-- tables are not indexed: every index makes creating a county a little slower.
-- Run by hand with: SET search_path TO county_<code>; \i 0011_lookup_indexes.sql
CREATE INDEX assignment_unit_idx ON assignment (unit_id) WHERE returned_at IS NULL;
CREATE INDEX co_opinion_assignment_idx ON co_opinion (assignment_id);
CREATE INDEX proposal_author_member_idx ON proposal_author (member_id);
CREATE INDEX micro_suggestion_member_idx ON micro_suggestion (member_id);
CREATE INDEX micro_suggestion_unit_idx ON micro_suggestion (unit_id) WHERE unit_id IS NOT NULL;
