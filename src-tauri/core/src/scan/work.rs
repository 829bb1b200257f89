//! The queue workers: claim a batch under a lease, scan each item (most
//! need no request at all: the walk's listing already said everything),
//! then save the results and complete the rows in one transaction; what
//! failed goes to `fail` (backoff, then a visible 'failed').

use std::collections::HashMap;

use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::convert;
use super::walk::malformed;
use super::{describe, is_fatal, Scanner};
use crate::box_api::models::ITEM_FIELDS;
use crate::box_api::{ApiError, ApiErrorKind, Fetched, RequestOptions};
use crate::error::{ErrorCode, UserError};
use crate::inspect::content::FileInspection;
use crate::inspect::content::{ContentTarget, Plan};
use crate::inspect::extract::NotInspected;
use crate::store::queue::{priority, Claimed, ItemKind, QueueReason};
use crate::store::scan::{CollaborationRecord, ItemContext, ScanOutcome};

/// Rows the express worker claims at a time.
const EXPRESS_BATCH: usize = 8;

/// A reading that says nothing about the content (the reader timed out or
/// none was free) is not a verdict: the file fails this attempt and comes
/// back after the queue's backoff, then ends as a visible `failed`.
fn is_transient(inspection: &FileInspection) -> bool {
    matches!(inspection, FileInspection::NotInspected { code, .. }
        if NotInspected::code_is_transient(code))
}

/// The error that sends a transient reading back to the queue, if it is one.
fn transient_error(inspection: &FileInspection) -> Option<ApiError> {
    match inspection {
        FileInspection::NotInspected { code, detail, .. }
            if NotInspected::code_is_transient(code) =>
        {
            Some(ApiError {
                kind: ApiErrorKind::Unavailable,
                user: UserError::new(
                    ErrorCode::Internal,
                    format!("Not inspected yet: {detail}"),
                    "It is tried again later by itself.",
                ),
                status: None,
                box_code: None,
                box_message: None,
                request_id: None,
            })
        }
        _ => None,
    }
}

/// The sha1 a scan outcome downloaded (its result is shared until saved).
fn fetched_sha1(outcome: &ScanOutcome) -> Option<String> {
    match outcome {
        ScanOutcome::File {
            inspection:
                Some(FileInspection::Inspected {
                    sha1,
                    downloaded: true,
                    ..
                }),
            ..
        } => Some(sha1.clone()),
        ScanOutcome::File {
            inspection:
                Some(FileInspection::NotInspected {
                    sha1: Some(sha1),
                    downloaded: true,
                    ..
                }),
            ..
        } => Some(sha1.clone()),
        _ => None,
    }
}

impl Scanner {
    pub(super) async fn work(
        &self,
        index: usize,
        finished: &CancellationToken,
    ) -> Result<(), UserError> {
        let owner = format!("{}-{index}", self.lease_owner);
        self.work_lane(&owner, self.config.claim_batch.max(1), i64::MAX, finished)
            .await
    }

    /// The express worker: only rows an event put at the front, a few at a
    /// time, so an edit's or a share's rescan starts as soon as its event
    /// is applied instead of after the batch a regular worker holds.
    pub(super) async fn work_express(&self, finished: &CancellationToken) -> Result<(), UserError> {
        let owner = format!("{}-express", self.lease_owner);
        self.work_lane(&owner, EXPRESS_BATCH, priority::EVENT, finished)
            .await
    }

    async fn work_lane(
        &self,
        owner: &str,
        batch: usize,
        max_priority: i64,
        finished: &CancellationToken,
    ) -> Result<(), UserError> {
        loop {
            if finished.is_cancelled() {
                return Ok(());
            }
            // Registered before claiming, so a notification in between is kept.
            let woken = self.work_ready.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let claimed = self
                .store
                .claim_up_to(
                    &self.connection_id,
                    owner,
                    batch,
                    self.config.lease,
                    self.now(),
                    max_priority,
                )
                .await?;
            if claimed.is_empty() {
                tokio::select! {
                    _ = finished.cancelled() => return Ok(()),
                    _ = woken => {}
                    _ = tokio::time::sleep(self.config.idle_poll) => {}
                }
                continue;
            }
            self.scan_batch(claimed).await?;
        }
    }

    pub(super) async fn scan_batch(&self, claimed: Vec<Claimed>) -> Result<(), UserError> {
        let contexts = self
            .store
            .item_contexts(&self.connection_id, &claimed)
            .await?;
        let skipped = self.skipped.read().expect("skipped users lock").clone();
        let mut scans = Vec::with_capacity(claimed.len());
        let skipped = &skipped;
        for c in &claimed {
            let ctx = contexts
                .get(&(c.item.as_str(), c.item_id.clone()))
                .cloned()
                .unwrap_or_default();
            scans.push(async move {
                // Noted while in progress: if the scanner dies now, this
                // item (not the whole batch) is the suspect.
                if let Some(journal) = &self.journal {
                    journal.started(c.item, &c.item_id);
                }
                let result = self.scan_item(c, ctx, skipped).await;
                if let Some(journal) = &self.journal {
                    journal.ended(c.item, &c.item_id);
                }
                result
            });
        }
        let results: Vec<Result<ScanOutcome, ApiError>> = futures_util::stream::iter(scans)
            .buffered(self.config.item_concurrency.max(1))
            .collect()
            .await;
        let (mut done, mut outcomes, mut failed) = (Vec::new(), Vec::new(), Vec::new());
        let (mut unfinished, mut fatal) = (Vec::new(), None);
        for (c, result) in claimed.into_iter().zip(results) {
            match result {
                Ok(outcome) => {
                    done.push(c);
                    outcomes.push(outcome);
                }
                // Nothing is failed for a network that is down: those rows
                // go back to the queue as they were, with this attempt
                // not counted, and the scan pauses once the finished ones
                // are saved.
                Err(e) if is_fatal(&e) => {
                    unfinished.push(c);
                    fatal.get_or_insert(e);
                }
                Err(e) => {
                    let why = describe(&format!("scan of {} {}", c.item.as_str(), c.item_id), &e);
                    failed.push((c, why));
                }
            }
        }
        // Contents this batch fetched stay "in flight" until saved, so a
        // file of another batch with the same sha1 waits for this result
        // instead of finding the store without it and downloading again.
        let fetched: Vec<String> = outcomes.iter().filter_map(fetched_sha1).collect();
        let now = self.now();
        let saved = self
            .store
            .save_scanned(&self.connection_id, done, outcomes, self.policy(), now)
            .await;
        {
            let mut in_flight = self.in_flight.lock().expect("in-flight lock");
            for sha1 in &fetched {
                in_flight.remove(sha1);
            }
        }
        saved?;
        if !failed.is_empty() {
            self.store
                .fail(&self.connection_id, &failed, self.config.max_attempts, now)
                .await?;
        }
        if let Some(e) = fatal {
            self.store.release(&self.connection_id, &unfinished).await?;
            return Err(e.into());
        }
        Ok(())
    }

    /// Who to act as for an item: its owner, else the user whose walk
    /// reached it; a co-admin never acts as another admin.
    fn acting_user(
        &self,
        owner: Option<String>,
        walker: Option<String>,
        skipped: &HashMap<String, String>,
    ) -> Result<Option<String>, String> {
        let usable = |u: &String| !skipped.contains_key(u);
        if let Some(o) = owner.as_ref().filter(|o| usable(o)) {
            return Ok(Some(o.clone()));
        }
        if let Some(w) = walker.as_ref().filter(|w| usable(w)) {
            return Ok(Some(w.clone()));
        }
        match owner.and_then(|o| skipped.get(&o).cloned()) {
            Some(why) => Err(why),
            None => Ok(None),
        }
    }

    async fn scan_item(
        &self,
        c: &Claimed,
        ctx: ItemContext,
        skipped: &HashMap<String, String>,
    ) -> Result<ScanOutcome, ApiError> {
        let from_listing = ctx.listed && !matches!(c.reason, QueueReason::Event);
        if matches!(c.item, ItemKind::File) && from_listing {
            // The listing said everything but the collaborators and the content.
            let owner = ctx.managed_owner();
            let Ok(as_user) = self.acting_user(owner.clone(), ctx.walk_user_id.clone(), skipped)
            else {
                return Ok(ScanOutcome::File {
                    fresh: None,
                    collaborations: None,
                    inspection: None,
                });
            };
            let collaborations = if ctx.has_collaborations {
                // The walker first: its tree is where the walk met the file.
                let walker = self
                    .acting_user(ctx.walk_user_id.clone(), owner, skipped)
                    .unwrap_or(None);
                Some(self.file_collaborations(&c.item_id, walker, false).await?)
            } else {
                None
            };
            let target = ContentTarget {
                file_id: &c.item_id,
                name: ctx.name.as_deref().unwrap_or_default(),
                sha1: ctx.sha1.as_deref(),
                size: ctx.size,
            };
            let inspection = match self.inspect_content(&target, as_user, false).await {
                // Deleted since the listing: Box says it is gone.
                Err(e) if e.kind == ApiErrorKind::NotFound => return Ok(ScanOutcome::Removed),
                other => other?,
            };
            return Ok(ScanOutcome::File {
                fresh: None,
                collaborations,
                inspection,
            });
        }
        let mut owner = ctx.managed_owner();
        if owner.is_none() && !ctx.externally_owned {
            if let Some(event_id) = &c.reason_event_id {
                owner = self
                    .store
                    .event_owner(&self.connection_id, event_id)
                    .await
                    .map_err(|e| ApiError::from(UserError::from(e)))?;
            }
        }
        let as_user = match self.acting_user(owner, ctx.walk_user_id.clone(), skipped) {
            Ok(u) => u,
            Err(why) => return Ok(ScanOutcome::Skipped(why)),
        };
        // An edit or a share waits on this rescan: it goes ahead of the
        // walk's listings in the limiter.
        let urgent = c.reason == QueueReason::Event;
        let options = RequestOptions {
            as_user: as_user.clone(),
            urgent,
            ..RequestOptions::default().fields(ITEM_FIELDS)
        };
        let kind = c.item.as_str();
        let path = format!("/{kind}s/{}", c.item_id);
        let raw: Value = match self.client.get_json(&path, &[], &options).await {
            Ok(Fetched::Fresh(v)) => v,
            Ok(Fetched::NotModified) => Value::Null,
            Err(e) if e.kind == ApiErrorKind::NotFound => return Ok(ScanOutcome::Removed),
            Err(e) => return Err(e),
        };
        match c.item {
            ItemKind::File => {
                let fresh = convert::fetched_file(raw)
                    .map_err(|e| malformed(&format!("GET {path}"), &e))?;
                let collaborations = if fresh.has_collaborations.unwrap_or(false) {
                    Some(
                        self.file_collaborations(&c.item_id, as_user.clone(), urgent)
                            .await?,
                    )
                } else {
                    None
                };
                let target = ContentTarget {
                    file_id: &c.item_id,
                    name: fresh.name.as_deref().unwrap_or_default(),
                    sha1: fresh.sha1.as_deref(),
                    size: fresh.size,
                };
                let inspection = match self.inspect_content(&target, as_user, urgent).await {
                    Err(e) if e.kind == ApiErrorKind::NotFound => return Ok(ScanOutcome::Removed),
                    other => other?,
                };
                Ok(ScanOutcome::File {
                    fresh: Some(fresh),
                    collaborations,
                    inspection,
                })
            }
            ItemKind::Folder => {
                let fresh = convert::fetched_folder(raw)
                    .map_err(|e| malformed(&format!("GET {path}"), &e))?;
                let collaborations = if fresh.has_collaborations.unwrap_or(false) {
                    let options = RequestOptions {
                        as_user,
                        urgent,
                        ..RequestOptions::default()
                    };
                    Some(self.folder_collaborations(&c.item_id, &options).await?)
                } else {
                    None
                };
                Ok(ScanOutcome::Folder {
                    fresh,
                    collaborations,
                })
            }
        }
    }

    /// The file's content, read at most once per sha1: unchanged content
    /// and content already inspected (this file's or another's) cost no
    /// request; a type the app cannot read or a file over the cap costs
    /// none either; two files with one new content share one download.
    async fn inspect_content(
        &self,
        target: &ContentTarget<'_>,
        as_user: Option<String>,
        urgent: bool,
    ) -> Result<Option<FileInspection>, ApiError> {
        if !self.inspector.enabled() {
            return Ok(None);
        }
        let file_type = match self.inspector.plan(target) {
            Plan::Skip(why) => return Ok(Some(why)),
            Plan::Download(t) => t,
        };
        let Some(sha1) = target.sha1 else {
            let options = RequestOptions {
                as_user,
                urgent,
                ..RequestOptions::default()
            };
            let inspection = self.inspector.inspect(target, file_type, &options).await?;
            return match transient_error(&inspection) {
                Some(e) => Err(e),
                None => Ok(Some(inspection)),
            };
        };
        // Unchanged content and content another file brought are both
        // known, unless an older reader made the verdict.
        let store_err = |e| ApiError::from(UserError::from(e));
        if self
            .store
            .content_known(&self.connection_id, sha1)
            .await
            .map_err(store_err)?
        {
            return Ok(Some(FileInspection::Cached {
                sha1: sha1.to_owned(),
            }));
        }
        let cell = self
            .in_flight
            .lock()
            .expect("in-flight lock")
            .entry(sha1.to_owned())
            .or_default()
            .clone();
        let fetched_here = std::sync::atomic::AtomicBool::new(false);
        let result = cell
            .get_or_try_init(|| async {
                fetched_here.store(true, std::sync::atomic::Ordering::Relaxed);
                let options = RequestOptions {
                    as_user,
                    urgent,
                    ..RequestOptions::default()
                };
                self.inspector.inspect(target, file_type, &options).await
            })
            .await
            .cloned();
        let mine = fetched_here.load(std::sync::atomic::Ordering::Relaxed);
        if mine && (result.is_err() || result.as_ref().is_ok_and(is_transient)) {
            // Nothing to share: the next file with this content tries itself.
            self.in_flight.lock().expect("in-flight lock").remove(sha1);
        }
        let mut inspection = result?;
        if let Some(e) = transient_error(&inspection) {
            return Err(e);
        }
        if !mine {
            // Another file's download: the same result, no bytes of ours.
            match &mut inspection {
                FileInspection::Inspected { downloaded, .. }
                | FileInspection::NotInspected { downloaded, .. } => *downloaded = false,
                FileInspection::Cached { .. } => {}
            }
        }
        Ok(Some(inspection))
    }

    async fn file_collaborations(
        &self,
        file_id: &str,
        as_user: Option<String>,
        urgent: bool,
    ) -> Result<Vec<CollaborationRecord>, ApiError> {
        let options = RequestOptions {
            as_user,
            urgent,
            ..RequestOptions::default()
        };
        self.client
            .file_collaborations(file_id, &options)
            .map_ok(|c| convert::collaboration(&c))
            .try_collect()
            .await
    }
}
