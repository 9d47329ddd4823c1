-- Accounts: the people of each county (members, handling units, staff, supervisors, leaders)
-- and the deployment's operators (docs/operations.md, "Accounts"). In the control schema: a
-- leader may read several counties and a sign-in finds its account by login alone. A member's
-- or unit's account names it by its id in the county's schema: no foreign key crosses schemas
-- (Citus rule 4); `account add` checks the id in the same transaction.
-- Run by hand with: SET search_path TO tongxin; \i 0006_accounts.sql
CREATE TABLE account (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login               text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    role                text NOT NULL CHECK (role IN ('member', 'unit', 'staff', 'supervisor', 'leader', 'operator')),
    counties            text[] NOT NULL DEFAULT '{}',
    member_id           bigint,
    unit_id             bigint,
    display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    db_login            text UNIQUE CHECK (db_login IS NULL OR length(db_login) BETWEEN 1 AND 63),
    password_hash       text,
    must_change         boolean NOT NULL DEFAULT true,
    reset_code_hash     text,
    reset_expires_at    timestamptz,
    disabled_at         timestamptz,
    failed_count        int NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    password_changed_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'operator') = (cardinality(counties) = 0)),
    CHECK (role = 'leader' OR cardinality(counties) <= 1),
    CHECK ((role = 'member') = (member_id IS NOT NULL)),
    CHECK ((role = 'unit') = (unit_id IS NOT NULL))
);

CREATE INDEX account_counties_idx ON account USING gin (counties);

-- Web sessions: the token is 256 random bits the browser holds; only its SHA-256 is kept.
CREATE TABLE account_session (
    token_hash   text PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES account (id),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    source       text,
    user_agent   text
);

CREATE INDEX account_session_account_idx ON account_session (account_id, created_at);

-- Failed sign-ins by source address: a source that keeps failing is slowed.
CREATE TABLE signin_source (
    source       text PRIMARY KEY,
    failures     int NOT NULL DEFAULT 0,
    first_at     timestamptz NOT NULL,
    slowed_until timestamptz
);

-- What was done to accounts, by whom (never a password or a code).
CREATE TABLE account_event (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    account_id bigint NOT NULL REFERENCES account (id),
    actor      text NOT NULL,
    action     text NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX account_event_account_idx ON account_event (account_id, id);

-- The deployment's password policy: argon2id's cost (raised: hashes are upgraded at the next
-- sign-in), the lock after failed sign-ins.
CREATE TABLE account_policy (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    hash_ops     int NOT NULL DEFAULT 2 CHECK (hash_ops BETWEEN 1 AND 20),
    hash_mem_kib int NOT NULL DEFAULT 65536 CHECK (hash_mem_kib BETWEEN 8 AND 4194304),
    lock_after   int NOT NULL DEFAULT 5 CHECK (lock_after BETWEEN 1 AND 100),
    lock_minutes int NOT NULL DEFAULT 15 CHECK (lock_minutes BETWEEN 1 AND 1440)
);

INSERT INTO account_policy DEFAULT VALUES;

-- A county's purpose: replaying a year (`demo fill --replay`, steps at any time) is allowed only
-- in demo and training counties, by the operator.
ALTER TABLE county ADD COLUMN purpose text NOT NULL DEFAULT 'live' CHECK (purpose IN ('live', 'demo', 'training'));

-- The account a PostgreSQL login acts as in the CLI (`db_login`), for logins that may not read
-- the account table (county roles): the caller's own row only, never a hash.
DO $$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION %1$I.my_account()
        RETURNS TABLE (id bigint, login text, role text, counties text[], member_id bigint, unit_id bigint, disabled boolean)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp
        AS 'SELECT id, login, role, counties, member_id, unit_id, disabled_at IS NOT NULL FROM %1$I.account WHERE db_login = session_user'
        $f$, current_schema());
    EXECUTE format('REVOKE ALL ON FUNCTION %I.my_account() FROM PUBLIC', current_schema());
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.my_account() TO tongxin_staff', current_schema());
END
$$;
