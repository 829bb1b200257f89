//! Running the API test checklist from the app: progress to subscribers,
//! the result into the store (so it shows offline).

use chrono::Utc;

use crate::api_test;
use crate::auth::TokenStatus;
use crate::error::UserError;
use crate::ipc::{ApiTestReport, CoreEvent};
use crate::store::{AccountFacts, ApiCheckRecord, CheckStatus, Store};

use super::App;

impl App {
    /// Runs the API test checklist, pushing progress; the result is stored.
    pub async fn run_api_test(&self) -> Result<ApiTestReport, UserError> {
        let session = match self.session().await {
            Ok(s) => s,
            Err(e) => {
                self.inner.ui.lock().expect("ui lock").last_error = Some(e.clone());
                self.emit_snapshot().await;
                return Err(e);
            }
        };
        let app = self.clone();
        let progress = move |report: &ApiTestReport| {
            app.inner.ui.lock().expect("ui lock").running_test = Some(report.clone());
            app.emit(CoreEvent::ApiTestProgress {
                report: report.clone(),
            });
        };
        let governance = self.governance_enabled().await;
        let outcome = api_test::run(
            &session.client,
            &session.datacenter_id,
            governance,
            &progress,
        )
        .await;
        let report = outcome.report;
        // The session's watcher mirrors this too, but a short-lived process
        // (the CLI) may exit first: a dead sign-in must reach the store now.
        if let status @ TokenStatus::NeedsReconnect(_) = session.tokens.status() {
            if let Some(store) = self.store().await {
                self.on_token_status(&store, &session.connection_id, status)
                    .await;
            }
        }

        if let Some(store) = self.store().await {
            // The account facts first, then the run that refers to the row.
            if let Some(me) = outcome.me {
                let facts = AccountFacts {
                    account_id: me.id.clone(),
                    account_login: me.login.clone(),
                    account_name: me.name.clone(),
                    role: me.role.clone(),
                    enterprise_id: me.enterprise.as_ref().map(|e| e.id.clone()),
                    enterprise_name: me.enterprise.as_ref().and_then(|e| e.name.clone()),
                };
                store
                    .update_account(&session.connection_id, facts, Utc::now())
                    .await?;
            }
            self.store_api_test(&store, &session.connection_id, &report)
                .await?;
        }
        self.inner.ui.lock().expect("ui lock").running_test = None;
        self.emit(CoreEvent::ApiTestFinished {
            report: report.clone(),
        });
        self.emit_snapshot().await;
        Ok(report)
    }

    pub(super) async fn store_api_test(
        &self,
        store: &Store,
        connection_id: &str,
        report: &ApiTestReport,
    ) -> Result<(), UserError> {
        let run_id = store
            .start_api_test_run(connection_id, report.started_at)
            .await?;
        for check in &report.checks {
            // Skipped checks are not stored; they are re-derived when read.
            let Some(status) = CheckStatus::of_shown(check.status) else {
                continue;
            };
            store
                .record_api_check(
                    run_id,
                    &ApiCheckRecord {
                        check_id: check.id.as_str().to_string(),
                        label: check.label.clone(),
                        status,
                        detail: check.detail.clone(),
                        box_error: check.box_error.clone(),
                        fix: check.fix.clone(),
                    },
                )
                .await?;
        }
        store
            .finish_api_test_run(run_id, report.finished_at.unwrap_or_else(Utc::now))
            .await?;
        Ok(())
    }
}
