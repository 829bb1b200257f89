//! The Box routes the connector calls, typed. Listings are streams (see
//! `paging`); single fetches honour `If-None-Match` through [`Fetched`].

use chrono::{DateTime, SecondsFormat, Utc};
use futures_core::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::models::{Collaboration, EventsPage, File, Folder, Item, User, UsersPage};
use super::models::{ITEM_FIELDS, USER_FIELDS};
use super::paging::Listing;
use super::{ApiError, BoxClient, Fetched, Request, RequestOptions};

/// Box's page size limits.
const MAX_LIST_LIMIT: u32 = 1000;
const MAX_EVENTS_LIMIT: u32 = 500;

/// A query of the enterprise event history (`stream_type=admin_logs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminLogsQuery {
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Only these event types (empty: all).
    pub event_types: Vec<String>,
    pub stream_position: Option<String>,
    /// At most 500 (Box's maximum); 0 means Box's default.
    pub limit: u32,
}

impl BoxClient {
    /// GET `path` and parse the JSON body (`as_user` optional).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        options: &RequestOptions,
    ) -> Result<Fetched<T>, ApiError> {
        self.json(&Request {
            method: Method::GET,
            path,
            query,
            options,
            json: None,
        })
        .await
    }

    /// Any method with an optional JSON body, parsed JSON back. Retried only
    /// where it cannot apply twice (see `retry::may_retry`).
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        options: &RequestOptions,
    ) -> Result<Fetched<T>, ApiError> {
        self.json(&Request {
            method,
            path,
            query: &[],
            options,
            json: body,
        })
        .await
    }

    /// A request Box answers without a body (204, e.g. a DELETE), with the
    /// same retries as `send_json`.
    pub async fn send_empty(
        &self,
        method: Method,
        path: &str,
        options: &RequestOptions,
    ) -> Result<(), ApiError> {
        let req = Request {
            method,
            path,
            query: &[],
            options,
            json: None,
        };
        match self.execute(&req, super::Read::Whole).await? {
            super::Answer::Body(_) | super::Answer::NotModified => Ok(()),
            super::Answer::Streaming(_) | super::Answer::Redirect(_) => {
                Err(super::error_from(reqwest::StatusCode::FOUND, b""))
            }
        }
    }

    async fn get_fresh<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        options: &RequestOptions,
    ) -> Result<T, ApiError> {
        match self.get_json(path, query, options).await? {
            Fetched::Fresh(t) => Ok(t),
            Fetched::NotModified => Err(super::error_from(reqwest::StatusCode::NOT_MODIFIED, b"")),
        }
    }

    /// The signed-in user (or `as_user`), with role and enterprise. Without
    /// `as_user` it also teaches the client the admin's id.
    pub async fn me(&self, as_user: Option<&str>) -> Result<User, ApiError> {
        let options = RequestOptions {
            as_user: as_user.map(str::to_owned),
            fields: Some(USER_FIELDS.into()),
            ..RequestOptions::default()
        };
        let me: User = self.get_fresh("/users/me", &[], &options).await?;
        if as_user.is_none() {
            self.set_self_user_id(&me.id);
        }
        Ok(me)
    }

    /// One page of managed users (marker pagination; `limit` ≤ 1000).
    pub async fn users_page(
        &self,
        limit: u32,
        marker: Option<&str>,
    ) -> Result<UsersPage, ApiError> {
        let mut q = vec![
            ("user_type", "managed".to_string()),
            ("usemarker", "true".to_string()),
            ("limit", limit.clamp(1, MAX_LIST_LIMIT).to_string()),
            ("fields", USER_FIELDS.to_string()),
        ];
        if let Some(m) = marker {
            q.push(("marker", m.to_string()));
        }
        self.get_fresh("/users", &q, &RequestOptions::default())
            .await
    }

    /// Every managed user.
    pub fn users(&self) -> impl Stream<Item = Result<User, ApiError>> + Send + '_ {
        self.paginate(Listing {
            path: "/users".into(),
            query: vec![
                ("user_type", "managed".into()),
                ("usemarker", "true".into()),
                ("limit", MAX_LIST_LIMIT.to_string()),
            ],
            options: RequestOptions::default().fields(USER_FIELDS),
        })
    }

    pub async fn folder(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Fetched<Folder>, ApiError> {
        let options = RequestOptions {
            fields: options.fields_or(ITEM_FIELDS),
            ..options.clone()
        };
        self.get_json(&format!("/folders/{id}"), &[], &options)
            .await
    }

    /// Every entry of a folder (files, folders, web links), with
    /// [`ITEM_FIELDS`] unless `options.fields` says otherwise.
    pub fn folder_items(
        &self,
        folder_id: &str,
        options: &RequestOptions,
    ) -> impl Stream<Item = Result<Item, ApiError>> + Send + '_ {
        self.paginate(Listing {
            path: format!("/folders/{folder_id}/items"),
            query: vec![
                ("usemarker", "true".into()),
                ("limit", MAX_LIST_LIMIT.to_string()),
            ],
            options: RequestOptions {
                fields: options.fields_or(ITEM_FIELDS),
                ..options.clone()
            },
        })
    }

    /// A file's metadata; with `options.if_none_match` (its etag), `NotModified`
    /// when it has not changed.
    pub async fn file(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Fetched<File>, ApiError> {
        let options = RequestOptions {
            fields: options.fields_or(ITEM_FIELDS),
            ..options.clone()
        };
        self.get_json(&format!("/files/{id}"), &[], &options).await
    }

    /// Every collaboration on a file, pending invites included.
    pub fn file_collaborations(
        &self,
        file_id: &str,
        options: &RequestOptions,
    ) -> impl Stream<Item = Result<Collaboration, ApiError>> + Send + '_ {
        self.collaborations(format!("/files/{file_id}/collaborations"), options)
    }

    /// Every collaboration on a folder, pending invites included.
    pub fn folder_collaborations(
        &self,
        folder_id: &str,
        options: &RequestOptions,
    ) -> impl Stream<Item = Result<Collaboration, ApiError>> + Send + '_ {
        self.collaborations(format!("/folders/{folder_id}/collaborations"), options)
    }

    fn collaborations(
        &self,
        path: String,
        options: &RequestOptions,
    ) -> impl Stream<Item = Result<Collaboration, ApiError>> + Send + '_ {
        self.paginate(Listing {
            path,
            query: vec![("limit", MAX_LIST_LIMIT.to_string())],
            options: options.clone(),
        })
    }

    /// One page of an event stream by name (the API test reads one entry).
    pub async fn admin_events(
        &self,
        stream_type: &str,
        stream_position: Option<&str>,
        limit: u32,
    ) -> Result<EventsPage, ApiError> {
        let mut q = vec![
            ("stream_type", stream_type.to_string()),
            ("limit", limit.clamp(1, MAX_EVENTS_LIMIT).to_string()),
        ];
        if let Some(p) = stream_position {
            q.push(("stream_position", p.to_string()));
        }
        self.get_fresh("/events", &q, &RequestOptions::default())
            .await
    }

    /// One page of the enterprise history (`admin_logs`): chronological, no
    /// duplicates, date filters honoured.
    pub async fn admin_logs(&self, query: &AdminLogsQuery) -> Result<EventsPage, ApiError> {
        let mut q = vec![("stream_type", "admin_logs".to_string())];
        let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, false);
        if let Some(t) = &query.created_after {
            q.push(("created_after", stamp(t)));
        }
        if let Some(t) = &query.created_before {
            q.push(("created_before", stamp(t)));
        }
        if !query.event_types.is_empty() {
            q.push(("event_type", query.event_types.join(",")));
        }
        if let Some(p) = &query.stream_position {
            q.push(("stream_position", p.clone()));
        }
        if query.limit > 0 {
            q.push(("limit", query.limit.min(MAX_EVENTS_LIMIT).to_string()));
        }
        self.get_fresh("/events", &q, &RequestOptions::default())
            .await
    }

    /// One page of the live stream (`admin_logs_streaming`): last 14 days,
    /// may repeat or reorder entries; `stream_position` `now` for the tip.
    /// It is urgent in the limiter: the live stream is what makes a rescan
    /// near-real-time, so it never waits behind the full scan's listings.
    pub async fn admin_logs_streaming(
        &self,
        stream_position: Option<&str>,
        limit: u32,
    ) -> Result<EventsPage, ApiError> {
        let mut q = vec![
            ("stream_type", "admin_logs_streaming".to_string()),
            ("limit", limit.clamp(1, MAX_EVENTS_LIMIT).to_string()),
        ];
        if let Some(p) = stream_position {
            q.push(("stream_position", p.to_string()));
        }
        self.get_fresh("/events", &q, &RequestOptions::default().urgent())
            .await
    }
}
