//! One connection's token pair and its keychain form. Its own module so the
//! token endpoint (`oauth`, which builds it) and the manager (`tokens`, which
//! keeps it) both depend on it instead of on each other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keychain::Sensitive;

/// One connection's tokens. Debug is redacted field by field.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: Sensitive<String>,
    pub refresh_token: Sensitive<String>,
    pub access_expires_at: DateTime<Utc>,
    pub access_issued_at: DateTime<Utc>,
    /// When the current refresh token was issued (its 60-day life starts here).
    pub refresh_issued_at: DateTime<Utc>,
}

/// The keychain entry's shape. Private: the only place a token is turned into
/// text is the keychain write.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    refresh_token: String,
    access_expires_at: DateTime<Utc>,
    access_issued_at: DateTime<Utc>,
    refresh_issued_at: DateTime<Utc>,
}

impl TokenSet {
    pub fn to_secret(&self) -> Sensitive<String> {
        let stored = StoredTokens {
            access_token: self.access_token.expose().clone(),
            refresh_token: self.refresh_token.expose().clone(),
            access_expires_at: self.access_expires_at,
            access_issued_at: self.access_issued_at,
            refresh_issued_at: self.refresh_issued_at,
        };
        Sensitive::new(serde_json::to_string(&stored).expect("plain struct serializes"))
    }

    pub fn from_secret(secret: &Sensitive<String>) -> Option<TokenSet> {
        let s: StoredTokens = serde_json::from_str(secret.expose()).ok()?;
        Some(TokenSet {
            access_token: Sensitive::new(s.access_token),
            refresh_token: Sensitive::new(s.refresh_token),
            access_expires_at: s.access_expires_at,
            access_issued_at: s.access_issued_at,
            refresh_issued_at: s.refresh_issued_at,
        })
    }

    /// Refresh when less than a tenth of the token's life (at most 5 minutes)
    /// is left, so a request never goes out with a token about to die.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        let life = self.access_expires_at - self.access_issued_at;
        let margin = std::cmp::min(life / 10, chrono::Duration::minutes(5));
        now + margin >= self.access_expires_at
    }

    /// Whether both hold the same refresh token (the same link of the chain).
    pub fn same_refresh_token(&self, other: &TokenSet) -> bool {
        self.refresh_token.expose() == other.refresh_token.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(issued: DateTime<Utc>, life_secs: i64) -> TokenSet {
        TokenSet {
            access_token: Sensitive::new("old-access".into()),
            refresh_token: Sensitive::new("old-refresh".into()),
            access_expires_at: issued + chrono::Duration::seconds(life_secs),
            access_issued_at: issued,
            refresh_issued_at: issued,
        }
    }

    #[test]
    fn refresh_is_due_a_tenth_of_the_life_before_expiry_and_at_most_five_minutes() {
        let t0 = Utc::now();
        let short = pair(t0, 100);
        assert!(!short.needs_refresh(t0 + chrono::Duration::seconds(89)));
        assert!(short.needs_refresh(t0 + chrono::Duration::seconds(90)));
        let hour = pair(t0, 3600);
        assert!(!hour.needs_refresh(t0 + chrono::Duration::seconds(3299)));
        assert!(hour.needs_refresh(t0 + chrono::Duration::seconds(3300)));
    }

    #[test]
    fn debug_output_never_shows_a_token_and_the_keychain_form_round_trips() {
        let tokens = pair(Utc::now(), 3600);
        let shown = format!("{tokens:?}");
        assert!(
            !shown.contains("old-access") && !shown.contains("old-refresh"),
            "{shown}"
        );
        let back = TokenSet::from_secret(&tokens.to_secret()).unwrap();
        assert_eq!(back.refresh_token.expose(), "old-refresh");
        assert_eq!(back.access_expires_at, tokens.access_expires_at);
    }
}
