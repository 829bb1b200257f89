-- Timestamps move from INTEGER unix seconds to INTEGER unix milliseconds
-- (UTC), so calls made within the same second keep their order and
-- latencies line up with their start times. Same instants, finer unit;
-- NULL stays NULL.

UPDATE settings SET updated_at = updated_at * 1000;

UPDATE connections SET
    connected_at            = connected_at * 1000,
    access_token_expires_at = access_token_expires_at * 1000,
    refresh_token_issued_at = refresh_token_issued_at * 1000,
    last_success_at         = last_success_at * 1000,
    updated_at              = updated_at * 1000;

UPDATE api_test_runs SET
    started_at  = started_at * 1000,
    finished_at = finished_at * 1000;

UPDATE api_calls SET at = at * 1000;
