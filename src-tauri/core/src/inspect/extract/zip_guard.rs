//! Zip containers under bomb limits. Before anything is inflated the central
//! directory is checked (entry count, declared sizes and ratios, encryption);
//! while inflating, a counting reader stops an entry that grows past what it
//! declared, past the ratio, or past the archive's total budget, whatever the
//! directory claimed.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use zip::result::ZipError;
use zip::ZipArchive;

use super::{io_reason, types, Limits, NotInspected};

/// Ratios are judged once an entry has inflated this far: small XML parts
/// of real documents compress very well and are harmless.
const RATIO_GRACE_BYTES: u64 = 1 << 20;

/// Bytes inflated so far across the archive, and why reading stopped.
struct Budget {
    max_expanded: u64,
    max_ratio: u64,
    expanded: u64,
    tripped: Option<NotInspected>,
}

pub(super) struct Archive {
    zip: ZipArchive<BufReader<File>>,
    budget: Budget,
}

pub(super) fn open(path: &Path, limits: &Limits) -> Result<Archive, NotInspected> {
    let mut file = File::open(path).map_err(|e| io_reason(&e))?;
    let mut magic = [0u8; 8];
    let got = file.read(&mut magic).map_err(|e| io_reason(&e))?;
    if magic[..got] == types::CFB_MAGIC[..] {
        return Err(NotInspected::PasswordProtected);
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| io_reason(&e))?;
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(zip_reason)?;
    if zip.len() > limits.max_entries {
        return Err(NotInspected::ZipBomb(format!(
            "{} entries, over the limit of {}",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        // Raw: reads the local header only, decrypts and inflates nothing.
        let entry = zip.by_index_raw(i).map_err(zip_reason)?;
        if entry.encrypted() {
            return Err(NotInspected::PasswordProtected);
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > RATIO_GRACE_BYTES && size / packed.max(1) > limits.max_ratio {
            return Err(NotInspected::ZipBomb(format!(
                "an entry declares {size} bytes from {packed} (over {}:1)",
                limits.max_ratio
            )));
        }
        declared = declared.saturating_add(size);
    }
    if declared > limits.max_expanded_bytes {
        return Err(NotInspected::ZipBomb(format!(
            "entries declare {declared} bytes in all, over the limit of {}",
            limits.max_expanded_bytes
        )));
    }
    Ok(Archive {
        zip,
        budget: Budget {
            max_expanded: limits.max_expanded_bytes,
            max_ratio: limits.max_ratio,
            expanded: 0,
            tripped: None,
        },
    })
}

impl Archive {
    pub(super) fn names(&self) -> Vec<String> {
        self.zip.file_names().map(str::to_string).collect()
    }

    /// Runs `read` over the inflating entry `name` (`None` if absent). An
    /// error while reading becomes the limit it hit, when it hit one.
    pub(super) fn read_entry<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(&mut dyn BufRead) -> Result<T, NotInspected>,
    ) -> Result<Option<T>, NotInspected> {
        let entry = match self.zip.by_name(name) {
            Ok(entry) => entry,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_reason(e)),
        };
        let declared = entry.size();
        let packed = entry.compressed_size();
        let mut reader = BufReader::new(Counted {
            inner: entry,
            budget: &mut self.budget,
            declared,
            packed,
            read: 0,
        });
        let result = read(&mut reader);
        drop(reader);
        match result {
            Err(e) => Err(self.budget.tripped.take().unwrap_or(e)),
            Ok(value) => Ok(Some(value)),
        }
    }
}

/// Counts inflated bytes of one entry against the limits.
struct Counted<'a, R> {
    inner: R,
    budget: &'a mut Budget,
    declared: u64,
    packed: u64,
    read: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.tripped.is_some() {
            return Err(io::Error::other("zip limit reached"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.budget.expanded += n as u64;
        let tripped = if self.read > self.declared {
            Some(format!(
                "an entry inflates past the {} bytes it declares",
                self.declared
            ))
        } else if self.budget.expanded > self.budget.max_expanded {
            Some(format!(
                "entries inflate past the limit of {} bytes",
                self.budget.max_expanded
            ))
        } else if self.read > RATIO_GRACE_BYTES
            && self.read / self.packed.max(1) > self.budget.max_ratio
        {
            Some(format!(
                "an entry inflates over {}:1",
                self.budget.max_ratio
            ))
        } else {
            None
        };
        match tripped {
            Some(why) => {
                self.budget.tripped = Some(NotInspected::ZipBomb(why));
                Err(io::Error::other("zip limit reached"))
            }
            None => Ok(n),
        }
    }
}

/// A zip error as a reason (never the entry's content).
pub(super) fn zip_reason(e: ZipError) -> NotInspected {
    match e {
        ZipError::UnsupportedArchive(why) if why == ZipError::PASSWORD_REQUIRED => {
            NotInspected::PasswordProtected
        }
        ZipError::InvalidPassword => NotInspected::PasswordProtected,
        ZipError::UnsupportedArchive(why) => {
            NotInspected::Corrupt(format!("unsupported zip feature ({why})"))
        }
        ZipError::Io(e) => io_reason(&e),
        ZipError::FileNotFound => NotInspected::Corrupt("a zip entry is missing".into()),
        other => NotInspected::Corrupt(format!("not a valid zip ({other})")),
    }
}
