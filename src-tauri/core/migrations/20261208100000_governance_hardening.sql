-- Governance that no user can turn against the admin.

-- An audit entry is worked by one process at a time: the holder's host, pid
-- and a token of its own, until the lease expires (renewed at each step). A
-- holder on this host whose process is gone holds nothing.
ALTER TABLE audit_log ADD COLUMN lease_token TEXT;
ALTER TABLE audit_log ADD COLUMN lease_host TEXT;
ALTER TABLE audit_log ADD COLUMN lease_pid INTEGER;
ALTER TABLE audit_log ADD COLUMN lease_expires_at INTEGER;

-- The quarantine folder the app made in the admin's root, by id: a folder
-- of the same name that someone else made is never taken for it.
CREATE TABLE quarantine_folders (
    connection_id TEXT PRIMARY KEY,
    folder_id     TEXT NOT NULL,
    made_at       INTEGER NOT NULL
) WITHOUT ROWID;

-- A policy acts only on findings opened after it was (re-)enabled: findings
-- with a larger id than this. Existing policies have acted on everything up
-- to where they looked.
ALTER TABLE policies ADD COLUMN acts_after INTEGER NOT NULL DEFAULT 0;
UPDATE policies SET acts_after = evaluated_through;
-- At most this many actions a day (24 hours) per acting policy.
ALTER TABLE policies ADD COLUMN daily_cap INTEGER NOT NULL DEFAULT 100 CHECK (daily_cap >= 0);

-- Why an acting policy's alert was not acted on (opened before the policy
-- was enabled, the daily cap reached).
ALTER TABLE alerts ADD COLUMN note TEXT;

CREATE INDEX audit_log_policy ON audit_log (policy_id, requested_at) WHERE policy_id IS NOT NULL;
