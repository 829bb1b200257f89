//! The command line, as clap types: the parser, `--help`, the man page and
//! the completions all come from these definitions (`docs`), so they cannot
//! drift apart. Each command's work is in its `*_cmd` module, its printing
//! in its `*_output` module; `main` only dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use connector_core::ipc::findings::{FindingKind, FindingsFilter, Severity};
use connector_core::ipc::govern::{ActionKind, PolicyMatch};

use crate::exit;

/// The program's name, as the man page and completions call it.
pub const NAME: &str = "box-connector-cli";

#[derive(Parser)]
#[command(
    name = NAME,
    version,
    about = "Connect Box Connector to Box from a terminal",
    after_help = exit::help(),
)]
pub struct Cli {
    /// The app's data folder (default: BOX_CONNECTOR_DATA_DIR, else the app's own).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print results as JSON (errors as {"code","message","hint"}).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Sign in to a data center in the browser and keep the tokens in the keychain.
    Connect(ConnectArgs),
    /// Run the API test checklist against the current connection.
    TestApi,
    /// Show the connection, its health and the database (exit code: its state).
    Status,
    /// Revoke the sign-in at Box and remove it from the keychain.
    Disconnect,
    /// Run the scanner here: the 60-day event backfill and the full scan,
    /// with a progress bar on a terminal.
    Scan {
        /// Stop when the backfill and the full scan are done and the queue is empty (exit 0).
        #[arg(long, conflicts_with = "follow")]
        until_idle: bool,
        /// Then keep following live events and rescanning what changes, until SIGINT or SIGTERM.
        #[arg(long)]
        follow: bool,
    },
    /// Show the scan's settings, or change one (`settings set scan.poll_interval_secs 5`).
    Settings {
        #[command(subcommand)]
        action: Option<SettingsAction>,
    },
    /// Pause the scan (remembered; the app's scanner stops sending requests too).
    Pause,
    /// Resume a paused scan.
    Resume,
    /// The scan queue, front first, with why each item is there (offline: reads the database).
    Queue {
        /// How many rows.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Ingested enterprise events, newest first (offline: reads the database).
    Events {
        /// Only events at or after this instant (RFC 3339, e.g. 2026-11-30T00:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Only this kind of event.
        #[arg(long, value_parser = ["modify", "share", "read", "delete", "other"])]
        kind: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// What the scan knows of one file: etags, link, collaborators, history (offline).
    File { file_id: String },
    /// Open findings, most severe first: exposure (links, external
    /// collaborators, outside owners) and sensitive content, with masked
    /// samples only (offline: reads the database).
    Findings {
        #[command(flatten)]
        filter: FindingsArgs,
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Write the findings to a CSV or JSON file (masked samples only).
    Export {
        #[arg(long, value_enum)]
        format: ExportFormatArg,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        filter: FindingsArgs,
    },
    /// Act on a Box item (as its owner): remove or restrict its link, remove
    /// collaborators, quarantine or restore. Prints the preview and changes
    /// nothing unless --yes confirms; every change goes to the audit log.
    Act(ActArgs),
    /// Rules over findings that raise alerts, and act where you opt in.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// The audit log of every action, newest first (offline), or its export.
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Governance: `status`; `on` signs in to Box again (the browser opens,
    /// as for connect) asking it to allow changing files and folders
    /// (root_readwrite), which acting on findings needs; `off` turns the
    /// switch off (the wider sign-in stays until the next connect, which
    /// asks for read-only again).
    Governance {
        #[arg(value_parser = ["status", "on", "off"])]
        action: String,
    },
    /// Look after the local database.
    Database {
        #[command(subcommand)]
        action: DatabaseAction,
    },
    /// Print a shell completion script (e.g. `box-connector-cli completions bash > /etc/bash_completion.d/box-connector-cli`).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) to stdout (e.g. `box-connector-cli man | man -l -`).
    Man {
        /// Instead, write every page (one per subcommand too) into this folder.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

// `connect`: the data center, and for Custom its client and endpoints
// (no doc comment: the variant's is the subcommand's help).
#[derive(Args)]
pub struct ConnectArgs {
    /// us1, us2, us3, eu1, eu2, legacy, sandbox or custom.
    #[arg(long)]
    pub datacenter: String,
    /// Do not open a browser: print the sign-in link and wait (paste the
    /// redirect address on stdin if the browser cannot reach this machine).
    #[arg(long)]
    pub no_browser: bool,
    /// Custom: the OAuth client id.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Name of an environment variable holding the client secret (kept in the keychain).
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,
    /// Custom: authorize URL (default Box's).
    #[arg(long)]
    pub authorize_url: Option<String>,
    /// Custom: token URL (default Box's).
    #[arg(long)]
    pub token_url: Option<String>,
    /// Custom: API base URL (default Box's).
    #[arg(long)]
    pub api_url: Option<String>,
    /// Custom: revoke URL used by disconnect (default: beside the token
    /// URL when it ends in /token; otherwise the sign-in is not revoked).
    #[arg(long)]
    pub revoke_url: Option<String>,
    /// Give up waiting for the browser after this many seconds.
    #[arg(long, default_value_t = connector_core::auth::loopback::DEFAULT_TIMEOUT.as_secs())]
    pub timeout_secs: u64,
}

/// Which findings (`findings`, `export`).
#[derive(Args)]
pub struct FindingsArgs {
    #[arg(long, value_parser = ["critical", "high", "medium", "low"])]
    severity: Option<String>,
    #[arg(long, value_parser = ["public_link", "company_link", "external_collaborator", "externally_owned", "sensitive_content"])]
    kind: Option<String>,
    /// A detector: credit_card, us_ssn, iban, email, phone, aws_access_key, private_key.
    #[arg(long)]
    detector: Option<String>,
    /// Only files owned by this login.
    #[arg(long)]
    owner: Option<String>,
    /// Only files that also hold a content finding of this detector
    /// (`--kind public_link --file-has credit_card`).
    #[arg(long = "file-has")]
    file_has_detector: Option<String>,
    /// Closed findings too (they keep their history).
    #[arg(long)]
    include_closed: bool,
}

impl FindingsArgs {
    pub fn filter(&self) -> FindingsFilter {
        FindingsFilter {
            severity: self.severity.as_deref().and_then(Severity::parse),
            kind: self.kind.as_deref().and_then(FindingKind::parse),
            detector: self.detector.clone(),
            owner_login: self.owner.clone(),
            file_has_detector: self.file_has_detector.clone(),
            include_closed: self.include_closed,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    Csv,
    Json,
}

#[derive(Subcommand)]
pub enum SettingsAction {
    /// Change one setting; a running scanner uses it from its next start.
    Set { key: String, value: u64 },
}

#[derive(Subcommand)]
pub enum DatabaseAction {
    /// Rename the database file (never deleted: it is kept beside the new
    /// one) and start with an empty database, as the window's button does.
    MoveAside {
        /// Move it aside even though it opens fine.
        #[arg(long)]
        force: bool,
    },
    /// Run SQLite's integrity check on the database file and print what it found.
    Check,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ActArg {
    RemoveLink,
    RestrictLink,
    RemoveCollaborator,
    RemoveExternal,
    Quarantine,
    Restore,
}

impl ActArg {
    pub fn kind(self) -> ActionKind {
        match self {
            ActArg::RemoveLink => ActionKind::RemoveLink,
            ActArg::RestrictLink => ActionKind::RestrictLink,
            ActArg::RemoveCollaborator => ActionKind::RemoveCollaborator,
            ActArg::RemoveExternal => ActionKind::RemoveExternal,
            ActArg::Quarantine => ActionKind::Quarantine,
            ActArg::Restore => ActionKind::Restore,
        }
    }
}

#[derive(Args)]
pub struct ActArgs {
    #[arg(value_enum)]
    pub action: ActArg,
    /// The file's (or with --folder the folder's) Box id.
    pub item_id: String,
    /// The item is a folder.
    #[arg(long)]
    pub folder: bool,
    /// restrict-link: narrow the access to this.
    #[arg(long, value_parser = ["company", "collaborators"])]
    pub access: Option<String>,
    /// restrict-link: turn off download through the link.
    #[arg(long)]
    pub no_download: bool,
    /// restrict-link: the link stops working then (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub expires: Option<chrono::DateTime<chrono::Utc>>,
    /// remove-collaborator: the collaboration's id (`file ID` shows them).
    #[arg(long, value_name = "ID")]
    pub collaboration: Option<String>,
    /// Only show the preview (the default without --yes).
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Confirm: send the changes the preview shows.
    #[arg(long)]
    pub yes: bool,
}

/// What a policy matches (`policy add`, `policy test`).
#[derive(Args)]
pub struct MatchArgs {
    /// Finding kinds (repeat for several).
    #[arg(long = "kind", value_parser = ["public_link", "company_link", "external_collaborator", "externally_owned", "sensitive_content"])]
    pub kinds: Vec<String>,
    /// Detectors (repeat for several): credit_card, us_ssn, iban, email, phone, aws_access_key, private_key.
    #[arg(long = "detector")]
    pub detectors: Vec<String>,
    #[arg(long, value_parser = ["critical", "high", "medium", "low"])]
    pub min_severity: Option<String>,
    /// Only high-confidence content findings.
    #[arg(long)]
    pub high_confidence: bool,
    /// Files that also hold a content finding of this detector.
    #[arg(long = "file-has")]
    pub file_has_detector: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    /// Box path prefix, e.g. "All Files/Finance".
    #[arg(long)]
    pub path_prefix: Option<String>,
}

impl MatchArgs {
    pub fn matches(&self) -> PolicyMatch {
        PolicyMatch {
            kinds: self
                .kinds
                .iter()
                .filter_map(|k| FindingKind::parse(k))
                .collect(),
            detectors: self.detectors.clone(),
            min_confidence: self.high_confidence.then(|| "high".to_owned()),
            min_severity: self.min_severity.as_deref().and_then(Severity::parse),
            file_has_detector: self.file_has_detector.clone(),
            owner_login: self.owner.clone(),
            path_prefix: self.path_prefix.clone(),
        }
    }
}

#[derive(Subcommand)]
pub enum PolicyAction {
    /// Every policy.
    List,
    /// Add a rule that raises alerts (and with --auto-act, acts on its own).
    Add {
        name: String,
        #[command(flatten)]
        matches: MatchArgs,
        /// The action on a match (only taken with --auto-act).
        #[arg(long, value_enum)]
        action: Option<ActArg>,
        /// Act on every match opened from now on, without asking (each action
        /// is still in the audit log; what matches already is previewed with
        /// `policy backlog`).
        #[arg(long, requires = "action")]
        auto_act: bool,
        /// Actions a day at most for an acting policy (alerts say when it is reached).
        #[arg(long, value_name = "N")]
        daily_cap: Option<u32>,
    },
    /// The matches an acting policy found open when it was enabled (it does
    /// not act on those by itself): previewed, and changed with --yes.
    Backlog {
        policy_id: i64,
        /// Confirm: send the changes the preview shows.
        #[arg(long)]
        yes: bool,
    },
    /// Dry run: what the rule would match today (nothing is raised or sent).
    Test {
        #[command(flatten)]
        matches: MatchArgs,
    },
    /// Remove a policy (its alerts go; the audit log keeps what it did).
    Remove { policy_id: i64 },
    /// Run the enabled policies over new findings now: raise alerts, and act where set.
    Run,
    /// Alerts the policies raised, unacknowledged first.
    Alerts {
        /// Acknowledged ones too.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditAction {
    /// Write the whole audit log to a CSV or JSON file.
    Export {
        #[arg(long, value_parser = ["csv", "json"])]
        format: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Finish the actions an earlier run left unfinished (each step is
    /// checked against Box first, so none is sent twice).
    Resume,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn connect_waits_five_minutes_for_the_browser_by_default() {
        let cli = Cli::try_parse_from([NAME, "connect", "--datacenter", "sandbox"]).unwrap();
        let Command::Connect(ConnectArgs { timeout_secs, .. }) = cli.command else {
            panic!("parsed as connect");
        };
        assert_eq!(timeout_secs, 300);
    }

    #[test]
    fn the_clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_wrong_command_line_exits_with_the_usage_code() {
        let err = Cli::try_parse_from([NAME, "connect"])
            .err()
            .expect("needs --datacenter");
        assert_eq!(err.exit_code(), i32::from(exit::USAGE));
        let err = Cli::try_parse_from([NAME, "frobnicate"])
            .err()
            .expect("no such command");
        assert_eq!(err.exit_code(), i32::from(exit::USAGE));
    }

    #[test]
    fn help_lists_the_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        for (code, meaning) in exit::TABLE {
            assert!(help.contains(&format!("  {code}  {meaning}")), "{help}");
        }
    }
}
