//! `box-sandbox`: the sandbox as a standalone server on loopback.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use box_sandbox::{Faults, NewVersionEvent, Rotation, Sandbox, SandboxConfig};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "box-sandbox",
    about = "An emulated Box enterprise on 127.0.0.1"
)]
struct Args {
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 20)]
    users: usize,
    #[arg(long, default_value_t = 2)]
    coadmins: usize,
    #[arg(long, default_value_t = 4)]
    external_users: usize,
    #[arg(long, default_value_t = 2000)]
    files: usize,
    #[arg(long, default_value_t = 3)]
    folder_depth: u32,
    #[arg(long, default_value_t = 3)]
    folder_fanout: u32,
    #[arg(long, default_value = "sandbox-client")]
    client_id: String,
    #[arg(long, default_value = "sandbox-secret")]
    client_secret: String,
    /// Registered redirect URI (repeatable); loopback ones match any port.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    #[arg(long)]
    auto_approve: bool,
    /// Account used by --auto-approve: admin | coadmin | user | personal | a login email.
    #[arg(long, default_value = "admin")]
    login_as: String,
    #[arg(long, default_value_t = 1000)]
    rate_limit_per_minute: u32,
    /// Charge as-user calls to the token's owner instead of the impersonated user.
    #[arg(long)]
    as_user_charges_caller: bool,
    #[arg(long, default_value = "strict")]
    rotation: Rotation,
    #[arg(long, default_value_t = 3600)]
    access_token_ttl_secs: u64,
    /// Refresh token lifetime (Box: 60 days).
    #[arg(long, default_value_t = 60 * 24 * 3600)]
    refresh_token_ttl_secs: u64,
    #[arg(long, default_value_t = 30)]
    auth_code_ttl_secs: u64,
    /// Refuse code exchanges that omit the authorize request's redirect_uri (RFC 6749
    /// §4.1.3); Box itself does not, so off by default.
    #[arg(long)]
    require_token_redirect_uri: bool,
    #[arg(long)]
    disable_unpublished_apps: bool,
    /// Client id enabled while unpublished apps are disabled (repeatable).
    #[arg(long = "app-exception")]
    app_exceptions: Vec<String>,
    #[arg(long, default_value_t = 0.08)]
    shared_link_rate: f64,
    #[arg(long, default_value_t = 0.25)]
    collaboration_rate: f64,
    #[arg(long, default_value_t = 0.15)]
    sensitive_rate: f64,
    #[arg(long, default_value_t = 0.1)]
    near_miss_rate: f64,
    #[arg(long, default_value_t = 0.05)]
    streaming_disorder_rate: f64,
    /// Live activity: changes per second (0 = off).
    #[arg(long, default_value_t = 0.0)]
    activity_per_second: f64,
    /// Event a new version uploaded through the API logs: EDIT | UPLOAD (unverified on Box).
    #[arg(long, default_value = "EDIT")]
    new_version_event: NewVersionEvent,
    #[arg(long, default_value_t = 0.0)]
    fault_500: f64,
    #[arg(long, default_value_t = 0.0)]
    fault_502: f64,
    #[arg(long, default_value_t = 0.0)]
    fault_503: f64,
    #[arg(long, default_value_t = 0.0)]
    fault_429_burst: f64,
    #[arg(long, default_value_t = 5)]
    fault_burst_len: u32,
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    #[arg(long, default_value_t = 0.0)]
    fault_reset: f64,
    #[arg(long, default_value_t = 0.0)]
    fault_truncate: f64,
    /// Cap each content download at this many kilobits per second (0 = none).
    #[arg(long, default_value_t = 0)]
    fault_bandwidth_kbps: u64,
    /// Cut this many content downloads (the next ones) after
    /// --fault-download-cut-after-bytes of their body.
    #[arg(long, default_value_t = 0)]
    fault_download_cuts: u32,
    #[arg(long, default_value_t = 0)]
    fault_download_cut_after_bytes: u64,
    /// A cut download stalls (connection open, no more bytes) instead of breaking.
    #[arg(long)]
    fault_download_cut_stalls: bool,
    /// Keep issued tokens in this file across restarts.
    #[arg(long)]
    state_path: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let defaults = SandboxConfig::default();
    let config = SandboxConfig {
        seed: a.seed,
        users: a.users,
        coadmins: a.coadmins,
        external_users: a.external_users,
        files: a.files,
        folder_depth: a.folder_depth,
        folder_fanout: a.folder_fanout,
        client_id: a.client_id,
        client_secret: a.client_secret,
        redirect_uris: if a.redirect_uris.is_empty() {
            defaults.redirect_uris.clone()
        } else {
            a.redirect_uris
        },
        auto_approve: a.auto_approve,
        login_as: a.login_as,
        rate_limit_per_minute: a.rate_limit_per_minute,
        as_user_counts_against_target: !a.as_user_charges_caller,
        rotation: a.rotation,
        access_token_ttl: Duration::from_secs(a.access_token_ttl_secs),
        refresh_token_ttl: Duration::from_secs(a.refresh_token_ttl_secs),
        auth_code_ttl: Duration::from_secs(a.auth_code_ttl_secs),
        require_token_redirect_uri: a.require_token_redirect_uri,
        disable_unpublished_apps: a.disable_unpublished_apps,
        app_exceptions: a.app_exceptions,
        shared_link_rate: a.shared_link_rate,
        collaboration_rate: a.collaboration_rate,
        sensitive_rate: a.sensitive_rate,
        near_miss_rate: a.near_miss_rate,
        streaming_disorder_rate: a.streaming_disorder_rate,
        activity_per_second: a.activity_per_second,
        new_version_event: a.new_version_event,
        faults: Faults {
            p500: a.fault_500,
            p502: a.fault_502,
            p503: a.fault_503,
            p429_burst: a.fault_429_burst,
            burst_len: a.fault_burst_len,
            latency_ms: a.fault_latency_ms,
            p_reset: a.fault_reset,
            p_truncate: a.fault_truncate,
            bandwidth_kbps: a.fault_bandwidth_kbps,
            download_cuts: a.fault_download_cuts,
            download_cut_after_bytes: a.fault_download_cut_after_bytes,
            download_cut_stalls: a.fault_download_cut_stalls,
        },
        state_path: a.state_path,
        port: a.port,
        ..defaults
    };
    let handle = Sandbox::start(config).await?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", handle.base_url())?;
    out.flush()?;
    tokio::signal::ctrl_c().await?;
    handle.stop().await;
    Ok(())
}
