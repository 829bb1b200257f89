//! The data-center profiles the admin picks from. They are data
//! (`datacenters.json`), not code: a new Box data center is a new JSON entry.
//! The profile types cross IPC, so they are defined in `ipc`; what they mean
//! (endpoints, the Custom profile's rules) is here.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, UserError};
use crate::ipc::{CustomSettings, DataCenter};

/// Box's public OAuth and API endpoints. Every Box data center shares them;
/// the data centers differ only in the connector's API key (client id).
pub const BOX_AUTHORIZE_URL: &str = "https://account.box.com/api/oauth2/authorize";
pub const BOX_TOKEN_URL: &str = "https://api.box.com/oauth2/token";
pub const BOX_REVOKE_URL: &str = "https://api.box.com/oauth2/revoke";
pub const BOX_API_URL: &str = "https://api.box.com/2.0";

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

// The Custom profile's endpoints: the admin's own addresses, with Box's
// only where that cannot send a credential to a host the admin did not name.
/// Hosts whose endpoints may stand in for an address the admin left empty.
fn is_box_host(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str()
                .is_some_and(|h| h == "box.com" || h.ends_with(".box.com"))
    })
}

/// Whether `url` may receive a credential: https, or plain http to this
/// machine only (a loopback address or `localhost`: the sandbox, a test
/// server), where nothing crosses a network to be read.
pub fn is_secure_endpoint(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

impl CustomSettings {
    /// The addresses a Custom connection uses. An empty field falls back to
    /// Box's public endpoint only while every address the admin gave is on
    /// Box (their own Box app); for another OAuth server the token and API
    /// addresses must be given, since both receive credentials. Revocation
    /// goes to the given revoke URL, else beside a token URL ending in
    /// `/token`, else nowhere (`revoke_url: None`).
    pub fn endpoints(&self) -> Result<Endpoints, UserError> {
        let given = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let authorize = given(&self.authorize_url);
        let token = given(&self.token_url);
        let api = given(&self.api_url);
        let revoke = given(&self.revoke_url);
        // Tokens, secrets and every API answer pass through these addresses.
        if let Some(plain) = [&authorize, &token, &api, &revoke]
            .into_iter()
            .flatten()
            .find(|u| !is_secure_endpoint(u))
        {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!("\"{plain}\" is not an https address; Box Connector sends sign-ins and tokens only over https."),
                "Enter https:// addresses (plain http only to this machine: localhost, 127.0.0.1 or ::1).",
            ));
        }
        let all_box = [&authorize, &token, &api, &revoke]
            .into_iter()
            .flatten()
            .all(|u| is_box_host(u));
        let mut e = Endpoints::box_public();
        if !all_box {
            let mut missing = Vec::new();
            if token.is_none() {
                missing.push("token URL");
            }
            if api.is_none() {
                missing.push("API URL");
            }
            if !missing.is_empty() {
                return Err(UserError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "The Custom data center points at a server other than Box but has no {}; Box Connector will not send its sign-in to Box's instead.",
                        missing.join(" and ")
                    ),
                    "Enter the token URL and the API URL of your OAuth server too (CLI: --token-url and --api-url), or leave every address empty to use Box's.",
                ));
            }
        }
        if let Some(a) = authorize {
            e.authorize_url = a;
        }
        if let Some(t) = token {
            // Standard servers put revoke beside token; Box does too. Any
            // other token URL gives no safe guess: no revocation.
            e.revoke_url = t
                .strip_suffix("/token")
                .map(|base| format!("{base}/revoke"));
            e.token_url = t;
        }
        if let Some(r) = revoke {
            e.revoke_url = Some(r);
        }
        if let Some(a) = api {
            e.api_url = a.trim_end_matches('/').to_string();
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::EndpointSource;

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

#[cfg(test)]
mod custom_endpoint_tests {
    use super::*;

    fn custom(token: Option<&str>, api: Option<&str>, revoke: Option<&str>) -> CustomSettings {
        CustomSettings {
            client_id: "cid".into(),
            authorize_url: Some("https://idp.example.com/authorize".into()),
            token_url: token.map(Into::into),
            api_url: api.map(Into::into),
            revoke_url: revoke.map(Into::into),
        }
    }

    /// Every address of a Custom connection that receives a credential.
    fn credential_hosts(e: &Endpoints) -> Vec<String> {
        [Some(&e.token_url), e.revoke_url.as_ref(), Some(&e.api_url)]
            .into_iter()
            .flatten()
            .map(|u| url::Url::parse(u).unwrap().host_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_token_url_not_ending_in_token_is_never_revoked_at_box() {
        let e = custom(
            Some("https://idp.example.com/oauth/v2/access"),
            Some("https://api.example.com/2.0"),
            None,
        )
        .endpoints()
        .unwrap();
        assert_eq!(e.revoke_url, None, "no guess, and never Box's");
        assert!(
            credential_hosts(&e).iter().all(|h| !h.ends_with("box.com")),
            "{e:?}"
        );
    }

    #[test]
    fn revoke_url_is_given_or_derived_beside_token() {
        let given = custom(
            Some("https://idp.example.com/oauth/v2/access"),
            Some("https://api.example.com/2.0/"),
            Some("https://idp.example.com/oauth/v2/revoke-it"),
        )
        .endpoints()
        .unwrap();
        assert_eq!(
            given.revoke_url.as_deref(),
            Some("https://idp.example.com/oauth/v2/revoke-it")
        );
        assert_eq!(given.api_url, "https://api.example.com/2.0");
        let derived = custom(
            Some("https://idp.example.com/oauth2/token"),
            Some("https://api.example.com/2.0"),
            None,
        )
        .endpoints()
        .unwrap();
        assert_eq!(
            derived.revoke_url.as_deref(),
            Some("https://idp.example.com/oauth2/revoke")
        );
    }

    #[test]
    fn another_server_without_token_or_api_url_is_refused_not_sent_to_box() {
        for (token, api) in [
            (None, Some("https://api.example.com/2.0")),
            (Some("https://idp.example.com/oauth2/token"), None),
        ] {
            let err = custom(token, api, None).endpoints().unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.hint.contains("--token-url"), "{err:?}");
        }
    }

    #[test]
    fn the_admins_own_box_app_falls_back_to_box_endpoints() {
        let own = CustomSettings {
            client_id: "cid".into(),
            authorize_url: Some("https://ent.box.com/api/oauth2/authorize".into()),
            token_url: None,
            api_url: None,
            revoke_url: None,
        };
        let e = own.endpoints().unwrap();
        assert_eq!(e.authorize_url, "https://ent.box.com/api/oauth2/authorize");
        assert_eq!(e.token_url, BOX_TOKEN_URL);
        assert_eq!(e.revoke_url.as_deref(), Some(BOX_REVOKE_URL));
        assert_eq!(e.api_url, BOX_API_URL);
        // A look-alike host is not Box.
        let fake = CustomSettings {
            authorize_url: Some("https://evilbox.com/authorize".into()),
            ..own
        };
        assert!(fake.endpoints().is_err());
    }

    #[test]
    fn only_https_or_loopback_http_endpoints_are_accepted() {
        for ok in [
            "https://idp.example.com/oauth2/token",
            "http://127.0.0.1:4000/oauth2/token",
            "http://127.9.8.7/oauth2/token",
            "http://localhost:8080/oauth2/token",
            "http://LOCALHOST/oauth2/token",
            "http://[::1]:4000/oauth2/token",
        ] {
            assert!(is_secure_endpoint(ok), "{ok}");
            let e = custom(Some(ok), Some("https://api.example.com/2.0"), None).endpoints();
            assert!(e.is_ok(), "{ok}: {e:?}");
        }
        for bad in [
            "http://idp.example.com/oauth2/token",
            "http://127.0.0.1.evil.example/oauth2/token",
            "http://localhost.evil.example/oauth2/token",
            "http://10.0.0.1/oauth2/token",
            "http://[::2]/oauth2/token",
            "ftp://idp.example.com/token",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            assert!(!is_secure_endpoint(bad), "{bad}");
            let err = custom(Some(bad), Some("https://api.example.com/2.0"), None)
                .endpoints()
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}");
            assert!(err.message.contains("https"), "{err:?}");
        }
        // Every field is checked, not only the token URL.
        let mut plain_api = custom(
            Some("https://idp.example.com/oauth2/token"),
            Some("http://api.example.com/2.0"),
            None,
        );
        assert!(plain_api.endpoints().is_err());
        plain_api.api_url = Some("https://api.example.com/2.0".into());
        plain_api.authorize_url = Some("http://idp.example.com/authorize".into());
        assert!(plain_api.endpoints().is_err());
        plain_api.authorize_url = None;
        plain_api.revoke_url = Some("http://idp.example.com/revoke".into());
        assert!(plain_api.endpoints().is_err());
    }

    #[test]
    fn older_saved_settings_without_revoke_url_still_load() {
        let s: CustomSettings = serde_json::from_str(
            r#"{"client_id":"c","authorize_url":null,"token_url":null,"api_url":null}"#,
        )
        .unwrap();
        assert_eq!(s.revoke_url, None);
    }
}
