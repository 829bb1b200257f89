//! Enterprise events: the backfill of the days before connecting
//! (`admin_logs`), then the live stream (`admin_logs_streaming`) from the
//! position taken at connect time, de-duplicated by `event_id`, each page
//! saved with its cursor, each event classified and mapped to its item.

mod classify;
mod feed;
mod record;

pub use classify::{classify, EventKind};
pub use feed::{EventFeed, EventsConfig};
/// How a caller stops a running feed.
pub use tokio_util::sync::CancellationToken;
