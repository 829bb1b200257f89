//! The enterprise event log (admin_logs).

/// Placeholder until the history generator lands.
#[derive(Default)]
pub struct EventLog {}

impl EventLog {
    pub fn generate(
        _ent: &crate::enterprise::Enterprise,
        _cfg: &crate::config::SandboxConfig,
    ) -> EventLog {
        EventLog {}
    }
}
