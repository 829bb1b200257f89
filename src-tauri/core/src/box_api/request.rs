//! Per-request options: who the call acts as and the headers that shape
//! the answer.

/// Options of one call. `Default` is the signed-in admin, whole body, no
/// conditions, Box's default fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// `as-user`: act as this managed user.
    pub as_user: Option<String>,
    /// `Range` (`bytes=0-1023`), for downloads.
    pub range: Option<String>,
    /// `If-None-Match` (an etag): Box answers 304, seen as `NotModified`.
    pub if_none_match: Option<String>,
    /// `fields=`: which fields Box includes.
    pub fields: Option<String>,
    /// Someone waits on this one (a live poll, an edit's rescan): it goes
    /// ahead of the scan's queued requests in the limiter.
    pub urgent: bool,
}

impl RequestOptions {
    pub fn as_user(mut self, user_id: impl Into<String>) -> Self {
        self.as_user = Some(user_id.into());
        self
    }

    pub fn range(mut self, range: impl Into<String>) -> Self {
        self.range = Some(range.into());
        self
    }

    pub fn if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.if_none_match = Some(etag.into());
        self
    }

    pub fn urgent(mut self) -> Self {
        self.urgent = true;
        self
    }

    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    /// The options with `fields` set to `default` unless the caller chose.
    pub(super) fn fields_or(&self, default: &str) -> Option<String> {
        Some(self.fields.clone().unwrap_or_else(|| default.to_owned()))
    }
}

/// A fetch that may come back "unchanged since the etag you sent".
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched<T> {
    Fresh(T),
    NotModified,
}

impl<T> Fetched<T> {
    pub fn fresh(self) -> Option<T> {
        match self {
            Fetched::Fresh(t) => Some(t),
            Fetched::NotModified => None,
        }
    }
}
