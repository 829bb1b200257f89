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
//! then starts it afresh. Once it holds many more lines than items in
//! progress, it is rewritten with only those (a new file renamed over the
//! old, so a death mid-rewrite leaves the old one whole): a long scan's
//! journal stays the size of its work in progress, not of its history.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::store::queue::ItemKind;

/// A rewrite happens past this many lines (and 4 lines per item in progress).
const COMPACT_AFTER_LINES: usize = 4096;

pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<OpenJournal>>,
}

struct OpenJournal {
    file: std::fs::File,
    in_progress: BTreeSet<(ItemKind, String)>,
    lines: usize,
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
        *self.file.lock().expect("journal lock") = fresh.ok().map(|file| OpenJournal {
            file,
            in_progress: BTreeSet::new(),
            lines: 0,
        });
        left
    }

    pub fn started(&self, kind: ItemKind, id: &str) {
        self.line('+', kind, id);
    }

    pub fn ended(&self, kind: ItemKind, id: &str) {
        self.line('-', kind, id);
    }

    fn line(&self, sign: char, kind: ItemKind, id: &str) {
        let mut guard = self.file.lock().expect("journal lock");
        let Some(open) = guard.as_mut() else { return };
        // One write per line: the kernel has it before we go on.
        let _ = open
            .file
            .write_all(format!("{sign}{} {id}\n", kind.as_str()).as_bytes());
        if sign == '+' {
            open.in_progress.insert((kind, id.to_owned()));
        } else {
            open.in_progress.remove(&(kind, id.to_owned()));
        }
        open.lines += 1;
        if open.lines > COMPACT_AFTER_LINES.max(4 * open.in_progress.len()) {
            if let Err(e) = self.compact(open) {
                tracing::warn!(path = %self.path.display(), error = %e, "scan journal not compacted");
            }
        }
    }

    /// Rewrites the journal with only the items in progress.
    fn compact(&self, open: &mut OpenJournal) -> std::io::Result<()> {
        let fresh = self.path.with_extension("new");
        let mut text = String::new();
        for (kind, id) in &open.in_progress {
            text.push_str(&format!("+{} {id}\n", kind.as_str()));
        }
        std::fs::write(&fresh, text)?;
        std::fs::rename(&fresh, &self.path)?;
        open.file = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        open.lines = open.in_progress.len();
        Ok(())
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

    #[test]
    fn a_long_scan_keeps_the_journal_the_size_of_its_work_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path().join("scan-journal"));
        journal.take_over();
        journal.started(ItemKind::Folder, "still-working");
        for i in 0..10 * COMPACT_AFTER_LINES {
            journal.started(ItemKind::File, &i.to_string());
            journal.ended(ItemKind::File, &i.to_string());
        }
        journal.started(ItemKind::File, "last");
        let size = std::fs::metadata(journal.path()).unwrap().len();
        assert!(size < 20 * COMPACT_AFTER_LINES as u64, "{size} bytes");
        let left = Journal::new(journal.path().to_owned()).take_over().unwrap();
        assert_eq!(
            left.into_iter().collect::<Vec<_>>(),
            [
                (ItemKind::File, "last".to_owned()),
                (ItemKind::Folder, "still-working".to_owned())
            ]
        );
    }
}
