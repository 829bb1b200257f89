//! Where a data center's sign-in goes: endpoints, client id, the client
//! secret from the keychain, and whether to send PKCE.

use crate::auth::tokens::blocking;
use crate::auth::OAuthClient;
use crate::datacenter::{self, Endpoints};
use crate::error::{ErrorCode, UserError};
use crate::ipc::{CustomSettings, EndpointSource};
use crate::keychain::Sensitive;
use crate::store::Store;

use super::App;

pub(super) struct Target {
    pub datacenter_id: String,
    pub endpoints: Endpoints,
    pub client_id: String,
    pub client_secret: Sensitive<String>,
    pub pkce: bool,
}

impl Target {
    pub fn oauth_client(&self) -> OAuthClient {
        OAuthClient::new(
            OAuthClient::default_http(),
            self.endpoints.clone(),
            self.client_id.clone(),
            self.client_secret.clone(),
        )
    }
}

/// Keychain account of a data center's client secret.
pub fn client_secret_account(datacenter_id: &str) -> String {
    format!("client-secret:{datacenter_id}")
}

/// The Custom profile (client id and URLs, no secret) as one JSON setting,
/// so it is saved and read as a whole.
const CUSTOM_PROFILE_KEY: &str = "custom.profile";

pub(super) async fn custom_settings(store: &Store) -> Option<CustomSettings> {
    let json = store.setting(CUSTOM_PROFILE_KEY).await.ok().flatten()?;
    serde_json::from_str(&json).ok()
}

pub(super) async fn save_custom_settings(
    store: &Store,
    s: &CustomSettings,
) -> Result<(), UserError> {
    if s.client_id.trim().is_empty() {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            "The client id is empty.",
            "Copy the client id from your Box app's Configuration page.",
        ));
    }
    let clean = |v: &Option<String>| {
        v.as_ref()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
    };
    let settings = CustomSettings {
        client_id: s.client_id.trim().to_string(),
        authorize_url: clean(&s.authorize_url),
        token_url: clean(&s.token_url),
        api_url: clean(&s.api_url),
        revoke_url: clean(&s.revoke_url),
    };
    for url in [
        &settings.authorize_url,
        &settings.token_url,
        &settings.api_url,
        &settings.revoke_url,
    ]
    .into_iter()
    .flatten()
    {
        if url::Url::parse(url).is_err() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!("\"{url}\" is not a valid address."),
                "Enter full addresses such as https://account.box.com/api/oauth2/authorize, or leave them empty for Box's.",
            ));
        }
    }
    // Refuse settings that would send a credential to a host not named.
    settings.endpoints()?;
    let json = serde_json::to_string(&settings).expect("plain struct serializes");
    store.set_setting(CUSTOM_PROFILE_KEY, &json).await?;
    Ok(())
}

impl App {
    pub(super) async fn resolve_target(&self, datacenter_id: &str) -> Result<Target, UserError> {
        let dc = datacenter::by_id(datacenter_id)
            .ok_or_else(|| super::unknown_datacenter(datacenter_id))?;
        match dc.endpoints {
            EndpointSource::Sandbox => {
                let sandbox = self.inner.sandbox.ensure(&self.inner.config).await?;
                Ok(Target {
                    datacenter_id: dc.id,
                    endpoints: Endpoints::under_origin(&sandbox.base_url),
                    client_id: sandbox.client_id,
                    client_secret: sandbox.client_secret,
                    pkce: dc.pkce,
                })
            }
            EndpointSource::Box => {
                let client_id = dc.api_key.clone().unwrap_or_default();
                let secret = self.client_secret(&dc.id, &dc.label).await?;
                Ok(Target {
                    datacenter_id: dc.id,
                    endpoints: Endpoints::box_public(),
                    client_id,
                    client_secret: secret,
                    pkce: dc.pkce,
                })
            }
            EndpointSource::Custom => {
                let store = self.require_store().await?;
                let settings = custom_settings(&store).await.ok_or_else(|| {
                    UserError::new(
                        ErrorCode::InvalidInput,
                        "The Custom data center has no client id yet.",
                        "Enter your app's client id and client secret (and its URLs if it is not Box), then connect.",
                    )
                })?;
                let secret = self.client_secret(&dc.id, &dc.label).await?;
                Ok(Target {
                    datacenter_id: dc.id,
                    endpoints: settings.endpoints()?,
                    client_id: settings.client_id,
                    client_secret: secret,
                    pkce: dc.pkce,
                })
            }
        }
    }

    async fn client_secret(
        &self,
        datacenter_id: &str,
        label: &str,
    ) -> Result<Sensitive<String>, UserError> {
        let kc = self.inner.keychain.clone();
        let account = client_secret_account(datacenter_id);
        blocking(move || kc.get(&account)).await?.ok_or_else(|| {
            UserError::new(
                ErrorCode::ClientSecretMissing,
                format!("Box Connector needs the client secret for {label} before it can connect."),
                "Enter the client secret of the Box app whose API key is shown (it is asked once and kept in the system keychain).",
            )
        })
    }
}
