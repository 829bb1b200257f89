//! Enterprise events: the backfill of the days before connecting
//! (`admin_logs`), then the live stream (`admin_logs_streaming`) from the
//! position taken at connect time, de-duplicated by `event_id`, each page
//! saved with its cursor, each event classified and mapped to its item.
