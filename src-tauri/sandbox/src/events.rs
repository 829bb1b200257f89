//! The enterprise event log behind `admin_logs`: a chronological vector of compact
//! records (24 bytes each); names, sources and ids are derived when served.

use crate::config::SandboxConfig;
use crate::enterprise::{Access, CollabStatus, Enterprise};
use crate::rng::Draw;

const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EventKind {
    Upload,
    Edit,
    Share,
    Unshare,
    CollaborationInvite,
    CollaborationAccept,
    CollaborationRemove,
    Preview,
    Download,
    Login,
    Delete,
    Rename,
    Move,
    ItemSharedUpdate,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::Upload,
        EventKind::Edit,
        EventKind::Share,
        EventKind::Unshare,
        EventKind::CollaborationInvite,
        EventKind::CollaborationAccept,
        EventKind::CollaborationRemove,
        EventKind::Preview,
        EventKind::Download,
        EventKind::Login,
        EventKind::Delete,
        EventKind::Rename,
        EventKind::Move,
        EventKind::ItemSharedUpdate,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Upload => "UPLOAD",
            EventKind::Edit => "EDIT",
            EventKind::Share => "SHARE",
            EventKind::Unshare => "UNSHARE",
            EventKind::CollaborationInvite => "COLLABORATION_INVITE",
            EventKind::CollaborationAccept => "COLLABORATION_ACCEPT",
            EventKind::CollaborationRemove => "COLLABORATION_REMOVE",
            EventKind::Preview => "PREVIEW",
            EventKind::Download => "DOWNLOAD",
            EventKind::Login => "LOGIN",
            EventKind::Delete => "DELETE",
            EventKind::Rename => "RENAME",
            EventKind::Move => "MOVE",
            EventKind::ItemSharedUpdate => "ITEM_SHARED_UPDATE",
        }
    }
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    File(u32),
    Folder(u32),
    /// The actor themselves (logins).
    User,
}

#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub at: i64,
    pub kind: EventKind,
    /// Account index; u32::MAX is the anonymous user (id "2").
    pub actor: u32,
    pub subject: Subject,
    /// Collaboration index or shared-link access code, depending on kind.
    pub extra: u32,
}

pub const ANONYMOUS: u32 = u32::MAX;

/// The item as it was when a write-API event happened (Box logs the name, parent and
/// owner of that moment; a later rename or move must not rewrite the history).
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub name: String,
    /// Folder index of the parent, or `NO_PARENT`.
    pub parent: u32,
    pub owner: u32,
}

#[derive(Default)]
pub struct EventLog {
    pub entries: Vec<Event>,
    /// Snapshots of the events the write API logged, by position.
    pub snapshots: std::collections::HashMap<usize, Snapshot>,
}

impl EventLog {
    /// History of the last `history_days`, consistent with the generated files.
    pub fn generate(ent: &Enterprise, cfg: &SandboxConfig) -> EventLog {
        let seed = ent.seed;
        let start = ent.anchor - cfg.history_days as i64 * DAY;
        let mut out = Vec::new();
        let files = &ent.files;
        for f in 0..files.parent.len() as u32 {
            let i = f as usize;
            let owner = ent.file_owner(f);
            // What an outside owner does in their own folder is not this enterprise's log.
            if ent.is_external_account(owner) {
                continue;
            }
            if files.created_at[i] >= start {
                out.push(Event {
                    at: files.created_at[i],
                    kind: EventKind::Upload,
                    actor: owner,
                    subject: Subject::File(f),
                    extra: 0,
                });
            }
            if files.version[i] > 1 && files.modified_at[i] >= start {
                out.push(Event {
                    at: files.modified_at[i],
                    kind: EventKind::Edit,
                    actor: files.modified_by[i],
                    subject: Subject::File(f),
                    extra: 0,
                });
            }
            if files.shared[i] != 0 && files.shared_at[i] >= start {
                out.push(Event {
                    at: files.shared_at[i],
                    kind: EventKind::Share,
                    actor: owner,
                    subject: Subject::File(f),
                    extra: files.shared[i] as u32,
                });
            }
        }
        for f in 0..ent.folders.parent.len() as u32 {
            let i = f as usize;
            if ent.folders.shared[i] != 0 && ent.folders.shared_at[i] >= start {
                out.push(Event {
                    at: ent.folders.shared_at[i],
                    kind: EventKind::Share,
                    actor: ent.folders.owner[i],
                    subject: Subject::Folder(f),
                    extra: ent.folders.shared[i] as u32,
                });
            }
        }
        for (ci, c) in ent.collabs.iter().enumerate() {
            if c.created_at < start {
                continue;
            }
            let subject = if c.item_is_file {
                Subject::File(c.item)
            } else {
                Subject::Folder(c.item)
            };
            out.push(Event {
                at: c.created_at,
                kind: EventKind::CollaborationInvite,
                actor: c.created_by,
                subject,
                extra: ci as u32,
            });
            if c.status == CollabStatus::Accepted {
                let at = (c.created_at + 3_600 + (ci as i64 % 7) * 1_800).min(ent.anchor - 1);
                out.push(Event {
                    at,
                    kind: EventKind::CollaborationAccept,
                    actor: c.grantee,
                    subject,
                    extra: ci as u32,
                });
            }
        }
        // Daily logins, previews and downloads of each managed user's own files.
        for u in 0..ent.managed as u32 {
            let owned: Vec<u32> = (0..ent.folders.parent.len() as u32)
                .filter(|&f| ent.folders.owner[f as usize] == u)
                .collect();
            for day in 0..cfg.history_days as i64 {
                let mut d = Draw::new(seed, 0xE7E ^ ((u as u64) << 20), day as u64);
                let day_start = start + day * DAY;
                let mut login_at = None;
                if d.chance(0.75) {
                    let at = day_start + d.range(7 * 3600, 10 * 3600) as i64;
                    login_at = Some(at);
                    out.push(Event {
                        at,
                        kind: EventKind::Login,
                        actor: u,
                        subject: Subject::User,
                        extra: 0,
                    });
                }
                let reads =
                    (cfg.reads_per_user_per_day * 2.0 * crate::rng::unit(d.next_u64())) as u32;
                for _ in 0..reads {
                    let folder = *d.pick(&owned);
                    let (a, b) = ent.folders.file_range[folder as usize];
                    if a == b {
                        continue;
                    }
                    let f = d.range(a as u64, b as u64) as u32;
                    let at = login_at.unwrap_or(day_start) + d.range(60, 8 * 3600) as i64;
                    if at <= files.created_at[f as usize] || at >= ent.anchor {
                        continue;
                    }
                    let open = files.shared[f as usize] == 1;
                    let (kind, actor) = match d.below(10) {
                        0..=5 => (EventKind::Preview, u),
                        6..=8 => (EventKind::Download, u),
                        // Open links are downloaded by people without accounts.
                        _ if open => (EventKind::Download, ANONYMOUS),
                        _ => (EventKind::Preview, u),
                    };
                    out.push(Event {
                        at,
                        kind,
                        actor,
                        subject: Subject::File(f),
                        extra: 0,
                    });
                }
            }
        }
        out.retain(|e| e.at >= start && e.at < ent.anchor);
        out.sort_by_key(|e| e.at);
        EventLog {
            entries: out,
            snapshots: Default::default(),
        }
    }

    /// Append a live event; times never go backwards. Returns its stream position.
    pub fn push(&mut self, mut e: Event) -> usize {
        if let Some(last) = self.entries.last() {
            e.at = e.at.max(last.at);
        }
        self.entries.push(e);
        self.entries.len() - 1
    }

    /// Append an event with the item as it is now, kept for when it changes later.
    pub fn push_snapshot(&mut self, e: Event, snapshot: Snapshot) -> usize {
        let at = self.push(e);
        self.snapshots.insert(at, snapshot);
        at
    }

    pub fn snapshot(&self, position: usize) -> Option<&Snapshot> {
        if self.snapshots.is_empty() {
            None
        } else {
            self.snapshots.get(&position)
        }
    }

    /// First index with `at >= t`.
    pub fn lower_bound(&self, t: i64) -> usize {
        self.entries.partition_point(|e| e.at < t)
    }
}

/// Shared-link access code stored in `extra` of SHARE events.
pub fn access_of(extra: u32) -> &'static str {
    match extra {
        1 => Access::Open.as_str(),
        2 => Access::Company.as_str(),
        _ => Access::Collaborators.as_str(),
    }
}
