//! Marker pagination, once for every listing: a stream of entries that asks
//! for the next page only when the caller has taken the last one.

use futures_core::Stream;
use futures_util::{stream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::models::Page;
use super::{ApiError, BoxClient, Fetched, Request, RequestOptions};

/// A listing to page through: `path` and `query` as for one page; `marker`
/// is added from the second page on.
pub(crate) struct Listing {
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub options: RequestOptions,
}

struct Cursor {
    marker: Option<String>,
    done: bool,
}

impl BoxClient {
    /// Every entry of a marker-paginated listing, page after page.
    pub(crate) fn paginate<'a, T>(
        &'a self,
        listing: Listing,
    ) -> impl Stream<Item = Result<T, ApiError>> + Send + 'a
    where
        T: DeserializeOwned + Send + 'a,
    {
        let listing = std::sync::Arc::new(listing);
        let start = Cursor {
            marker: None,
            done: false,
        };
        stream::try_unfold(start, move |cursor| {
            let listing = listing.clone();
            async move {
                if cursor.done {
                    return Ok(None);
                }
                let mut query = listing.query.clone();
                if let Some(m) = &cursor.marker {
                    query.push(("marker", m.clone()));
                }
                let req = Request {
                    method: Method::GET,
                    path: &listing.path,
                    query: &query,
                    options: &listing.options,
                    json: None,
                };
                let page: Page<T> = match self.json(&req).await? {
                    Fetched::Fresh(p) => p,
                    Fetched::NotModified => return Ok(None),
                };
                let next = page.next_marker.filter(|m| !m.is_empty());
                let cursor = Cursor {
                    done: next.is_none(),
                    marker: next,
                };
                Ok::<_, ApiError>(Some((page.entries, cursor)))
            }
        })
        .map_ok(|entries| stream::iter(entries.into_iter().map(Ok::<T, ApiError>)))
        .try_flatten()
        .boxed()
    }
}
