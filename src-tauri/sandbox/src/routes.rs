//! The table of everything the sandbox serves under Box's paths, with the query
//! parameters each route reads. The conformance test checks every row against
//! Box's OpenAPI spec; handlers can only read parameters listed here (see `api::Q`).

pub struct Route {
    pub method: &'static str,
    /// The path as written in the spec (relative to its server URL).
    pub spec_path: &'static str,
    /// The path the sandbox serves (axum syntax).
    pub served_path: &'static str,
    pub query: &'static [&'static str],
}

pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        spec_path: "/oauth2/token",
        served_path: "/oauth2/token",
        query: &[],
    },
    Route {
        method: "POST",
        spec_path: "/oauth2/revoke",
        served_path: "/oauth2/revoke",
        query: &[],
    },
    Route {
        method: "GET",
        spec_path: "/users/me",
        served_path: "/2.0/users/me",
        query: &["fields"],
    },
    Route {
        method: "GET",
        spec_path: "/users",
        served_path: "/2.0/users",
        query: &[
            "filter_term",
            "user_type",
            "fields",
            "offset",
            "limit",
            "usemarker",
            "marker",
        ],
    },
    Route {
        method: "GET",
        spec_path: "/folders/{folder_id}",
        served_path: "/2.0/folders/{folder_id}",
        query: &["fields"],
    },
    Route {
        method: "GET",
        spec_path: "/folders/{folder_id}/items",
        served_path: "/2.0/folders/{folder_id}/items",
        query: &["fields", "usemarker", "marker", "offset", "limit"],
    },
    Route {
        method: "GET",
        spec_path: "/files/{file_id}",
        served_path: "/2.0/files/{file_id}",
        query: &["fields"],
    },
    Route {
        method: "GET",
        spec_path: "/files/{file_id}/content",
        served_path: "/2.0/files/{file_id}/content",
        query: &["version"],
    },
    Route {
        method: "GET",
        spec_path: "/files/{file_id}/collaborations",
        served_path: "/2.0/files/{file_id}/collaborations",
        query: &["fields", "limit", "marker"],
    },
    Route {
        method: "GET",
        spec_path: "/folders/{folder_id}/collaborations",
        served_path: "/2.0/folders/{folder_id}/collaborations",
        query: &["fields", "limit", "marker"],
    },
    Route {
        method: "GET",
        spec_path: "/events",
        served_path: "/2.0/events",
        query: &[
            "stream_type",
            "stream_position",
            "limit",
            "event_type",
            "created_after",
            "created_before",
        ],
    },
    // The write API. Uploads are served where Box's upload server has them
    // (`https://upload.box.com/api/2.0`), the rest beside the reads.
    Route {
        method: "POST",
        spec_path: "/files/content",
        served_path: "/api/2.0/files/content",
        query: &["fields"],
    },
    Route {
        method: "POST",
        spec_path: "/files/{file_id}/content",
        served_path: "/api/2.0/files/{file_id}/content",
        query: &["fields"],
    },
    Route {
        method: "PUT",
        spec_path: "/files/{file_id}",
        served_path: "/2.0/files/{file_id}",
        query: &["fields"],
    },
    Route {
        method: "DELETE",
        spec_path: "/files/{file_id}",
        served_path: "/2.0/files/{file_id}",
        query: &[],
    },
    Route {
        method: "PUT",
        spec_path: "/folders/{folder_id}",
        served_path: "/2.0/folders/{folder_id}",
        query: &["fields"],
    },
    Route {
        method: "POST",
        spec_path: "/collaborations",
        served_path: "/2.0/collaborations",
        query: &["fields", "notify"],
    },
    Route {
        method: "GET",
        spec_path: "/collaborations/{collaboration_id}",
        served_path: "/2.0/collaborations/{collaboration_id}",
        query: &["fields"],
    },
    Route {
        method: "POST",
        spec_path: "/folders",
        served_path: "/2.0/folders",
        query: &["fields"],
    },
    Route {
        method: "DELETE",
        spec_path: "/collaborations/{collaboration_id}",
        served_path: "/2.0/collaborations/{collaboration_id}",
        query: &[],
    },
];

/// Request headers the sandbox honours (the spec lists some as header parameters;
/// `as-user` and `authorization` are documented outside the paths).
/// Rows are (method, spec path, header).
pub const HEADERS: &[(&str, &str, &str)] = &[
    ("GET", "/files/{file_id}", "if-none-match"),
    ("GET", "/files/{file_id}/content", "range"),
    ("PUT", "/files/{file_id}", "if-match"),
    ("DELETE", "/files/{file_id}", "if-match"),
    ("PUT", "/folders/{folder_id}", "if-match"),
    ("POST", "/files/{file_id}/content", "if-match"),
    ("POST", "/files/content", "content-md5"),
    ("POST", "/files/{file_id}/content", "content-md5"),
];

pub fn params_of(method: &str, spec_path: &str) -> &'static [&'static str] {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.spec_path == spec_path)
        .map(|r| r.query)
        .unwrap_or(&[])
}
