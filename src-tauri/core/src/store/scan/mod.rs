//! The scan's tables, one file each: managed users (`users`), the folder
//! frontier (`folders`), files, collaborations, what each scan of an item
//! found (`item_scans`), the scan's state and counters; with the two saves
//! that move the scan forward (`page`: a listing page; `scanned`: claimed
//! items scanned).
//!
//! Every save that moves the scan forward is ONE transaction together with
//! the queue change it implies (`queue::enqueue_in` / `queue::complete_in`),
//! so a crash (`kill -9`) between two pages re-does at most the page that
//! was in flight, and a page is never half saved. The `scan_counts`
//! counters this module owns (users_total/done, folders_total/done,
//! files_discovered/scanned) move in the same transactions, by
//! `rows_affected`, so they stay exact.

mod collaborations;
mod counts;
mod files;
mod folders;
mod item_scans;
mod page;
mod scanned;
mod state;
mod users;

pub use collaborations::CollaborationRecord;
pub(crate) use counts::InspectDelta;
pub use counts::{InspectionCounts, InventoryCounts, MinuteCount, ScanCounts};
pub use files::{FileRecord, KnownFile, ListedFile};
pub use folders::{FrontierFolder, KnownFolder, ListedFolder};
pub use item_scans::ItemScanRecord;
pub use page::{FolderWalk, ListingPage, ListingPageSaved, ListingRules};
pub use scanned::{ItemContext, ScanOutcome};
pub use state::ScanStateRecord;
pub use users::ListedUser;

/// The frontier id of a user's root folder: Box calls every user's root
/// "0", so the row is keyed by the user.
pub fn root_folder_id(user_id: &str) -> String {
    format!("root:{user_id}")
}

/// The id to send to Box for a frontier folder id.
pub fn api_folder_id(folder_id: &str) -> &str {
    if folder_id.starts_with("root:") {
        "0"
    } else {
        folder_id
    }
}
