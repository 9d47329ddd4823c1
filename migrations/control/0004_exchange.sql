-- Exchange between deployments: the public keys this deployment trusts, and the peer figures
-- imported from their signed bundles (aggregated metrics only; the comparison shows them as
-- external).
CREATE TABLE exchange_trust (
    name       text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    -- Ed25519, 32 bytes, base64.
    public_key text NOT NULL UNIQUE CHECK (length(public_key) = 44),
    added_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE peer_rollup (
    -- The trusted key's name that signed it.
    source      text NOT NULL,
    county      text NOT NULL CHECK (county ~ '^[a-z][a-z0-9_]{1,30}$'),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    county_name text NOT NULL CHECK (length(county_name) BETWEEN 1 AND 100),
    figures     jsonb NOT NULL,
    exported_at timestamptz NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, county, year)
);
