//! Which queue items this scanner is working on *right now*, on disk, so
//! that after a crash or a `kill -9` the next scanner knows which of the
//! dead one's leases were items in progress (suspects: one of them may be
//! what killed it) and which were only claimed and waiting (innocent: back
//! to the queue uncounted).
//!
//! An append-only file in the data dir: `+kind id` when an item's work
//! starts, `-kind id` when it ends. Each line is one `write` to the kernel,
//! which keeps it through a process's death (not through a power cut: then
//! every lease counts, as without a journal). The next scanner replays it,
//! then starts it afresh.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::store::queue::ItemKind;

pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl Journal {
    pub fn new(path: PathBuf) -> Self {
        Journal {
            path,
            file: Mutex::new(None),
        }
    }

    /// What the last scanner left in progress, then an empty journal for
    /// this one. A journal that cannot be read says nothing (every lease
    /// then counts).
    pub fn take_over(&self) -> Option<BTreeSet<(ItemKind, String)>> {
        let left = std::fs::read_to_string(&self.path)
            .ok()
            .map(|text| replay(&text));
        let fresh = std::fs::File::create(&self.path);
        if let Err(e) = &fresh {
            tracing::warn!(path = %self.path.display(), error = %e, "scan journal unavailable");
        }
        *self.file.lock().expect("journal lock") = fresh.ok();
        left
    }

    pub fn started(&self, kind: ItemKind, id: &str) {
        self.line('+', kind, id);
    }

    pub fn ended(&self, kind: ItemKind, id: &str) {
        self.line('-', kind, id);
    }

    fn line(&self, sign: char, kind: ItemKind, id: &str) {
        if let Some(file) = self.file.lock().expect("journal lock").as_mut() {
            // One write per line: the kernel has it before we go on.
            let _ = file.write_all(format!("{sign}{} {id}\n", kind.as_str()).as_bytes());
        }
    }

    #[cfg(test)]
    fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Items started and not ended.
fn replay(text: &str) -> BTreeSet<(ItemKind, String)> {
    let mut open = BTreeSet::new();
    for line in text.lines() {
        let (sign, rest) = line.split_at(line.len().min(1));
        let Some((kind, id)) = rest.split_once(' ') else {
            continue; // a line cut by the death itself
        };
        let Some(kind) = ItemKind::parse(kind) else {
            continue;
        };
        match sign {
            "+" => {
                open.insert((kind, id.to_owned()));
            }
            "-" => {
                open.remove(&(kind, id.to_owned()));
            }
            _ => {}
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_keeps_what_started_and_never_ended() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path().join("scan-journal"));
        assert_eq!(journal.take_over(), None, "no journal yet");
        journal.started(ItemKind::File, "1");
        journal.started(ItemKind::File, "2");
        journal.started(ItemKind::Folder, "3");
        journal.ended(ItemKind::File, "1");
        // A death mid-line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(journal.path())
            .unwrap()
            .write_all(b"+fi")
            .unwrap();
        let next = Journal::new(journal.path().to_owned());
        let left = next.take_over().unwrap();
        assert_eq!(
            left.into_iter().collect::<Vec<_>>(),
            [
                (ItemKind::File, "2".to_owned()),
                (ItemKind::Folder, "3".to_owned())
            ]
        );
        assert_eq!(next.take_over().unwrap().len(), 0, "started afresh");
    }
}
