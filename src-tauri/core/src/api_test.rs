//! The API test (the seed's step 8) as a checklist: each check passes, warns
//! or fails with Box's own error and the fix, and progress is reported after
//! every step so the UI can tick the list as it goes.

use chrono::Utc;
use reqwest::Method;

use crate::box_api::{ApiError, BoxClient, RequestOptions, User};
use crate::ipc::{ApiCheck, ApiCheckId, ApiTestReport, CheckStatus};
use crate::wording;

pub const COADMIN_WARNING: &str =
    "Signed in as a co-admin: files owned by other admins will not be scanned.";

pub fn label(id: ApiCheckId) -> &'static str {
    match id {
        ApiCheckId::TokenValid => "Access token is valid",
        ApiCheckId::Role => "Signed-in account is a Box admin",
        ApiCheckId::EnterpriseEvents => "Enterprise events can be read",
        ApiCheckId::UsersListable => "Users can be listed",
        ApiCheckId::ActAsUser => "Acting as another user works",
        ApiCheckId::WriteScope => "Box allows changes (governance)",
    }
}

/// The checks of one run: every check, the governance ones only while
/// governance is on.
fn order(governance: bool) -> Vec<ApiCheckId> {
    ApiCheckId::ALL
        .into_iter()
        .filter(|id| governance || !id.only_with_governance())
        .collect()
}

/// What the run found besides the report: the signed-in account.
pub struct ApiTestOutcome {
    pub report: ApiTestReport,
    pub me: Option<User>,
}

struct Run<'a, P: Fn(&ApiTestReport)> {
    report: ApiTestReport,
    progress: &'a P,
}

impl<P: Fn(&ApiTestReport)> Run<'_, P> {
    fn start(&mut self, id: ApiCheckId) {
        self.set(id, |c| c.status = CheckStatus::Running);
    }

    fn done(
        &mut self,
        id: ApiCheckId,
        status: CheckStatus,
        detail: impl Into<String>,
        fix: Option<&str>,
    ) {
        let detail = detail.into();
        self.set(id, |c| {
            c.status = status;
            c.detail = Some(detail);
            c.fix = fix.map(str::to_owned);
        });
    }

    fn failed(&mut self, id: ApiCheckId, err: &ApiError, fix: &str) {
        let box_error = err
            .box_message
            .clone()
            .or_else(|| Some(err.user.message.clone()));
        let fix = format!("{} {}", fix, err.user.hint).trim().to_string();
        let detail = err.user.message.clone();
        self.set(id, |c| {
            c.status = CheckStatus::Fail;
            c.detail = Some(detail);
            c.box_error = box_error;
            c.fix = Some(fix);
        });
    }

    fn skip_rest(&mut self) {
        for c in &mut self.report.checks {
            if matches!(c.status, CheckStatus::Pending | CheckStatus::Running) {
                c.status = CheckStatus::Skipped;
                c.detail = Some("Not run: an earlier check failed.".into());
            }
        }
    }

    fn set(&mut self, id: ApiCheckId, f: impl FnOnce(&mut ApiCheck)) {
        if let Some(c) = self.report.checks.iter_mut().find(|c| c.id == id) {
            f(c);
        }
        (self.progress)(&self.report);
    }
}

/// Runs the checklist; `progress` sees the report after every change.
/// `governance`: the admin turned governance on, so `write_scope` runs too.
pub async fn run(
    client: &BoxClient,
    datacenter_id: &str,
    governance: bool,
    progress: &impl Fn(&ApiTestReport),
) -> ApiTestOutcome {
    let report = ApiTestReport {
        datacenter_id: datacenter_id.to_string(),
        started_at: Utc::now(),
        finished_at: None,
        outcome: CheckStatus::Running,
        checks: order(governance)
            .into_iter()
            .map(|id| ApiCheck {
                id,
                label: label(id).into(),
                status: CheckStatus::Pending,
                detail: None,
                box_error: None,
                fix: None,
            })
            .collect(),
    };
    let mut run = Run { report, progress };
    let me = checks(client, &mut run).await;
    if governance && me.is_some() {
        write_scope(client, &mut run).await;
    }
    run.skip_rest();
    let mut report = run.report;
    report.finished_at = Some(Utc::now());
    report.outcome = overall(&report.checks);
    progress(&report);
    ApiTestOutcome { report, me }
}

/// Worst status of the checks: fail > warn > pass.
pub fn overall(checks: &[ApiCheck]) -> CheckStatus {
    if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        CheckStatus::Fail
    } else if checks.iter().any(|c| c.status == CheckStatus::Warn) {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    }
}

async fn checks<P: Fn(&ApiTestReport)>(client: &BoxClient, run: &mut Run<'_, P>) -> Option<User> {
    use ApiCheckId::*;

    run.start(TokenValid);
    let me = match client.me(None).await {
        Ok(me) => me,
        Err(e) => {
            run.failed(TokenValid, &e, "");
            return None;
        }
    };
    let who = me.login.clone().unwrap_or_else(|| me.id.clone());
    run.done(
        TokenValid,
        CheckStatus::Pass,
        format!("Signed in as {who}."),
        None,
    );

    run.start(Role);
    let enterprise = me
        .enterprise
        .as_ref()
        .and_then(|e| e.name.clone())
        .unwrap_or_default();
    match me.role.as_deref() {
        Some("admin") => run.done(Role, CheckStatus::Pass, format!("{who} is the admin of {enterprise}."), None),
        Some("coadmin") => run.done(
            Role,
            CheckStatus::Warn,
            COADMIN_WARNING,
            Some("Connect with the primary admin account to scan every file; co-admins cannot act as the admin or other co-admins."),
        ),
        other => {
            run.done(
                Role,
                CheckStatus::Fail,
                format!(
                    "{who} is a {} account, not an admin: the connector cannot read events or scan every user's files.",
                    other.unwrap_or("non-admin")
                ),
                Some("Disconnect, then connect again and sign in with the Box admin account."),
            );
        }
    }

    run.start(EnterpriseEvents);
    match client.admin_events("admin_logs", None, 1).await {
        Ok(_) => run.done(EnterpriseEvents, CheckStatus::Pass, "The enterprise event stream answered.", None),
        Err(e) => run.failed(
            EnterpriseEvents,
            &e,
            "Sign in as the admin, or give the co-admin \"Run new reports and access existing reports\"; the app needs the manage_enterprise_properties scope.",
        ),
    }

    run.start(UsersListable);
    let users = match client.users_page(100, None).await {
        Ok(page) => {
            run.done(
                UsersListable,
                CheckStatus::Pass,
                format!(
                    "Listed {} managed users on the first page.",
                    page.entries.len()
                ),
                None,
            );
            page.entries
        }
        Err(e) => {
            run.failed(
                UsersListable,
                &e,
                "Sign in as the admin (or a co-admin with \"Manage Users\"); the app needs the manage_managed_users scope.",
            );
            Vec::new()
        }
    };

    run.start(ActAsUser);
    // A plain user: co-admins may act as them, never as admins.
    let target = users
        .iter()
        .find(|u| {
            u.id != me.id
                && u.role.as_deref() == Some("user")
                && u.status.as_deref().is_none_or(|s| s == "active")
        })
        .or_else(|| users.iter().find(|u| u.id != me.id));
    match target {
        None => run.done(
            ActAsUser,
            CheckStatus::Warn,
            "No other user to act as was found, so this could not be tried.",
            Some("Run the API test again once the enterprise has another managed user."),
        ),
        Some(target) => match client.me(Some(&target.id)).await {
            Ok(acting) if acting.id == target.id => {
                let login = acting.login.unwrap_or(acting.id);
                run.done(ActAsUser, CheckStatus::Pass, format!("Acted as {login}."), None)
            }
            Ok(acting) => run.done(
                ActAsUser,
                CheckStatus::Fail,
                format!("Box answered as user {} instead of {}: the as-user header was ignored.", acting.id, target.id),
                Some("Enable \"Perform Actions as Users\" in the Box app's settings, then reconnect."),
            ),
            Err(e) => run.failed(
                ActAsUser,
                &e,
                "Enable \"Perform Actions as Users\" for the app and sign in as the admin (a co-admin needs \"Manage Users\").",
            ),
        },
    }
    Some(me)
}

/// Whether Box lets this connection write, without changing anything: a
/// folder create Box must refuse as malformed. With `root_readwrite` the
/// route reads the body and answers 400; without it the gate answers 403
/// `insufficient_scope` before the body is looked at.
async fn write_scope<P: Fn(&ApiTestReport)>(client: &BoxClient, run: &mut Run<'_, P>) {
    use ApiCheckId::WriteScope;
    run.start(WriteScope);
    let answer = client
        .send_json::<serde_json::Value>(
            Method::POST,
            "/folders",
            Some(&serde_json::json!({})),
            &RequestOptions::default(),
        )
        .await;
    match answer {
        Err(e) if e.status == Some(400) => run.done(
            WriteScope,
            CheckStatus::Pass,
            wording::WRITE_SCOPE_PASSED,
            None,
        ),
        Err(e) if e.status == Some(403) && e.box_code.as_deref() == Some("insufficient_scope") => {
            let mut e = e;
            // The fix is the one thing to do; Box's words stay in box_error.
            e.user.hint = String::new();
            e.user.message = "Box refused a write: this connection may only read files.".into();
            run.failed(WriteScope, &e, wording::WRITE_SCOPE_FIX);
        }
        Err(e) => run.failed(WriteScope, &e, ""),
        Ok(_) => run.done(
            WriteScope,
            CheckStatus::Fail,
            "Box accepted an empty folder request it should have refused as malformed.",
            Some("Run the API test again; if it repeats, report it with the request id."),
        ),
    }
}
