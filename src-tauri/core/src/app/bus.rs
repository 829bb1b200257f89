//! The event bus: every change reaches subscribers (the shell's Channel,
//! the CLI) as a `CoreEvent`, and health changes are announced once each.

use chrono::Utc;

use crate::ipc::{CoreEvent, Health};

use super::App;

impl App {
    pub(super) fn emit(&self, event: CoreEvent) {
        // No subscriber is fine (the CLI often has none).
        let _ = self.inner.events.send(event);
    }

    pub(super) async fn emit_snapshot(&self) {
        let snapshot = self.snapshot().await;
        let health = snapshot.health.clone();
        self.emit(CoreEvent::SnapshotChanged {
            snapshot: Box::new(snapshot),
        });
        if let Some(h) = health {
            self.note_health(h);
        }
    }

    /// Health without the per-call figures (call counts, latency, seconds
    /// left on the access token), which change with every call.
    pub(super) fn stable_health(health: &Health) -> Health {
        let mut stable = health.clone();
        stable.last_hour = crate::health::call_stats(&[], Utc::now());
        stable.access_token_expires_in_secs = None;
        stable
    }

    /// Emits `HealthChanged` when the health differs from the last one
    /// announced in anything but the per-call figures.
    pub(super) fn note_health(&self, health: Health) {
        let stable = Self::stable_health(&health);
        {
            let mut last = self.inner.last_health.lock().expect("health lock");
            if last.as_ref() == Some(&stable) {
                return;
            }
            *last = Some(stable);
        }
        self.emit(CoreEvent::HealthChanged {
            health: Box::new(health),
        });
    }
}
