//! Settings of one sandbox instance. Everything the sandbox does is decided here or
//! derived from `seed`, so two sandboxes with the same config serve the same enterprise.

use std::path::PathBuf;
use std::time::Duration;

/// How the token endpoint treats a refresh token that was already used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// A used refresh token is dead at once (`invalid_grant`).
    #[default]
    Strict,
    /// Re-sending the previous refresh token returns the same pair until the new
    /// refresh token is itself used (what Box support describes; unverified).
    Grace,
}

impl std::str::FromStr for Rotation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "strict" => Ok(Rotation::Strict),
            "grace" => Ok(Rotation::Grace),
            other => Err(format!("unknown rotation mode {other:?} (strict|grace)")),
        }
    }
}

/// What Box logs for a new version uploaded through the API: *unverified* whether
/// that is `UPLOAD` or `EDIT` (BOX-FACTS), so both are offered; EDIT by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewVersionEvent {
    #[default]
    Edit,
    Upload,
}

impl NewVersionEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            NewVersionEvent::Edit => "EDIT",
            NewVersionEvent::Upload => "UPLOAD",
        }
    }
}

impl std::str::FromStr for NewVersionEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "EDIT" => Ok(NewVersionEvent::Edit),
            "UPLOAD" => Ok(NewVersionEvent::Upload),
            other => Err(format!("unknown new-version event {other:?} (EDIT|UPLOAD)")),
        }
    }
}

/// Probabilities and delays of injected failures on `/2.0` calls.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Faults {
    pub p500: f64,
    pub p502: f64,
    pub p503: f64,
    /// Probability that a call starts a burst of 429 answers.
    pub p429_burst: f64,
    /// Number of consecutive 429 answers in a burst.
    pub burst_len: u32,
    /// Added latency on every call, in milliseconds.
    pub latency_ms: u64,
    /// Probability that the connection is reset before any response byte.
    pub p_reset: f64,
    /// Probability that a response body is cut off half-way.
    pub p_truncate: f64,
    /// Rate cap of each content download from the download host, in kilobits
    /// per second (1 kbps = 125 bytes/s); 0 = none. Each response is capped
    /// on its own, so a test can make one download last as long as it needs.
    pub bandwidth_kbps: u64,
    /// Content downloads still to be cut: each one sent from now on is cut
    /// after `download_cut_after_bytes` of its body, and counts this down.
    pub download_cuts: u32,
    pub download_cut_after_bytes: u64,
    /// A cut download keeps its connection open and sends nothing more (a
    /// stall) instead of breaking it.
    pub download_cut_stalls: bool,
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub seed: u64,
    /// Managed users including the admin and the co-admins.
    pub users: usize,
    pub coadmins: usize,
    /// External collaborator identities (outside the enterprise domain).
    pub external_users: usize,
    pub files: usize,
    pub folder_depth: u32,
    pub folder_fanout: u32,
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs of the client (loopback ones match any port).
    pub redirect_uris: Vec<String>,
    pub auto_approve: bool,
    /// "admin" | "coadmin" | "user" | "personal" | a login email.
    pub login_as: String,
    pub rate_limit_per_minute: u32,
    /// Whether `as-user` calls count against the impersonated user's rate limit.
    pub as_user_counts_against_target: bool,
    pub rotation: Rotation,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub auth_code_ttl: Duration,
    /// Refuse a code exchange without `redirect_uri` when the authorize request had
    /// one (RFC 6749 §4.1.3). Off by default: Box's spec has no such token field and
    /// Box's own SDK never sends it, so Box cannot be enforcing it.
    pub require_token_redirect_uri: bool,
    /// "Disable unpublished apps by default" in the Admin Console.
    pub disable_unpublished_apps: bool,
    /// Client ids enabled as exceptions while unpublished apps are disabled.
    pub app_exceptions: Vec<String>,
    /// Share of files (and folders) with a shared link.
    pub shared_link_rate: f64,
    /// Share of folders with collaborations.
    pub collaboration_rate: f64,
    /// Share of collaborations granted to external identities.
    pub external_collaboration_rate: f64,
    /// External identities that own a folder (with files) collaborated to a managed
    /// user: content owned outside the enterprise, reachable from inside it.
    pub external_owned_folders: usize,
    /// Share of text-like files that carry planted sensitive data.
    pub sensitive_rate: f64,
    /// Share of text-like files that carry near-misses (must not match a detector).
    pub near_miss_rate: f64,
    /// Days of admin_logs history generated before start.
    pub history_days: u32,
    /// Average previews/downloads/logins per user per day in the history.
    pub reads_per_user_per_day: f64,
    /// Share of admin_logs_streaming entries delivered twice or out of order.
    pub streaming_disorder_rate: f64,
    /// Live activity: changes per second (0 = off).
    pub activity_per_second: f64,
    /// The live activity advances only through `/_sandbox/activity/tick`, never on
    /// its own, so a test can drive it without waiting for time to pass.
    pub activity_manual_ticks: bool,
    /// Event logged for a new version uploaded through the API.
    pub new_version_event: NewVersionEvent,
    pub faults: Faults,
    /// Where issued tokens are kept so an embedded sandbox survives restarts.
    pub state_path: Option<PathBuf>,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: 1,
            users: 20,
            coadmins: 2,
            external_users: 4,
            files: 2000,
            folder_depth: 3,
            folder_fanout: 3,
            client_id: "sandbox-client".into(),
            client_secret: "sandbox-secret".into(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            auto_approve: false,
            login_as: "admin".into(),
            rate_limit_per_minute: 1000,
            as_user_counts_against_target: true,
            rotation: Rotation::Strict,
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(60 * 24 * 3600),
            auth_code_ttl: Duration::from_secs(30),
            require_token_redirect_uri: false,
            disable_unpublished_apps: false,
            app_exceptions: Vec::new(),
            shared_link_rate: 0.08,
            collaboration_rate: 0.25,
            external_collaboration_rate: 0.3,
            external_owned_folders: 2,
            sensitive_rate: 0.15,
            near_miss_rate: 0.1,
            history_days: 90,
            reads_per_user_per_day: 6.0,
            streaming_disorder_rate: 0.05,
            activity_per_second: 0.0,
            activity_manual_ticks: false,
            new_version_event: NewVersionEvent::Edit,
            faults: Faults::default(),
            state_path: None,
            port: 0,
        }
    }
}
