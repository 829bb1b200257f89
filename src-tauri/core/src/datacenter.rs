//! The data-center profiles the admin picks from. They are data
//! (`datacenters.json`), not code: a new Box data center is a new JSON entry.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Box's public OAuth and API endpoints. Every Box data center shares them;
/// the data centers differ only in the connector's API key (client id).
pub const BOX_AUTHORIZE_URL: &str = "https://account.box.com/api/oauth2/authorize";
pub const BOX_TOKEN_URL: &str = "https://api.box.com/oauth2/token";
pub const BOX_REVOKE_URL: &str = "https://api.box.com/oauth2/revoke";
pub const BOX_API_URL: &str = "https://api.box.com/2.0";

/// Where a profile's endpoints come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EndpointSource {
    /// Box's public endpoints.
    Box,
    /// The embedded box-sandbox; its URLs are known only once it listens.
    Sandbox,
    /// Supplied by the admin (their own Box app or another OAuth 2.0 server).
    Custom,
}

/// One selectable data center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DataCenter {
    /// Stable id used in the store, the keychain and the CLI (`us1`, `sandbox`...).
    pub id: String,
    pub label: String,
    pub description: String,
    /// The client id the admin allowlists in Box's admin console.
    /// `None` for Custom, where the admin brings their own.
    pub api_key: Option<String>,
    pub endpoints: EndpointSource,
    /// Whether the authorize request carries a PKCE S256 challenge.
    /// Box does not document PKCE, so only profiles known to support it send one.
    pub pkce: bool,
}

/// Concrete OAuth and API URLs for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Endpoints {
    pub authorize_url: String,
    pub token_url: String,
    /// `None`: the server has no known revoke endpoint, so Disconnect only
    /// forgets the sign-in locally (never guesses another host).
    pub revoke_url: Option<String>,
    pub api_url: String,
}

impl Endpoints {
    pub fn box_public() -> Self {
        Endpoints {
            authorize_url: BOX_AUTHORIZE_URL.into(),
            token_url: BOX_TOKEN_URL.into(),
            revoke_url: Some(BOX_REVOKE_URL.into()),
            api_url: BOX_API_URL.into(),
        }
    }

    /// The same paths as Box, under another origin (the sandbox, a test server).
    pub fn under_origin(origin: &str) -> Self {
        let origin = origin.trim_end_matches('/');
        Endpoints {
            authorize_url: format!("{origin}/api/oauth2/authorize"),
            token_url: format!("{origin}/oauth2/token"),
            revoke_url: Some(format!("{origin}/oauth2/revoke")),
            api_url: format!("{origin}/2.0"),
        }
    }
}

const PROFILES_JSON: &str = include_str!("datacenters.json");

/// Every profile, in the order the UI lists them.
pub fn all() -> Vec<DataCenter> {
    // The file is compiled in and covered by tests, so a parse failure is a build bug.
    serde_json::from_str(PROFILES_JSON).expect("datacenters.json is valid")
}

pub fn by_id(id: &str) -> Option<DataCenter> {
    all().into_iter().find(|dc| dc.id.eq_ignore_ascii_case(id))
}

/// The step-1 guidance shown beside the API key.
pub const ALLOWLIST_STEPS: [&str; 3] = [
    "In Box, open Admin Console → Apps → Custom Apps → Settings (newer consoles: Integrations → Platform Apps Manager).",
    "If \"Disable unpublished apps by default\" is selected, add the API key shown above under \"Except for\".",
    "Click Save.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_box_data_centers_with_the_seed_api_keys() {
        let expected = [
            ("us1", "nduj1o3yavu30dii7e03c3n7p49cj2qh"),
            ("us2", "w0ouf1apiii9z8o0r6kpr4nu1pvyec75"),
            ("us3", "dmcyvu1s9284i2u6gw9r2kb0hhve4a0r"),
            ("eu1", "me9cm6n7kr4mfz135yt0ab9f5k4ze8qp"),
            ("eu2", "uwdy5r40t7jprdlzo85v8suw1l4cdsbf"),
            ("legacy", "bwahmilhdlpbqy2ongkl119o3lrkoshc"),
        ];
        for (id, key) in expected {
            let dc = by_id(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(dc.api_key.as_deref(), Some(key), "{id}");
            assert_eq!(dc.endpoints, EndpointSource::Box, "{id}");
            assert!(!dc.pkce, "{id}: Box does not document PKCE");
        }
    }

    #[test]
    fn sandbox_and_custom_are_offered_and_ids_are_unique() {
        let all = all();
        assert_eq!(all.len(), 8);
        assert_eq!(by_id("sandbox").unwrap().endpoints, EndpointSource::Sandbox);
        assert_eq!(by_id("CUSTOM").unwrap().api_key, None);
        let mut ids: Vec<_> = all.iter().map(|d| d.id.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 8);
    }

    #[test]
    fn sandbox_urls_mirror_box_paths() {
        let e = Endpoints::under_origin("http://127.0.0.1:4000/");
        assert_eq!(
            e.authorize_url,
            "http://127.0.0.1:4000/api/oauth2/authorize"
        );
        assert_eq!(e.token_url, "http://127.0.0.1:4000/oauth2/token");
        assert_eq!(e.api_url, "http://127.0.0.1:4000/2.0");
    }
}
