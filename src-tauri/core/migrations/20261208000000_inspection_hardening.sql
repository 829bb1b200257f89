-- Hardening of content inspection.
-- A content's verdict holds for the reader version that made it: a newer
-- reader reads stale results again (in the background, at the periodic
-- rescan's priority). Rows from before this column are version 0: stale.
ALTER TABLE content_results ADD COLUMN extractor_version INTEGER NOT NULL DEFAULT 0;
-- Finds the stale contents without walking every result.
CREATE INDEX content_results_by_version ON content_results (connection_id, extractor_version);

-- Claims that ended with the scanner gone (a crash or a kill mid-item). An
-- item with any is a suspect: claimed alone, after every other row, so the
-- next death is its own; at three it is set aside as failed.
ALTER TABLE scan_queue ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
