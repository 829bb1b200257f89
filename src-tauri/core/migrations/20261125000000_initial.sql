-- Box Connector's local store. Timestamps are INTEGER unix seconds (UTC).
-- Secrets (tokens, client secrets) never go here: they live in the OS keychain.

-- Plain settings: selected data center, custom profile URLs and client id.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row per connection to a Box enterprise (or any OAuth 2.0 server).
-- The matching tokens are keychain entries keyed by `id`.
CREATE TABLE connections (
    id                       TEXT PRIMARY KEY NOT NULL,
    datacenter_id            TEXT NOT NULL,
    client_id                TEXT NOT NULL,
    authorize_url            TEXT NOT NULL,
    token_url                TEXT NOT NULL,
    revoke_url               TEXT NOT NULL,
    api_url                  TEXT NOT NULL,
    account_id               TEXT,
    account_login            TEXT,
    account_name             TEXT,
    role                     TEXT,
    enterprise_id            TEXT,
    enterprise_name          TEXT,
    state                    TEXT NOT NULL
        CHECK (state IN ('connected', 'needs_reconnect', 'disconnected')),
    -- Why the connection left `connected` (e.g. Box's invalid_grant text).
    state_reason             TEXT,
    connected_at             INTEGER NOT NULL,
    access_token_expires_at  INTEGER,
    refresh_token_issued_at  INTEGER,
    last_success_at          INTEGER,
    updated_at               INTEGER NOT NULL
);
CREATE INDEX connections_by_datacenter ON connections (datacenter_id, updated_at);

-- One API test (the checklist) and its checks, kept so results show offline.
CREATE TABLE api_test_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    -- Worst status of the checks once finished; NULL while running.
    outcome       TEXT CHECK (outcome IN ('pass', 'warn', 'fail'))
);
CREATE INDEX api_test_runs_by_connection ON api_test_runs (connection_id, started_at);

CREATE TABLE api_test_checks (
    run_id     INTEGER NOT NULL REFERENCES api_test_runs (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    check_id   TEXT NOT NULL,
    label      TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pass', 'warn', 'fail')),
    detail     TEXT,
    box_error  TEXT,
    fix        TEXT,
    PRIMARY KEY (run_id, position)
);

-- Every Box API call, for connection health. Pruned to a retention window.
CREATE TABLE api_calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT,
    at            INTEGER NOT NULL,
    method        TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    -- HTTP status; NULL when no response arrived (network error, timeout).
    status        INTEGER,
    latency_ms    INTEGER NOT NULL,
    rate_limited  INTEGER NOT NULL DEFAULT 0 CHECK (rate_limited IN (0, 1)),
    error_code    TEXT
);
CREATE INDEX api_calls_by_time ON api_calls (at);
