//! One process at a time works an audit entry: it claims the entry under a
//! lease naming its host and pid (as the scan queue's workers claim rows),
//! renews it before each step and lets go at the end. The app and the CLI
//! may both find an unfinished entry; only the holder sends its steps, so
//! none is sent twice. A holder that died leaves a lease that expires, and
//! on this host a dead pid frees it at once (the next command finishes a
//! crashed action without waiting).

use chrono::Utc;

use crate::store::governance::{AuditClaim, AuditLease};
use crate::store::{Millis, Store, StoreResult};

/// How long a claim holds without being renewed. Renewed before each step,
/// so only a step longer than this (many 429 waits) could let another
/// process in, and that one asks Box before sending anything again.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// This machine's name, as leases record it.
pub fn this_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Whether process `pid` of this host is running. Where that cannot be
/// told, it is taken as running (its lease then has to expire).
pub fn alive(_host: &str, pid: i64) -> bool {
    #[cfg(target_os = "linux")]
    {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

/// A claim this process holds on one entry.
#[derive(Debug, Clone)]
pub struct Claim {
    pub audit_id: i64,
    token: String,
}

fn lease_for(token: &str, now: chrono::DateTime<Utc>) -> AuditLease {
    AuditLease {
        token: token.to_owned(),
        host: this_host(),
        pid: i64::from(std::process::id()),
        expires_at: Millis::from(now + LEASE),
    }
}

/// Claims `audit_id` for this process. `Ok(None)`: another live process
/// works it, or nothing is left to send.
pub async fn claim(store: &Store, audit_id: i64) -> StoreResult<Option<Claim>> {
    use rand::Rng;
    let token = format!("{:016x}", rand::thread_rng().gen::<u64>());
    let now = Utc::now();
    match store
        .claim_audit(audit_id, lease_for(&token, now), Millis::from(now), alive)
        .await?
    {
        AuditClaim::Claimed => Ok(Some(Claim { audit_id, token })),
        AuditClaim::HeldBy { host, pid, .. } => {
            tracing::info!("audit entry {audit_id} is being sent by process {pid} on {host}");
            Ok(None)
        }
        AuditClaim::Finished => Ok(None),
    }
}

impl Claim {
    /// Extends the lease before a step; `false` when another process took
    /// the entry over (this one then sends nothing more).
    pub async fn renew(&self, store: &Store) -> StoreResult<bool> {
        let lease = lease_for(&self.token, Utc::now());
        store
            .renew_audit_lease(self.audit_id, &self.token, lease.expires_at)
            .await
    }

    pub async fn release(self, store: &Store) {
        if let Err(e) = store.release_audit_lease(self.audit_id, &self.token).await {
            tracing::warn!("audit entry {}: lease not released: {e}", self.audit_id);
        }
    }
}
