-- Governance: every action the admin confirms (the audit log), bulk
-- batches, quarantined items, policies and the alerts they raise.
-- The audit log is not tied to a connection's lifetime: it is kept when a
-- connection is retired and when findings close.

CREATE TABLE action_batches (
    batch_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    kind          TEXT NOT NULL,
    -- The findings filter the batch was built from (JSON).
    filter        TEXT NOT NULL,
    total         INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER
);

CREATE TABLE audit_log (
    audit_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    batch_id      INTEGER REFERENCES action_batches (batch_id),
    policy_id     INTEGER,
    actor         TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    finished_at   INTEGER,
    kind          TEXT NOT NULL,
    item_type     TEXT NOT NULL CHECK (item_type IN ('file', 'folder')),
    item_id       TEXT NOT NULL,
    item_name     TEXT,
    item_path     TEXT,
    owner_id      TEXT,
    owner_login   TEXT,
    acting_as     TEXT,
    state         TEXT NOT NULL
        CHECK (state IN ('pending', 'sending', 'done', 'unchanged', 'refused', 'failed')),
    -- The ActionRequest, the previewed changes and the steps to send (JSON).
    request       TEXT NOT NULL,
    changes       TEXT NOT NULL,
    steps         TEXT NOT NULL DEFAULT '[]',
    -- Steps Box has confirmed; a restart resumes after them.
    steps_done    INTEGER NOT NULL DEFAULT 0,
    -- The item's sharing as Box said before and after (JSON; no link URL).
    before        TEXT NOT NULL,
    after         TEXT,
    -- One line per request: method, path, status, Box's request id.
    box_answer    TEXT NOT NULL DEFAULT '[]',
    error_code    TEXT,
    error_message TEXT,
    error_hint    TEXT,
    recovered     INTEGER NOT NULL DEFAULT 0 CHECK (recovered IN (0, 1))
);
CREATE INDEX audit_by_connection ON audit_log (connection_id, audit_id);
CREATE INDEX audit_unfinished ON audit_log (connection_id, state)
    WHERE state IN ('pending', 'sending');
CREATE INDEX audit_by_batch ON audit_log (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX audit_by_item ON audit_log (connection_id, item_id);

-- Items in quarantine, and the audit entry of the quarantine: its "before"
-- says where the item was, whose it was and its link and collaborators; its
-- steps name the holding folder (all of it to put back on restore).
CREATE TABLE quarantine (
    connection_id      TEXT NOT NULL,
    item_type          TEXT NOT NULL CHECK (item_type IN ('file', 'folder')),
    item_id            TEXT NOT NULL,
    audit_id           INTEGER NOT NULL REFERENCES audit_log (audit_id),
    quarantined_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, item_type, item_id)
) WITHOUT ROWID;

CREATE TABLE policies (
    policy_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- The PolicyMatch (JSON).
    matches    TEXT NOT NULL,
    action     TEXT,
    auto_act   INTEGER NOT NULL DEFAULT 0 CHECK (auto_act IN (0, 1)),
    created_at INTEGER NOT NULL,
    -- Findings up to this id have been looked at for this policy.
    evaluated_through INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE alerts (
    alert_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id   TEXT NOT NULL,
    policy_id       INTEGER NOT NULL REFERENCES policies (policy_id) ON DELETE CASCADE,
    finding_id      INTEGER NOT NULL,
    raised_at       INTEGER NOT NULL,
    audit_id        INTEGER,
    acknowledged_at INTEGER,
    UNIQUE (policy_id, finding_id)
);
CREATE INDEX alerts_open ON alerts (connection_id, acknowledged_at, alert_id);
