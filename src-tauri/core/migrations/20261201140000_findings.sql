-- Inspection and findings. Timestamps are Unix milliseconds (UTC).
-- Sensitive values never reach this file: content results keep counts and
-- masked samples only.

-- What the last inspection of each file said about its content.
ALTER TABLE files ADD COLUMN inspect_state TEXT
    CHECK (inspect_state IS NULL OR inspect_state IN ('inspected', 'not_inspected'));
-- Why it was not inspected ('unknown_type', 'too_large', 'encrypted', ...).
ALTER TABLE files ADD COLUMN inspect_code TEXT;
ALTER TABLE files ADD COLUMN inspect_detail TEXT;
-- The content (sha1) the findings of this file were derived from.
ALTER TABLE files ADD COLUMN inspected_sha1 TEXT;
ALTER TABLE files ADD COLUMN inspected_at INTEGER;

-- One inspection per distinct content: a file whose sha1 is here takes
-- this result without a download.
CREATE TABLE content_results (
    connection_id TEXT NOT NULL,
    sha1          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('inspected', 'not_inspected')),
    code          TEXT,
    detail        TEXT,
    file_type     TEXT,
    bytes         INTEGER NOT NULL DEFAULT 0,
    chars         INTEGER NOT NULL DEFAULT 0,
    inspected_at  INTEGER NOT NULL,
    PRIMARY KEY (connection_id, sha1)
) WITHOUT ROWID;

-- Per detector, what one content holds: counts by confidence, masked samples.
CREATE TABLE content_matches (
    connection_id TEXT NOT NULL,
    sha1          TEXT NOT NULL,
    detector      TEXT NOT NULL,
    high          INTEGER NOT NULL,
    low           INTEGER NOT NULL,
    sample_high   TEXT,
    sample_low    TEXT,
    secret_nearby INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connection_id, sha1, detector)
) WITHOUT ROWID;

-- Findings: one row per (file, kind, detector, way it is reached) while it
-- holds; closing keeps the row (closed_at) and its history.
CREATE TABLE findings (
    finding_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id  TEXT NOT NULL,
    file_id        TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('public_link', 'company_link',
                       'external_collaborator', 'externally_owned', 'sensitive_content')),
    -- The detector for content findings, '' for exposure.
    detector       TEXT NOT NULL DEFAULT '',
    -- Which link, folder or collaboration reaches the file ('link:file',
    -- 'link:folder:<id>', 'collab:<id>', 'owner', 'content').
    via_key        TEXT NOT NULL,
    severity       TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    -- 4 critical … 1 low, for ordering.
    severity_rank  INTEGER NOT NULL,
    confidence     TEXT,
    count          INTEGER NOT NULL DEFAULT 1,
    masked_sample  TEXT,
    -- In words: "its own shared link", "collaborator x@y.com (editor) on folder …".
    reached_via    TEXT NOT NULL,
    -- The item whose link or collaboration it is (the file or a parent folder).
    via_item_type  TEXT,
    via_item_id    TEXT,
    -- The link's or collaboration's particulars (JSON: access, permissions,
    -- expiry, password set, login, role), for the details pane.
    details        TEXT,
    path           TEXT,
    owner_login    TEXT,
    -- Since when it holds, as far as Box told us (the share event, the
    -- collaboration's creation), else when first seen.
    since          INTEGER,
    opened_at      INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    closed_at      INTEGER,
    -- The item_scans rows (scans) that opened and closed it.
    opened_scan_id INTEGER,
    closed_scan_id INTEGER
);
CREATE UNIQUE INDEX findings_open_key
    ON findings (connection_id, file_id, kind, detector, via_key) WHERE closed_at IS NULL;
CREATE INDEX findings_by_file ON findings (connection_id, file_id);
CREATE INDEX findings_open_by_severity
    ON findings (connection_id, closed_at, severity_rank DESC, finding_id);

CREATE TABLE finding_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('opened', 'seen', 'changed', 'closed')),
    scan_id    INTEGER,
    detail     TEXT
);
CREATE INDEX finding_history_by_finding ON finding_history (finding_id, at);

-- Each inspection of a file, for its history.
CREATE TABLE inspections (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    file_id       TEXT NOT NULL,
    at            INTEGER NOT NULL,
    scan_id       INTEGER,
    sha1          TEXT,
    outcome       TEXT NOT NULL CHECK (outcome IN ('inspected', 'cached', 'not_inspected')),
    code          TEXT,
    detail        TEXT,
    bytes         INTEGER NOT NULL DEFAULT 0,
    findings_open INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspections_by_file ON inspections (connection_id, file_id, at);

-- Inspection counters, beside the scan's, kept in the same transactions.
ALTER TABLE scan_counts ADD COLUMN files_inspected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scan_counts ADD COLUMN files_not_inspected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scan_counts ADD COLUMN content_cache_hits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scan_counts ADD COLUMN content_downloads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scan_counts ADD COLUMN bytes_downloaded INTEGER NOT NULL DEFAULT 0;
-- Files per "not inspected" reason (unknown_type, too_large, encrypted …).
CREATE TABLE inspect_reason_counts (
    connection_id TEXT NOT NULL,
    code          TEXT NOT NULL,
    files         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connection_id, code)
) WITHOUT ROWID;
ALTER TABLE scan_minutes ADD COLUMN files_inspected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scan_minutes ADD COLUMN bytes_downloaded INTEGER NOT NULL DEFAULT 0;

-- A folder's link or collaborators changed: the files under it are found
-- through this index (a recursive walk down parent_id).
CREATE INDEX folders_by_parent ON folders (connection_id, parent_id);
