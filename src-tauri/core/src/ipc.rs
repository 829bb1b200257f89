//! What crosses IPC: the state snapshot the UI starts from and the events
//! pushed after it. TypeScript types are generated from these (ts-rs) into
//! `ui/src/lib/bindings/` by `cargo test -p connector-core`.
//! Nothing here may carry a secret: tokens and client secrets stay in `auth`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::datacenter::{DataCenter, Endpoints};
use crate::error::{ErrorCode, UserError};
use crate::health::Health;

/// Everything the UI shows, in one value. Sent once at start-up and again
/// (whole) in `CoreEvent::SnapshotChanged` whenever it changes.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Snapshot {
    pub datacenters: Vec<DataCenterView>,
    /// Id of the data center the admin picked (`sandbox` until they pick another).
    pub selected_datacenter: String,
    /// The seed's step 1 (allowlist the API key), shown beside the key.
    pub allowlist_steps: Vec<String>,
    pub connection: ConnectionView,
    /// Present while a sign-in is waiting for the browser.
    pub sign_in: Option<SignInView>,
    /// `None` while the database cannot be opened.
    pub health: Option<Health>,
    /// The last API test, from the store: shown offline too.
    pub last_api_test: Option<ApiTestReport>,
    pub database: DatabaseStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DataCenterView {
    #[serde(flatten)]
    pub profile: DataCenter,
    /// Whether a client secret for this data center is in the keychain
    /// (the sandbox brings its own, so it is always true there).
    pub has_client_secret: bool,
    /// For Custom: the client id and URLs the admin entered (no secret).
    pub custom: Option<CustomSettings>,
}

/// The admin's own app (Custom data center). The client secret is not here:
/// it lives in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomSettings {
    pub client_id: String,
    /// Empty fields fall back to Box's public endpoints — but only while every
    /// address given is Box's own: a credential never goes to a host the admin
    /// did not name (see [`CustomSettings::endpoints`]).
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub api_url: Option<String>,
    /// Where Disconnect revokes the sign-in. Empty: beside the token URL when
    /// that ends in `/token`, else the sign-in is not revoked at Disconnect
    /// (the local copy is still removed).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub revoke_url: Option<String>,
}

/// Hosts whose endpoints may stand in for an address the admin left empty.
fn is_box_host(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str()
                .is_some_and(|h| h == "box.com" || h.ends_with(".box.com"))
    })
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectionState {
    NotConnected,
    /// A sign-in is in progress (browser open, waiting for the callback).
    Connecting,
    Connected,
    /// Box refused the stored tokens (`invalid_grant`, app removed...): sign in again.
    NeedsReconnect,
    /// Tokens are fine but Box could not be reached.
    Offline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConnectionView {
    pub state: ConnectionState,
    /// Data center of the current (or last) connection.
    pub datacenter_id: Option<String>,
    pub account: Option<AccountView>,
    /// One sentence on what the admin does next in this state.
    pub what_to_do: String,
    /// Why the last connect / refresh failed, if it did.
    pub error: Option<UserError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccountView {
    pub user_id: String,
    pub name: String,
    pub login: String,
    /// `admin`, `coadmin` or `user`.
    pub role: String,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
}

/// A sign-in waiting for the browser: the UI offers "copy sign-in link" and
/// "paste the redirect URL" from this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SignInView {
    pub datacenter_id: String,
    pub authorize_url: String,
    pub redirect_uri: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// False when the browser could not be opened: the UI stresses the copy link.
    pub browser_opened: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CheckStatus {
    Pending,
    Running,
    Pass,
    Warn,
    Fail,
    /// Not run because an earlier check failed.
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ApiCheckId {
    TokenValid,
    Role,
    EnterpriseEvents,
    UsersListable,
    ActAsUser,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApiCheck {
    pub id: ApiCheckId,
    pub label: String,
    pub status: CheckStatus,
    /// What was found ("Signed in as admin@example.com (admin)").
    pub detail: Option<String>,
    /// Box's own error message, when Box refused.
    pub box_error: Option<String>,
    /// What the admin does about a warning or failure.
    pub fix: Option<String>,
}

/// One run of the API test (the seed's step 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApiTestReport {
    pub datacenter_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Worst status over the checks once finished; `running` before.
    pub outcome: CheckStatus,
    pub checks: Vec<ApiCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DatabaseState {
    Ok,
    Corrupt,
    TooNew,
    Unavailable,
}

/// The local database. When it is not `ok` the app still starts, says what is
/// wrong and offers `move_database_aside` (never deletes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DatabaseStatus {
    pub state: DatabaseState,
    pub path: String,
    pub error: Option<UserError>,
}

/// Pushed to the UI (Tauri Channel) and the CLI (broadcast).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum CoreEvent {
    /// The whole state after any change; the UI may simply replace its copy.
    SnapshotChanged {
        snapshot: Box<Snapshot>,
    },
    /// A sign-in is waiting: the URL for "copy sign-in link".
    SignInStarted {
        sign_in: SignInView,
    },
    /// The browser hit the callback: the shell brings its window to the front.
    BringToFront,
    /// The sign-in finished; `error` is set when it failed.
    SignInFinished {
        error: Option<UserError>,
    },
    /// One check of a running API test changed.
    ApiTestProgress {
        report: ApiTestReport,
    },
    ApiTestFinished {
        report: ApiTestReport,
    },
    HealthChanged {
        health: Box<Health>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datacenter::{BOX_API_URL, BOX_REVOKE_URL, BOX_TOKEN_URL};

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
    fn older_saved_settings_without_revoke_url_still_load() {
        let s: CustomSettings = serde_json::from_str(
            r#"{"client_id":"c","authorize_url":null,"token_url":null,"api_url":null}"#,
        )
        .unwrap();
        assert_eq!(s.revoke_url, None);
    }
}
