-- The proposal workflow's tables (see ../shared/domain.md). The state machine in
-- Sources/Workflow decides every transition; these constraints are the second line.
-- Foreign keys stay inside the county's schema (Citus: no keys between schemas).
-- Cheap to create (counties are made by the thousand): one id sequence for the schema's
-- tables instead of one each, varchar for short names and codes (no TOAST table where a row
-- cannot grow large), few indexes beyond the keys.

CREATE SEQUENCE id_seq;

CREATE TABLE sector (
    id      bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    name    varchar(100) NOT NULL UNIQUE CHECK (length(name) >= 1)
);

CREATE TABLE member (
    id        bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    name      varchar(100) NOT NULL CHECK (length(name) >= 1),
    sector_id bigint REFERENCES sector (id),
    active    boolean NOT NULL DEFAULT true,
    UNIQUE (name)
);

CREATE TABLE unit (
    id     bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    name   varchar(100) NOT NULL UNIQUE CHECK (length(name) >= 1),
    kind   varchar(20) NOT NULL DEFAULT 'department' CHECK (kind IN ('department', 'state_company', 'other')),
    active boolean NOT NULL DEFAULT true
);

-- 届次会议: the annual plenary, e.g. 十届七次会议 in 2021.
CREATE TABLE session (
    id        bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    year      int NOT NULL CHECK (year BETWEEN 1949 AND 9999),
    name      varchar(100) NOT NULL CHECK (length(name) >= 1),
    opened_on date NOT NULL,
    closed_on date,
    -- The last proposal number given in this session (numbers are handed out under its row lock).
    last_number int NOT NULL DEFAULT 0 CHECK (last_number BETWEEN 0 AND 9999),
    UNIQUE (year)
);

-- Days off on weekdays and working weekends (调休), for working-day deadlines.
CREATE TABLE calendar_day (
    day  date PRIMARY KEY,
    kind varchar(7) NOT NULL CHECK (kind IN ('holiday', 'workday'))
);

CREATE TABLE proposal (
    id                 bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    session_id         bigint NOT NULL REFERENCES session (id),
    number             text NOT NULL UNIQUE CHECK (number ~ '^[0-9]{4}-([0-9]{3}|[1-9][0-9]{3})$'),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body               text NOT NULL DEFAULT '',
    category           text NOT NULL CHECK (category IN ('economy', 'urban_rural', 'livelihood', 'education_culture',
                                                         'ecology', 'agriculture', 'politics_law', 'other')),
    local_category     text,
    kind               text NOT NULL CHECK (kind IN ('individual', 'joint', 'sector', 'committee')),
    filed_during       text NOT NULL DEFAULT 'session' CHECK (filed_during IN ('session', 'between_sessions')),
    status             text NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'returned', 'withdrawn', 'declined',
                           'converted', 'merged', 'registered', 'assigned', 'replied', 'rehandling', 'closed')),
    round              int NOT NULL DEFAULT 1 CHECK (round IN (1, 2)),
    decline_reason     text CHECK (decline_reason IN ('state_secret', 'personal_matter', 'in_litigation', 'product_promotion',
                           'accusation', 'no_concrete_proposal', 'outside_competence', 'other')),
    merged_into        bigint REFERENCES proposal (id),
    is_key             boolean NOT NULL DEFAULT false,
    supervisor         text,
    needs_consultation boolean NOT NULL DEFAULT false,
    filed_at           timestamptz NOT NULL,
    registered_at      timestamptz,
    closed_at          timestamptz,
    updated_at         timestamptz NOT NULL,
    CHECK ((status = 'declined') = (decline_reason IS NOT NULL)),
    CHECK ((status = 'merged') = (merged_into IS NOT NULL))
);
-- No index on status: status changes stay HOT updates; a county's proposals are few.
CREATE INDEX proposal_merged_idx ON proposal (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE proposal_author (
    proposal_id bigint NOT NULL REFERENCES proposal (id),
    member_id   bigint NOT NULL REFERENCES member (id),
    lead        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (proposal_id, member_id)
);
CREATE UNIQUE INDEX proposal_author_one_lead ON proposal_author (proposal_id) WHERE lead;

CREATE TABLE assignment (
    id          bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    proposal_id bigint NOT NULL REFERENCES proposal (id),
    unit_id     bigint NOT NULL REFERENCES unit (id),
    role        varchar(8) NOT NULL CHECK (role IN ('lead', 'co', 'parallel')),
    assigned_at timestamptz NOT NULL,
    due_on      date NOT NULL,
    extended    boolean NOT NULL DEFAULT false,
    returned_at timestamptz,
    replied_at  timestamptz
);
CREATE INDEX assignment_proposal_idx ON assignment (proposal_id);
CREATE UNIQUE INDEX assignment_active_unit ON assignment (proposal_id, unit_id) WHERE returned_at IS NULL;
CREATE UNIQUE INDEX assignment_one_lead ON assignment (proposal_id) WHERE role = 'lead' AND returned_at IS NULL;

CREATE TABLE reply (
    id            bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    assignment_id bigint NOT NULL REFERENCES assignment (id),
    round         int NOT NULL CHECK (round IN (1, 2)),
    category      text NOT NULL CHECK (category IN ('A', 'B', 'C', 'D')),
    text          text NOT NULL,
    replied_at    timestamptz NOT NULL,
    -- The deadline in force when the reply came (re-handling sets a new one on the assignment).
    due_on        date NOT NULL,
    UNIQUE (assignment_id, round)
);

-- A co-handling unit's view, sent to the lead unit.
CREATE TABLE co_opinion (
    id            bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    assignment_id bigint NOT NULL REFERENCES assignment (id),
    text          text NOT NULL,
    sent_at       timestamptz NOT NULL
);

CREATE TABLE evaluation (
    id             bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    member_id      bigint NOT NULL REFERENCES member (id),
    round          int NOT NULL CHECK (round IN (1, 2)),
    rating         text NOT NULL CHECK (rating IN ('satisfied', 'basic', 'unsatisfied')),
    process_rating text CHECK (process_rating IN ('satisfied', 'basic', 'unsatisfied')),
    comment        text,
    evaluated_at   timestamptz NOT NULL,
    UNIQUE (proposal_id, member_id, round)
);

-- The face-to-face consultation after an unsatisfied second round.
CREATE TABLE consultation (
    id          bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    proposal_id bigint NOT NULL REFERENCES proposal (id),
    held_on     date NOT NULL,
    outcome     text NOT NULL
);

-- 督办 of key proposals: meetings, site visits, led by a named leader.
CREATE TABLE supervision (
    id          bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    proposal_id bigint NOT NULL REFERENCES proposal (id),
    supervisor  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('meeting', 'site_visit', 'other')),
    held_on     date NOT NULL,
    note        text NOT NULL DEFAULT ''
);

CREATE TABLE micro_suggestion (
    id          bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    number      text NOT NULL UNIQUE,
    member_id   bigint NOT NULL REFERENCES member (id),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body        text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'routed', 'replied', 'closed', 'rejected')),
    unit_id     bigint REFERENCES unit (id),
    filed_at    timestamptz NOT NULL,
    routed_at   timestamptz,
    due_on      date,
    replied_at  timestamptz,
    reply_text  text,
    rating      text CHECK (rating IN ('satisfied', 'basic', 'unsatisfied')),
    updated_at  timestamptz NOT NULL
);

-- Online events, duty days, studios opened, supervision groups on units, exchange visits.
CREATE TABLE activity (
    id             bigint PRIMARY KEY DEFAULT nextval('id_seq'),
    kind           text NOT NULL CHECK (kind IN ('online_event', 'duty_day', 'studio_opened', 'supervision_group',
                                                 'visit_hosted', 'visit_made')),
    happened_on    date NOT NULL,
    member_id      bigint REFERENCES member (id),
    unit_id        bigint REFERENCES unit (id),
    peer_committee text,
    days           int NOT NULL DEFAULT 1 CHECK (days BETWEEN 1 AND 366),
    note           text NOT NULL DEFAULT '',
    CHECK (kind NOT IN ('visit_hosted', 'visit_made') OR peer_committee IS NOT NULL),
    CHECK (kind <> 'supervision_group' OR unit_id IS NOT NULL)
);
