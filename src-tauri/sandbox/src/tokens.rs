//! Authorization codes, access tokens and rotating refresh tokens.
//!
//! The store keys every secret by its SHA-256 digest: the state file sits next to
//! the desktop app's data, so what lands on disk must not be usable as a token.
//!
//! Lifetimes run on the store's own [`SandboxClock`], which `/_sandbox/clock`
//! moves forward, so a test expires a token without waiting for it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::config::Rotation;

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The sandbox's time for codes and tokens: the system clock plus an offset
/// that only ever grows (time never runs backwards for an issued token).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxClock {
    offset_secs: i64,
}

impl SandboxClock {
    pub fn now(&self) -> i64 {
        now_unix() + self.offset_secs
    }

    pub fn advance(&mut self, secs: u64) {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        self.offset_secs = self.offset_secs.saturating_add(secs);
    }

    pub fn offset_secs(&self) -> i64 {
        self.offset_secs
    }
}

pub fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// SHA-256 of a token, hex: the only form in which a token is kept.
pub fn digest(token: &str) -> String {
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keys written by older versions were the tokens themselves.
fn is_digest(key: &str) -> bool {
    key.len() == 64
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The OAuth scopes a grant carries, as a set over the names Box knows.
/// Serialized as its bits; records written before scopes existed read as
/// [`Scopes::ALL`] (they were issued with everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(u8);

impl Default for Scopes {
    fn default() -> Self {
        Scopes::ALL
    }
}

impl Scopes {
    /// Every scope name the sandbox knows, in Box's spelling.
    pub const NAMES: [&'static str; 5] = [
        "root_readonly",
        "root_readwrite",
        "manage_managed_users",
        "manage_enterprise_properties",
        "manage_groups",
    ];
    /// What the sandbox's app is configured for: every scope above, so a
    /// sign-in without `scope` (and any token `/_sandbox` or a test mints
    /// in-process) may do everything.
    pub const ALL: Scopes = Scopes(0b1_1111);

    /// A space-separated `scope`; `Err(name)` for the first name Box does not know.
    pub fn parse(list: &str) -> Result<Scopes, String> {
        let mut bits = 0u8;
        for name in list.split_whitespace() {
            let i = Self::NAMES
                .iter()
                .position(|n| *n == name)
                .ok_or_else(|| name.to_string())?;
            bits |= 1 << i;
        }
        Ok(Scopes(bits))
    }

    pub fn has(self, name: &str) -> bool {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// Narrowed to what `other` also holds (a request within the app's scopes).
    pub fn within(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    /// Files and folders may be read (`root_readonly` or `root_readwrite`).
    pub fn reads_files(self) -> bool {
        self.has("root_readonly") || self.has("root_readwrite")
    }

    /// Files and folders may be changed.
    pub fn writes_files(self) -> bool {
        self.has("root_readwrite")
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = Self::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&names.join(" "))
    }
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub user: u32,
    /// What the authorize request asked for (within the app's scopes).
    pub scopes: Scopes,
    pub client_id: String,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessRec {
    pub user: u32,
    pub client_id: String,
    pub expires_at: i64,
    pub grant: u64,
    #[serde(default)]
    pub scopes: Scopes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRec {
    pub user: u32,
    pub client_id: String,
    pub expires_at: i64,
    pub grant: u64,
    /// Kept by every refresh: a grant never widens or narrows by refreshing.
    #[serde(default)]
    pub scopes: Scopes,
    pub used: bool,
    /// Digest of the refresh token issued when this one was used.
    #[serde(default)]
    pub successor_digest: Option<String>,
    /// That pair in clear, returned again in grace mode. Memory only: after a
    /// restart a re-sent old token is simply invalid, never a secret on disk.
    #[serde(skip)]
    pub successor: Option<(String, String)>,
}

/// Every map is keyed by `digest(token)`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TokenStore {
    #[serde(skip)]
    pub codes: HashMap<String, AuthCode>,
    pub access: HashMap<String, AccessRec>,
    pub refresh: HashMap<String, RefreshRec>,
    pub next_grant: u64,
    /// Kept with the tokens so their lifetimes stay consistent across restarts.
    #[serde(default)]
    pub clock: SandboxClock,
    /// Refresh requests answered with an error since start: a client that
    /// shares a connection safely never spends a dead refresh token.
    #[serde(skip)]
    pub refused_refreshes: u64,
}

const DAY: i64 = 86_400;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RefreshError {
    Invalid,
    Expired,
    WrongClient,
}

impl TokenStore {
    pub fn load(path: &Path) -> TokenStore {
        let mut store: TokenStore = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        // A file from before digests holds tokens in clear: re-key it and rewrite it
        // at once so the clear tokens leave the disk.
        if store
            .access
            .keys()
            .chain(store.refresh.keys())
            .any(|k| !is_digest(k))
        {
            store.access = rekey(std::mem::take(&mut store.access));
            store.refresh = rekey(std::mem::take(&mut store.refresh));
            store.save(path);
        }
        store
    }

    /// Write atomically (temp file + rename) so a crash never leaves half a file.
    pub fn save(&self, path: &Path) {
        let Ok(bytes) = serde_json::to_vec(self) else {
            return;
        };
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }

    pub fn issue_code(&mut self, code: AuthCode) -> String {
        let now = self.clock.now();
        self.codes.retain(|_, c| c.expires_at > now - 60);
        let value = random_token(32);
        self.codes.insert(digest(&value), code);
        value
    }

    /// Codes are single use: the code is gone whether or not it is still valid.
    pub fn take_code(&mut self, value: &str) -> Option<AuthCode> {
        self.codes.remove(&digest(value))
    }

    /// A pair with every scope: what tests and in-process tools mint.
    pub fn issue_pair(
        &mut self,
        user: u32,
        client_id: &str,
        grant: Option<u64>,
        access_ttl: i64,
        refresh_ttl: i64,
    ) -> IssuedPair {
        self.issue_scoped_pair(user, client_id, grant, Scopes::ALL, access_ttl, refresh_ttl)
    }

    pub fn issue_scoped_pair(
        &mut self,
        user: u32,
        client_id: &str,
        grant: Option<u64>,
        scopes: Scopes,
        access_ttl: i64,
        refresh_ttl: i64,
    ) -> IssuedPair {
        let now = self.clock.now();
        let grant = grant.unwrap_or_else(|| {
            self.next_grant += 1;
            self.next_grant
        });
        let access = random_token(32);
        let refresh = random_token(64);
        self.access.insert(
            digest(&access),
            AccessRec {
                user,
                client_id: client_id.into(),
                expires_at: now + access_ttl,
                grant,
                scopes,
            },
        );
        self.refresh.insert(
            digest(&refresh),
            RefreshRec {
                user,
                client_id: client_id.into(),
                expires_at: now + refresh_ttl,
                grant,
                scopes,
                used: false,
                successor_digest: None,
                successor: None,
            },
        );
        // Dead records are dropped lazily so the store stays small; expired ones are
        // kept a day so their error says "expired" rather than "invalid".
        self.access.retain(|_, a| a.expires_at > now - DAY);
        self.refresh
            .retain(|_, r| r.expires_at > now - DAY && !(r.used && r.successor.is_none()));
        IssuedPair {
            access_token: access,
            refresh_token: refresh,
            expires_in: access_ttl,
        }
    }

    pub fn refresh(
        &mut self,
        token: &str,
        client_id: &str,
        rotation: Rotation,
        access_ttl: i64,
        refresh_ttl: i64,
    ) -> Result<IssuedPair, RefreshError> {
        let result = self.rotate(token, client_id, rotation, access_ttl, refresh_ttl);
        if result.is_err() {
            self.refused_refreshes += 1;
        }
        result
    }

    fn rotate(
        &mut self,
        token: &str,
        client_id: &str,
        rotation: Rotation,
        access_ttl: i64,
        refresh_ttl: i64,
    ) -> Result<IssuedPair, RefreshError> {
        let now = self.clock.now();
        let key = digest(token);
        let rec = self
            .refresh
            .get(&key)
            .cloned()
            .ok_or(RefreshError::Invalid)?;
        if rec.client_id != client_id {
            return Err(RefreshError::WrongClient);
        }
        if rec.expires_at <= now {
            return Err(RefreshError::Expired);
        }
        if rec.used {
            // Grace: the previous token still answers with the same pair until the new
            // refresh token is itself used.
            if rotation == Rotation::Grace {
                if let Some((a, r)) = &rec.successor {
                    if self.refresh.get(&digest(r)).is_some_and(|n| !n.used) {
                        let expires_in = self
                            .access
                            .get(&digest(a))
                            .map(|x| (x.expires_at - now).max(0))
                            .unwrap_or(0);
                        return Ok(IssuedPair {
                            access_token: a.clone(),
                            refresh_token: r.clone(),
                            expires_in,
                        });
                    }
                }
            }
            return Err(RefreshError::Invalid);
        }
        let pair = self.issue_scoped_pair(
            rec.user,
            client_id,
            Some(rec.grant),
            rec.scopes,
            access_ttl,
            refresh_ttl,
        );
        match rotation {
            Rotation::Strict => {
                self.refresh.remove(&key);
            }
            Rotation::Grace => {
                if let Some(r) = self.refresh.get_mut(&key) {
                    r.used = true;
                    r.successor_digest = Some(digest(&pair.refresh_token));
                    r.successor = Some((pair.access_token.clone(), pair.refresh_token.clone()));
                }
            }
        }
        // The previous pair's predecessor (if any) is now dead for good.
        self.refresh
            .retain(|_, r| !(r.used && r.successor_digest.as_deref() == Some(key.as_str())));
        Ok(pair)
    }

    /// Revoke a token of either kind: the whole grant (every token issued from the
    /// same sign-in) stops working.
    pub fn revoke(&mut self, token: &str) -> bool {
        let key = digest(token);
        let grant = self
            .access
            .get(&key)
            .map(|a| a.grant)
            .or_else(|| self.refresh.get(&key).map(|r| r.grant));
        match grant {
            Some(g) => {
                self.access.retain(|_, a| a.grant != g);
                self.refresh.retain(|_, r| r.grant != g);
                true
            }
            None => false,
        }
    }

    /// Access token lookup: the user, or None when unknown or expired.
    pub fn user_of(&self, access: &str) -> Option<u32> {
        self.grant_of(access).map(|(user, _)| user)
    }

    /// Access token lookup: the user and the scopes the token carries.
    pub fn grant_of(&self, access: &str) -> Option<(u32, Scopes)> {
        self.access
            .get(&digest(access))
            .filter(|a| a.expires_at > self.clock.now())
            .map(|a| (a.user, a.scopes))
    }

    pub fn expire_all_access(&mut self) {
        let now = self.clock.now();
        for a in self.access.values_mut() {
            a.expires_at = now - 1;
        }
    }

    /// Grants of `client_id` that can still be refreshed: each sign-in is
    /// one grant, and under rotation one chain of refresh tokens. Two
    /// processes sharing a connection must keep this at one.
    pub fn live_grants(&self, client_id: &str) -> usize {
        let now = self.clock.now();
        self.refresh
            .values()
            .filter(|r| r.client_id == client_id && !r.used && r.expires_at > now)
            .map(|r| r.grant)
            .collect::<HashSet<_>>()
            .len()
    }

    /// Whether a refresh with `token` would succeed (without using it up).
    pub fn refresh_token_is_live(&self, token: &str) -> bool {
        let now = self.clock.now();
        self.refresh
            .get(&digest(token))
            .is_some_and(|r| !r.used && r.expires_at > now)
    }

    pub fn revoke_all(&mut self) {
        self.access.clear();
        self.refresh.clear();
    }
}

fn rekey<V>(map: HashMap<String, V>) -> HashMap<String, V> {
    map.into_iter()
        .map(|(k, v)| {
            if is_digest(&k) {
                (k, v)
            } else {
                (digest(&k), v)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_print_and_refuse_unknown_names() {
        let s = Scopes::parse("root_readonly  manage_managed_users").unwrap();
        assert!(s.reads_files() && !s.writes_files() && s.has("manage_managed_users"));
        assert_eq!(s.to_string(), "root_readonly manage_managed_users");
        assert_eq!(
            Scopes::parse("root_readonly item_fly"),
            Err("item_fly".into())
        );
        assert_eq!(Scopes::ALL.to_string(), Scopes::NAMES.join(" "));
    }

    #[test]
    fn a_record_from_before_scopes_reads_as_every_scope() {
        let old = r#"{"user":1,"client_id":"c","expires_at":9,"grant":1}"#;
        let rec: AccessRec = serde_json::from_str(old).unwrap();
        assert_eq!(rec.scopes, Scopes::ALL);
    }

    #[test]
    fn a_refresh_keeps_the_scopes_of_the_grant() {
        let mut store = TokenStore::default();
        let narrow = Scopes::parse("root_readonly").unwrap();
        let pair = store.issue_scoped_pair(1, "c", None, narrow, 60, 600);
        assert_eq!(store.grant_of(&pair.access_token), Some((1, narrow)));
        let next = store
            .refresh(&pair.refresh_token, "c", Rotation::Strict, 60, 600)
            .unwrap();
        assert_eq!(store.grant_of(&next.access_token), Some((1, narrow)));
    }
}
