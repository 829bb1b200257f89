-- Hardening of content inspection.
-- A content's verdict holds for the reader version that made it: a newer
-- reader reads stale results again (in the background, at the periodic
-- rescan's priority). Rows from before this column are version 0: stale.
ALTER TABLE content_results ADD COLUMN extractor_version INTEGER NOT NULL DEFAULT 0;
-- Finds the stale contents without walking every result.
CREATE INDEX content_results_by_version ON content_results (connection_id, extractor_version);
