-- Scanning: the enterprise's events, its users, folders and files as the
-- scan found them, and the queue of work. Every row belongs to one
-- connection (`<data center>:enterprise:<id>`), so reconnecting to another
-- enterprise starts a scan of its own. Timestamps are INTEGER unix
-- milliseconds (UTC). No secrets and no file content are stored here.

-- Enterprise events, once each: `event_id` is Box's and de-duplicates the
-- backfill (admin_logs) against the live stream (admin_logs_streaming),
-- which may repeat entries.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id  TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    kind           TEXT NOT NULL
        CHECK (kind IN ('modify', 'share', 'read', 'delete', 'other')),
    created_at     INTEGER NOT NULL,
    ingested_at    INTEGER NOT NULL,
    -- Which stream delivered it first.
    stream         TEXT NOT NULL
        CHECK (stream IN ('admin_logs', 'admin_logs_streaming')),
    -- The item it touches, when it touches one ('file' | 'folder' | ...).
    item_type      TEXT,
    item_id        TEXT,
    item_name      TEXT,
    parent_id      TEXT,
    owner_id       TEXT,
    actor_id       TEXT,
    actor_login    TEXT,
    -- 1 until the queue has acted on it: live modify / share / delete events
    -- on a file or folder. The queue clears it in the transaction that acts,
    -- so each event moves the queue exactly once, crash or not.
    pending_effect INTEGER NOT NULL DEFAULT 0 CHECK (pending_effect IN (0, 1)),
    UNIQUE (connection_id, event_id)
);
CREATE INDEX events_by_time ON events (connection_id, created_at);
CREATE INDEX events_by_item ON events (connection_id, item_id, created_at);
CREATE INDEX events_pending ON events (connection_id, id) WHERE pending_effect = 1;

-- Events per day and kind, kept with the inserts, for the timeline chart.
CREATE TABLE event_days (
    connection_id TEXT NOT NULL,
    -- Unix day (created_at / 86400000).
    day           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (connection_id, day, kind)
) WITHOUT ROWID;

-- Where each stream stands. The cursor is saved in the transaction that
-- saves the page it follows. `admin_logs_gap` is a second pass over
-- admin_logs for a time the live stream was not read for so long that Box
-- (which keeps admin_logs_streaming 14 days) may have dropped what it held.
CREATE TABLE event_streams (
    connection_id  TEXT NOT NULL,
    stream         TEXT NOT NULL
        CHECK (stream IN ('admin_logs', 'admin_logs_streaming', 'admin_logs_gap')),
    -- The next `stream_position` to ask for.
    position       TEXT,
    -- Backfill and gap: the window asked for (created_after / created_before).
    window_start   INTEGER,
    window_end     INTEGER,
    -- Backfill only: when the last page came back.
    completed_at   INTEGER,
    -- Backfill only: the newest `created_at` saved so far (how far through
    -- the window it is: admin_logs is chronological).
    reached_at     INTEGER,
    -- Live only: the clock just before the live position was asked for (less
    -- a margin for clock skew). An event created since may be a live one
    -- whichever stream delivers it first, so it keeps its effect on the queue.
    live_from      INTEGER,
    last_polled_at INTEGER,
    -- Entries this stream delivered without an event_id or event_type:
    -- skipped (there is nothing to de-duplicate them on), logged, and counted
    -- here so the loss is visible.
    skipped_malformed INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, stream)
) WITHOUT ROWID;

-- One row per connection: the scan's own state.
CREATE TABLE scan_state (
    connection_id          TEXT PRIMARY KEY NOT NULL,
    paused                 INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    -- A walk of every user's tree; a periodic rescan starts the next one.
    generation             INTEGER NOT NULL DEFAULT 1,
    -- The user listing's next marker while users are being listed.
    users_marker           TEXT,
    users_listed_at        INTEGER,
    started_at             INTEGER NOT NULL,
    full_scan_completed_at INTEGER,
    -- A co-admin connection skips other admins' content; the UI says so.
    connected_role         TEXT,
    -- The current generation's walk: when it began and when it finished
    -- (users listed, every tree walked, the queue drained); a periodic
    -- rescan starts the next generation `rescan_interval` after the start.
    generation_started_at  INTEGER,
    generation_done_at     INTEGER,
    updated_at             INTEGER NOT NULL
);

-- Managed users, as listed.
CREATE TABLE scan_users (
    connection_id TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    login         TEXT,
    name          TEXT,
    role          TEXT,
    status        TEXT,
    walk_state    TEXT NOT NULL DEFAULT 'pending'
        CHECK (walk_state IN ('pending', 'walking', 'done', 'skipped')),
    -- Why a user's content is not walked (e.g. another admin's, for a co-admin).
    skip_reason   TEXT,
    generation    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (connection_id, user_id)
) WITHOUT ROWID;

-- Folders: what the listing said, and the walk's frontier. A folder in
-- several users' trees is one row, listed once (as `walk_user_id`).
-- Each user's root (Box's folder "0", which is a different folder for each
-- user) is the row `root:<user id>`; entries listed inside a folder keep
-- this table's id of it as their `parent_id`.
CREATE TABLE folders (
    connection_id       TEXT NOT NULL,
    folder_id           TEXT NOT NULL,
    name                TEXT,
    parent_id           TEXT,
    -- "All Files/A/B": the names from the root down.
    path                TEXT,
    owner_id            TEXT,
    owner_login         TEXT,
    etag                TEXT,
    -- The shared link as Box gave it (JSON), NULL when there is none.
    shared_link         TEXT,
    has_collaborations  INTEGER,
    is_externally_owned INTEGER,
    walk_user_id        TEXT NOT NULL,
    walk_state          TEXT NOT NULL DEFAULT 'pending'
        CHECK (walk_state IN ('pending', 'listing', 'done', 'failed')),
    -- The next page's marker of a listing that was interrupted.
    walk_marker         TEXT,
    walk_generation     INTEGER NOT NULL DEFAULT 1,
    -- Failed listings of this folder in a row; 'failed' after max_attempts.
    walk_attempts       INTEGER NOT NULL DEFAULT 0,
    walk_error          TEXT,
    discovered_at       INTEGER NOT NULL,
    listed_at           INTEGER,
    PRIMARY KEY (connection_id, folder_id)
) WITHOUT ROWID;
CREATE INDEX folders_frontier ON folders (connection_id, walk_user_id, walk_state);

-- Files: one row each however many trees reach it.
CREATE TABLE files (
    connection_id       TEXT NOT NULL,
    file_id             TEXT NOT NULL,
    name                TEXT,
    parent_id           TEXT,
    path                TEXT,
    owner_id            TEXT,
    owner_login         TEXT,
    etag                TEXT,
    sha1                TEXT,
    size                INTEGER,
    modified_at         INTEGER,
    content_modified_at INTEGER,
    shared_link         TEXT,
    has_collaborations  INTEGER,
    is_externally_owned INTEGER,
    -- The user whose `as-user` reaches it.
    walk_user_id        TEXT,
    -- The walk generation that last listed it: a file met again in the same
    -- generation (shared into another tree) is not queued twice.
    walk_generation     INTEGER NOT NULL DEFAULT 0,
    discovered_at       INTEGER NOT NULL,
    listed_at           INTEGER,
    -- What the last completed scan saw.
    scanned_etag        TEXT,
    last_scanned_at     INTEGER,
    -- Deleted or trashed in Box (by event or by a 404 on rescan).
    removed_at          INTEGER,
    PRIMARY KEY (connection_id, file_id)
) WITHOUT ROWID;
CREATE INDEX files_by_parent ON files (connection_id, parent_id);

-- Collaborations on files and folders (fetched only where Box says
-- `has_collaborations`), pending invites included.
CREATE TABLE collaborations (
    connection_id    TEXT NOT NULL,
    collaboration_id TEXT NOT NULL,
    item_type        TEXT NOT NULL CHECK (item_type IN ('file', 'folder')),
    item_id          TEXT NOT NULL,
    grantee_type     TEXT,
    grantee_id       TEXT,
    login            TEXT,
    name             TEXT,
    role             TEXT,
    status           TEXT,
    expires_at       INTEGER,
    created_at       INTEGER,
    seen_at          INTEGER NOT NULL,
    PRIMARY KEY (connection_id, collaboration_id)
) WITHOUT ROWID;
CREATE INDEX collaborations_by_item ON collaborations (connection_id, item_type, item_id);

-- The work queue: one row per item waiting to be scanned. Lower priority
-- numbers go first; the reason is data, so the UI can say why a file waits.
CREATE TABLE scan_queue (
    connection_id    TEXT NOT NULL,
    item_type        TEXT NOT NULL DEFAULT 'file' CHECK (item_type IN ('file', 'folder')),
    item_id          TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'leased', 'failed')),
    reason           TEXT NOT NULL
        CHECK (reason IN ('full_scan', 'event', 'changed_etag', 'periodic')),
    -- For reason 'event': which one (Box's event_id and type).
    reason_event_id  TEXT,
    reason_detail    TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    -- A failed attempt waits until then (backoff).
    not_before       INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    enqueued_at      INTEGER NOT NULL,
    -- Bumped by every enqueue or priority change: a worker completing a row
    -- that changed while it held the lease puts it back instead of deleting it.
    version          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connection_id, item_type, item_id)
) WITHOUT ROWID;
-- Claims walk it from the front; not_before rides along so the backoff
-- test needs no visit to the row. The status screen's queue reads it one
-- state at a time (store::scan_views::queue_front), so needs no index of its own.
CREATE INDEX scan_queue_claim ON scan_queue (connection_id, state, priority, enqueued_at, not_before);

-- Each scan of an item: the file's own history (with its events).
CREATE TABLE item_scans (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    item_type     TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    at            INTEGER NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('scanned', 'failed', 'removed')),
    reason        TEXT NOT NULL,
    etag          TEXT,
    detail        TEXT
);
CREATE INDEX item_scans_by_item ON item_scans (connection_id, item_id, at);

-- Scan throughput per minute, for the chart.
CREATE TABLE scan_minutes (
    connection_id  TEXT NOT NULL,
    minute         INTEGER NOT NULL,
    files_scanned  INTEGER NOT NULL DEFAULT 0,
    folders_listed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connection_id, minute)
) WITHOUT ROWID;

-- Counters the status screen reads in O(1) at any size, kept by the same
-- transactions that change what they count.
CREATE TABLE scan_counts (
    connection_id     TEXT PRIMARY KEY NOT NULL,
    users_total       INTEGER NOT NULL DEFAULT 0,
    users_done        INTEGER NOT NULL DEFAULT 0,
    folders_total     INTEGER NOT NULL DEFAULT 0,
    folders_done      INTEGER NOT NULL DEFAULT 0,
    files_discovered  INTEGER NOT NULL DEFAULT 0,
    files_scanned     INTEGER NOT NULL DEFAULT 0,
    files_queued      INTEGER NOT NULL DEFAULT 0,
    files_failed      INTEGER NOT NULL DEFAULT 0,
    events_ingested   INTEGER NOT NULL DEFAULT 0,
    last_event_at     INTEGER
) WITHOUT ROWID;
