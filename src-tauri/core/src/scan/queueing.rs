//! What a listing page puts in the queue and on the walk's frontier: the
//! scan's rules as pure functions of what the store held and what Box
//! listed. The store applies them inside the page's transaction
//! ([`ListingRules`]), so deciding and saving stay one step.

use crate::store::scan::{FolderWalk, KnownFile, KnownFolder, ListedFile, ListingRules};
use crate::store::{priority, Enqueue, ItemKind, Millis, QueueReason};

/// The rules every listing page of the scan is saved with.
pub const LISTING_RULES: ListingRules = ListingRules {
    queue_file,
    walk_folder,
};

/// Queues a listed file when it is new, changed since its last scan, due
/// for a periodic rescan, or not scanned yet; `rescan_before`: files last
/// scanned before it are due (`None`: no periodic rescans).
pub fn queue_file(
    known: Option<&KnownFile>,
    listed: &ListedFile,
    generation: i64,
    rescan_before: Option<Millis>,
) -> Option<Enqueue> {
    let (priority, reason) = match known {
        None => (priority::FULL_SCAN, QueueReason::FullScan),
        // Met again in this generation (shared into another tree): one row, one scan.
        Some(k) if k.walk_generation >= generation && k.etag == listed.etag => return None,
        Some(k) => match (&k.scanned_etag, k.last_scanned_at) {
            (Some(scanned), _) if Some(scanned) != listed.etag.as_ref() => {
                (priority::CHANGED_ETAG, QueueReason::ChangedEtag)
            }
            (Some(_), Some(at)) if rescan_before.is_some_and(|before| at < before) => {
                (priority::PERIODIC, QueueReason::Periodic)
            }
            (Some(_), _) => return None,
            // Never scanned yet: it is in the queue (enqueue keeps it there).
            (None, _) => (priority::FULL_SCAN, QueueReason::FullScan),
        },
    };
    Some(Enqueue {
        item: ItemKind::File,
        item_id: listed.file_id.clone(),
        priority,
        reason,
        reason_event_id: None,
        reason_detail: None,
    })
}

/// A listed sub-folder is walked when new, or when an earlier generation
/// listed it; one this generation already holds is left to that walk.
pub fn walk_folder(known: Option<&KnownFolder>, generation: i64) -> FolderWalk {
    match known {
        None => FolderWalk::New,
        Some(k) if k.walk_generation < generation => FolderWalk::Again {
            was_done: k.walk_state == "done",
        },
        Some(_) => FolderWalk::AlreadyQueued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATION: i64 = 3;

    fn at(ms: i64) -> Millis {
        Millis::from(chrono::DateTime::from_timestamp_millis(ms).unwrap())
    }

    fn listed(etag: &str) -> ListedFile {
        ListedFile {
            file_id: "f1".into(),
            etag: Some(etag.into()),
            ..ListedFile::default()
        }
    }

    fn scanned(etag: &str, at_ms: i64, generation: i64) -> KnownFile {
        KnownFile {
            etag: Some(etag.into()),
            scanned_etag: Some(etag.into()),
            last_scanned_at: Some(at(at_ms)),
            walk_generation: generation,
            ..KnownFile::default()
        }
    }

    fn reason(queued: Option<Enqueue>) -> Option<(i64, QueueReason)> {
        queued.map(|e| {
            assert_eq!((e.item, e.item_id.as_str()), (ItemKind::File, "f1"));
            assert_eq!((e.reason_event_id, e.reason_detail), (None, None));
            (e.priority, e.reason)
        })
    }

    #[test]
    fn a_new_file_joins_the_full_scan() {
        assert_eq!(
            reason(queue_file(None, &listed("0"), GENERATION, None)),
            Some((priority::FULL_SCAN, QueueReason::FullScan))
        );
    }

    #[test]
    fn a_file_met_again_in_the_same_generation_is_queued_once() {
        let known = scanned("0", 1_000, GENERATION);
        let met_again = queue_file(Some(&known), &listed("0"), GENERATION, Some(at(5_000)));
        assert_eq!(reason(met_again), None);
    }

    #[test]
    fn a_changed_etag_goes_before_the_full_scan() {
        let known = scanned("0", 1_000, GENERATION - 1);
        assert_eq!(
            reason(queue_file(Some(&known), &listed("1"), GENERATION, None)),
            Some((priority::CHANGED_ETAG, QueueReason::ChangedEtag))
        );
        // The same generation, but Box lists a new version: scanned again.
        let known = scanned("0", 1_000, GENERATION);
        assert_eq!(
            reason(queue_file(Some(&known), &listed("1"), GENERATION, None)),
            Some((priority::CHANGED_ETAG, QueueReason::ChangedEtag))
        );
    }

    #[test]
    fn an_unchanged_file_waits_for_its_periodic_rescan() {
        let known = scanned("0", 1_000, GENERATION - 1);
        let file = listed("0");
        assert_eq!(
            reason(queue_file(Some(&known), &file, GENERATION, None)),
            None
        );
        assert_eq!(
            reason(queue_file(Some(&known), &file, GENERATION, Some(at(1_000)))),
            None,
            "scanned at the cut-off is not due"
        );
        assert_eq!(
            reason(queue_file(Some(&known), &file, GENERATION, Some(at(1_001)))),
            Some((priority::PERIODIC, QueueReason::Periodic))
        );
    }

    #[test]
    fn a_file_never_scanned_stays_in_the_full_scan() {
        let known = KnownFile {
            etag: Some("0".into()),
            walk_generation: GENERATION - 1,
            ..KnownFile::default()
        };
        assert_eq!(
            reason(queue_file(Some(&known), &listed("0"), GENERATION, None)),
            Some((priority::FULL_SCAN, QueueReason::FullScan))
        );
    }

    fn folder(generation: i64, state: &str) -> KnownFolder {
        KnownFolder {
            walk_generation: generation,
            walk_state: state.into(),
            parent_id: None,
        }
    }

    #[test]
    fn folders_are_walked_once_per_generation() {
        assert_eq!(walk_folder(None, GENERATION), FolderWalk::New);
        assert_eq!(
            walk_folder(Some(&folder(GENERATION - 1, "done")), GENERATION),
            FolderWalk::Again { was_done: true }
        );
        assert_eq!(
            walk_folder(Some(&folder(GENERATION - 1, "listing")), GENERATION),
            FolderWalk::Again { was_done: false }
        );
        assert_eq!(
            walk_folder(Some(&folder(GENERATION, "pending")), GENERATION),
            FolderWalk::AlreadyQueued
        );
    }
}
