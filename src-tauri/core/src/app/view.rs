//! The snapshot the UI renders: built from the store and the app's own
//! state, never from Box, so it renders offline.

use crate::api_test;
use crate::auth::TokenStatus;
use crate::datacenter::{self, ALLOWLIST_STEPS};
use crate::error::UserError;
use crate::health::TokenFacts;
use crate::ipc::{
    AccountView, Advice, ApiCheck, ApiCheckId, ApiTestReport, CheckStatus, ConnectionState,
    ConnectionView, DataCenterView, EndpointSource, Health, HealthState, Snapshot,
};
use crate::store::{self, ConnectionRecord};
use crate::wording::{self, Audience};

use super::App;
use super::{target, UiState};

impl App {
    pub async fn snapshot(&self) -> Snapshot {
        let store = self.store().await;
        let custom = match &store {
            Some(s) => target::custom_settings(s).await,
            None => None,
        };
        let record = match &store {
            Some(s) => s.current_connection(None).await.ok().flatten(),
            None => None,
        };
        let health = match &store {
            Some(s) => self.health_of(s).await,
            None => None,
        };
        let stored_test = match (&store, &record) {
            (Some(s), Some(r)) => s.latest_api_test_run(&r.id).await.ok().flatten(),
            _ => None,
        };
        let keychain_write_pending = self.keychain_write_pending().await;
        let ui = self.inner.ui.lock().expect("ui lock");
        let datacenters = datacenter::all()
            .into_iter()
            .map(|dc| DataCenterView {
                has_client_secret: dc.endpoints == EndpointSource::Sandbox
                    || ui.secrets_present.contains(&dc.id),
                custom: if dc.endpoints == EndpointSource::Custom {
                    custom.clone()
                } else {
                    None
                },
                profile: dc,
            })
            .collect();
        let last_api_test = ui
            .running_test
            .clone()
            .or_else(|| stored_test.map(|run| report_from_store(&run, record.as_ref())));
        Snapshot {
            datacenters,
            selected_datacenter: ui.selected.clone(),
            allowlist_steps: ALLOWLIST_STEPS.iter().map(|s| s.to_string()).collect(),
            connection: connection_view(
                record.as_ref(),
                health.as_ref(),
                &ui,
                keychain_write_pending,
            ),
            sign_in: ui.sign_in.clone(),
            health,
            last_api_test,
            database: self.inner.db_status.lock().expect("db status lock").clone(),
        }
    }

    /// Why the live session's rotated pair is not in the keychain, if it is not.
    pub(super) async fn keychain_write_pending(&self) -> Option<UserError> {
        let session = self.inner.session.lock().await.clone()?;
        match session.tokens.status() {
            TokenStatus::Valid {
                keychain_write_pending,
                ..
            } => keychain_write_pending,
            _ => None,
        }
    }

    pub(super) async fn token_facts(&self) -> TokenFacts {
        let session = self.inner.session.lock().await.clone();
        match session.map(|s| s.tokens.status()) {
            Some(TokenStatus::Valid {
                access_expires_at,
                refresh_issued_at,
                ..
            }) => TokenFacts {
                access_token_expires_at: Some(access_expires_at),
                refresh_token_issued_at: Some(refresh_issued_at),
                refresh_token_present: Some(true),
            },
            _ => TokenFacts::default(),
        }
    }
}

/// A stored run as the UI shows it; checks not stored were skipped.
pub(super) fn report_from_store(
    run: &store::ApiTestRun,
    record: Option<&ConnectionRecord>,
) -> ApiTestReport {
    let checks = ApiCheckId::ALL
        .iter()
        // A governance-only check that was not stored did not belong to the run.
        .filter(|&&id| {
            !id.only_with_governance() || run.checks.iter().any(|c| c.check_id == id.as_str())
        })
        .map(
            |&id| match run.checks.iter().find(|c| c.check_id == id.as_str()) {
                Some(c) => ApiCheck {
                    id,
                    label: c.label.clone(),
                    status: c.status.into(),
                    detail: c.detail.clone(),
                    box_error: c.box_error.clone(),
                    fix: c.fix.clone(),
                },
                None => ApiCheck {
                    id,
                    label: api_test::label(id).to_string(),
                    status: CheckStatus::Skipped,
                    detail: Some("Not run: an earlier check failed.".into()),
                    box_error: None,
                    fix: None,
                },
            },
        )
        .collect::<Vec<_>>();
    ApiTestReport {
        datacenter_id: record.map(|r| r.datacenter_id.clone()).unwrap_or_default(),
        started_at: run.started_at,
        finished_at: run.finished_at,
        outcome: run.outcome.map_or(CheckStatus::Running, CheckStatus::from),
        checks,
    }
}

/// `keychain_write_pending`: the rotated sign-in lives only in memory
/// (the keychain refused it); shown until the write succeeds.
pub(super) fn connection_view(
    record: Option<&ConnectionRecord>,
    health: Option<&Health>,
    ui: &UiState,
    keychain_write_pending: Option<UserError>,
) -> ConnectionView {
    let account = record.and_then(|r| {
        Some(AccountView {
            user_id: r.account_id.clone()?,
            name: r.account_name.clone().unwrap_or_default(),
            login: r.account_login.clone().unwrap_or_default(),
            role: r.role.clone().unwrap_or_default(),
            enterprise_id: r.enterprise_id.clone(),
            enterprise_name: r.enterprise_name.clone(),
        })
    });
    let (state, advice) = if ui.sign_in.is_some() {
        (ConnectionState::Connecting, Advice::FinishSignIn)
    } else {
        let state = match (record.map(|r| r.state), health.map(|h| h.state)) {
            (None, _) | (Some(store::ConnectionState::Disconnected), _) => {
                ConnectionState::NotConnected
            }
            (Some(store::ConnectionState::NeedsReconnect), _)
            | (_, Some(HealthState::NeedsReconnect)) => ConnectionState::NeedsReconnect,
            (_, Some(HealthState::Offline)) => ConnectionState::Offline,
            _ => ConnectionState::Connected,
        };
        let advice = health
            .map(|h| h.advice.clone())
            .unwrap_or_else(|| wording::advice_for(state));
        (state, advice)
    };
    let datacenter_id = record.map(|r| r.datacenter_id.clone());
    ConnectionView {
        state,
        what_to_do: advice.what_to_do(Audience::Window, datacenter_id.as_deref()),
        advice,
        datacenter_id,
        account,
        error: ui.last_error.clone().or(keychain_write_pending),
    }
}
