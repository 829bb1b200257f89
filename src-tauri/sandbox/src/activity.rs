//! Live activity: edits, uploads, shares, unshares, collaborations, previews,
//! downloads and deletes that really change what the API serves, each logged as an
//! admin event.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::enterprise::{Access, AccountKind, Collab, CollabStatus, NO_PARENT};
use crate::events::{Event, EventKind, Subject};
use crate::state::{Inner, World};
use crate::tokens::now_unix;

/// Apply one random change. Returns the event it logged.
pub fn step(world: &mut World, rng: &mut impl Rng) -> Option<Event> {
    let ent = &mut world.ent;
    let now = now_unix();
    let nfiles = ent.files.parent.len() as u32;
    if nfiles == 0 {
        return None;
    }
    // A live file, chosen at random (a few tries; deletes leave holes).
    let mut file = None;
    for _ in 0..16 {
        let f = rng.gen_range(0..nfiles);
        // Live activity is the enterprise's own people on their own files.
        if ent.file_alive(f) && !ent.file_externally_owned(f) {
            file = Some(f);
            break;
        }
    }
    let f = file?;
    let owner = ent.file_owner(f);
    let kind = match rng.gen_range(0..100) {
        0..=19 => EventKind::Edit,
        20..=29 => EventKind::Upload,
        30..=37 => EventKind::Share,
        38..=42 => EventKind::Unshare,
        43..=49 => EventKind::CollaborationInvite,
        50..=74 => EventKind::Preview,
        75..=94 => EventKind::Download,
        _ => EventKind::Delete,
    };
    let event = match kind {
        EventKind::Edit => {
            let i = f as usize;
            ent.files.version[i] = ent.files.version[i].saturating_add(1);
            ent.files.modified_at[i] = now;
            ent.files.modified_by[i] = owner;
            Event {
                at: now,
                kind,
                actor: owner,
                subject: Subject::File(f),
                extra: 0,
            }
        }
        EventKind::Upload => {
            let folder = ent.files.parent[f as usize];
            let new = ent.add_file(folder, now, owner);
            Event {
                at: now,
                kind,
                actor: owner,
                subject: Subject::File(new),
                extra: 0,
            }
        }
        EventKind::Share => {
            let access =
                [Access::Open, Access::Company, Access::Collaborators][rng.gen_range(0..3)];
            ent.set_file_shared(f, Some(access), now);
            ent.files.changed.touch(f, now);
            Event {
                at: now,
                kind,
                actor: owner,
                subject: Subject::File(f),
                extra: ent.files.shared[f as usize] as u32,
            }
        }
        EventKind::Unshare => {
            // Unshare something that is shared, if there is such a file nearby.
            let target = (0..64u32)
                .map(|k| (f + k) % nfiles)
                .find(|&x| ent.file_shared(x).is_some() && ent.file_alive(x))?;
            ent.set_file_shared(target, None, now);
            ent.files.changed.touch(target, now);
            Event {
                at: now,
                kind,
                actor: ent.file_owner(target),
                subject: Subject::File(target),
                extra: 0,
            }
        }
        EventKind::CollaborationInvite => {
            let folder = ent.files.parent[f as usize];
            if ent.folders.parent[folder as usize] == NO_PARENT {
                return None;
            }
            let grantee = rng.gen_range(0..ent.accounts.len() as u32);
            let acc = &ent.accounts[grantee as usize];
            if grantee == owner || acc.kind == AccountKind::Personal {
                return None;
            }
            let status = if acc.kind == AccountKind::External {
                CollabStatus::Pending
            } else {
                CollabStatus::Accepted
            };
            let ci = ent.add_collab(Collab {
                item: folder,
                item_is_file: false,
                grantee,
                role: "viewer",
                status,
                created_at: now,
                created_by: owner,
                removed: false,
            });
            Event {
                at: now,
                kind,
                actor: owner,
                subject: Subject::Folder(folder),
                extra: ci,
            }
        }
        EventKind::Delete => {
            ent.files.trashed[f as usize] = true;
            Event {
                at: now,
                kind,
                actor: owner,
                subject: Subject::File(f),
                extra: 0,
            }
        }
        _ => Event {
            at: now,
            kind,
            actor: owner,
            subject: Subject::File(f),
            extra: 0,
        },
    };
    world.events.push(event);
    Some(event)
}

/// Run `count` steps now.
pub fn burst(inner: &Inner, count: usize) -> usize {
    let mut rng = rand::thread_rng();
    let mut world = inner.world.write().unwrap();
    (0..count)
        .filter(|_| step(&mut world, &mut rng).is_some())
        .count()
}

/// One tick of the live activity: the background loop runs one every `TICK`.
pub const TICK: Duration = Duration::from_millis(100);

/// The fraction of a change owed from earlier ticks, so low rates still add up.
#[derive(Default)]
pub struct Ticker {
    carry: f64,
}

impl Ticker {
    /// Run one tick at the current rate; returns (steps run, changes applied).
    pub fn tick(&mut self, inner: &Inner) -> (usize, usize) {
        let rate = inner.control.lock().unwrap().activity_per_second;
        if rate <= 0.0 {
            self.carry = 0.0;
            return (0, 0);
        }
        self.carry += rate * TICK.as_secs_f64();
        let n = self.carry.floor() as usize;
        if n == 0 {
            return (0, 0);
        }
        self.carry -= n as f64;
        (n, burst(inner, n))
    }
}

/// Background loop: reads the current rate each tick so `/_sandbox/` can change it.
/// With `activity_manual_ticks` it never ticks: only `/_sandbox/activity/tick` does.
pub async fn run(inner: Arc<Inner>) {
    if inner.cfg.activity_manual_ticks {
        return;
    }
    loop {
        tokio::time::sleep(TICK).await;
        inner.ticker.lock().unwrap().tick(&inner);
    }
}
