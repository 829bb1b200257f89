//! One user's tree, walked as that user: the frontier from the store, a few
//! folders at once, each listed page by page with every page saved as it
//! comes (its marker with it), sub-folders joining the walk as they appear.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::convert::{self, Entry};
use super::{describe, is_fatal, Scanner};
use crate::box_api::models::{Page, ITEM_FIELDS};
use crate::box_api::{ApiError, ApiErrorKind, Fetched, RequestOptions};
use crate::error::{ErrorCode, UserError};
use crate::store::scan::{api_folder_id, CollaborationRecord, FrontierFolder, ListingPage};

/// Box's largest page.
const PAGE_LIMIT: &str = "1000";

/// How a folder's listing ended, when it did not simply finish.
enum Stopped {
    /// Try the folder again later (it is still pending, the error noted).
    Retry(FrontierFolder),
    /// The whole run must stop (no network, sign-in refused, local database).
    Fatal(UserError),
}

impl Scanner {
    pub(super) async fn walk_user(
        &self,
        user_id: String,
        generation: i64,
    ) -> Result<(), UserError> {
        let mut pending: VecDeque<FrontierFolder> = self
            .store
            .frontier(&self.connection_id, &user_id, generation)
            .await?
            .into();
        let mut listing = FuturesUnordered::new();
        loop {
            while listing.len() < self.config.folders_per_user.max(1) {
                let Some(folder) = pending.pop_front() else {
                    break;
                };
                listing.push(self.list_folder(folder));
            }
            match listing.next().await {
                None => break,
                Some(Ok(found)) => pending.extend(found),
                Some(Err(Stopped::Retry(folder))) => pending.push_back(folder),
                Some(Err(Stopped::Fatal(e))) => return Err(e),
            }
        }
        self.store
            .settle_user(&self.connection_id, &user_id, generation)
            .await?;
        Ok(())
    }

    /// Lists one folder to its end (from its saved marker), saving each
    /// page; returns the sub-folders this walk must list next.
    async fn list_folder(
        &self,
        mut folder: FrontierFolder,
    ) -> Result<Vec<FrontierFolder>, Stopped> {
        if folder.attempts > 0 {
            // A failed listing waits a little (the client already retried).
            let secs = 2u64.saturating_pow(folder.attempts.min(6));
            tokio::time::sleep(Duration::from_millis(250 * secs)).await;
        }
        let api_id = api_folder_id(&folder.folder_id).to_owned();
        let as_user = RequestOptions::default().as_user(folder.walk_user_id.clone());
        let mut collaborations = None;
        if folder.has_collaborations && folder.marker.is_none() {
            match self.folder_collaborations(&api_id, &as_user).await {
                Ok(c) => collaborations = Some(c),
                Err(e) => {
                    let request = format!("GET /folders/{api_id}/collaborations");
                    return self.listing_failed(folder, &request, e).await;
                }
            }
        }
        let options = as_user.fields(ITEM_FIELDS);
        let mut found = Vec::new();
        loop {
            let page = match self
                .items_page(
                    &api_id,
                    folder.marker.as_deref(),
                    &options,
                    &folder.folder_id,
                )
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    let request = format!("GET /folders/{api_id}/items");
                    return self.listing_failed(folder, &request, e).await;
                }
            };
            let (files, folders, next_marker) = page;
            let saved = self
                .store
                .save_listing_page(
                    &self.connection_id,
                    ListingPage {
                        folder_id: folder.folder_id.clone(),
                        walk_user_id: folder.walk_user_id.clone(),
                        generation: folder.generation,
                        files,
                        folders,
                        folder_collaborations: collaborations.take(),
                        next_marker: next_marker.clone(),
                        policy: self.policy(),
                        now: self.now(),
                        rescan_before: self.rescan_before(),
                        rules: super::queueing::LISTING_RULES,
                    },
                )
                .await
                .map_err(|e| Stopped::Fatal(e.into()))?;
            found.extend(saved.new_folders);
            if saved.files_enqueued > 0 {
                self.work_ready.notify_waiters();
            }
            match next_marker {
                Some(m) => folder.marker = Some(m),
                None => return Ok(found),
            }
        }
    }

    /// Files scanned before this are due a periodic rescan.
    pub(super) fn rescan_before(&self) -> Option<crate::store::Millis> {
        let interval = self.config.rescan_interval?;
        let at = self.clock.now() - chrono::Duration::from_std(interval).ok()?;
        Some(at.into())
    }

    /// One page of a folder's entries, typed: (files, folders, next marker).
    async fn items_page(
        &self,
        api_id: &str,
        marker: Option<&str>,
        options: &RequestOptions,
        frontier_id: &str,
    ) -> Result<PageOf, ApiError> {
        let mut query = vec![
            ("usemarker", "true".to_owned()),
            ("limit", PAGE_LIMIT.to_owned()),
        ];
        if let Some(m) = marker {
            query.push(("marker", m.to_owned()));
        }
        let path = format!("/folders/{api_id}/items");
        let page: Page<Value> = match self.client.get_json(&path, &query, options).await? {
            Fetched::Fresh(p) => p,
            Fetched::NotModified => Page {
                entries: Vec::new(),
                next_marker: None,
            },
        };
        let (mut files, mut folders) = (Vec::new(), Vec::new());
        for raw in page.entries {
            match convert::entry(raw, frontier_id) {
                Ok(Entry::File(f)) => files.push(f),
                Ok(Entry::Folder(d)) => folders.push(d),
                Ok(Entry::Other) => {}
                Err(e) => return Err(malformed(&format!("GET {path}"), &e)),
            }
        }
        Ok((files, folders, page.next_marker.filter(|m| !m.is_empty())))
    }

    pub(super) async fn folder_collaborations(
        &self,
        api_id: &str,
        options: &RequestOptions,
    ) -> Result<Vec<CollaborationRecord>, ApiError> {
        self.client
            .folder_collaborations(api_id, options)
            .map_ok(|c| convert::collaboration(&c))
            .try_collect()
            .await
    }

    /// A listing failed after the client's retries: stop the run, drop the
    /// folder (gone), or note it and retry later ('failed' after N).
    async fn listing_failed(
        &self,
        folder: FrontierFolder,
        request: &str,
        e: ApiError,
    ) -> Result<Vec<FrontierFolder>, Stopped> {
        if is_fatal(&e) {
            return Err(Stopped::Fatal(e.into()));
        }
        if e.kind == ApiErrorKind::NotFound {
            self.store
                .folder_gone(&self.connection_id, &folder, self.now())
                .await
                .map_err(|e| Stopped::Fatal(e.into()))?;
            return Ok(Vec::new());
        }
        let why = describe(&format!("{request} as user {}", folder.walk_user_id), &e);
        tracing::warn!(folder = %folder.folder_id, error = %why, "folder listing failed");
        let failed = self
            .store
            .folder_failed(&self.connection_id, &folder, why, self.config.max_attempts)
            .await
            .map_err(|e| Stopped::Fatal(e.into()))?;
        if failed {
            return Ok(Vec::new());
        }
        Err(Stopped::Retry(FrontierFolder {
            attempts: folder.attempts + 1,
            ..folder
        }))
    }
}

type PageOf = (
    Vec<crate::store::scan::ListedFile>,
    Vec<crate::store::scan::ListedFolder>,
    Option<String>,
);

/// A 2xx body whose entries are not what the spec says.
pub(super) fn malformed(request: &str, e: &serde_json::Error) -> ApiError {
    ApiError::from(UserError::new(
        ErrorCode::MalformedResponse,
        format!(
            "Failed to parse response from Box to {request}: an entry does not match Box's spec ({:?}).",
            e.classify()
        ),
        "This is usually temporary: the scan tries again.",
    ))
}
