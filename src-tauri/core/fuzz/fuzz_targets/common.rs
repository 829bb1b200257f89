//! What every extractor target does: the bytes as a file of that type,
//! read to the end under the app's limits. A crash, a hang or a runaway
//! allocation here is a finding (in the app, a child process's).

use std::io::Write;
use std::time::Duration;

use connector_core::inspect::extract::{extract_file, Deadline, FileType, Limits};

pub fn read_as(file_type: FileType, data: &[u8]) {
    thread_local! {
        static FILE: tempfile::NamedTempFile = tempfile::NamedTempFile::new().expect("a temp file");
    }
    FILE.with(|file| {
        let mut f = std::fs::File::create(file.path()).expect("rewrite the temp file");
        f.write_all(data).expect("write the input");
        drop(f);
        let limits = Limits {
            timeout: Duration::from_secs(10),
            ..Limits::default()
        };
        let mut chars = 0usize;
        let _ = extract_file(
            file.path(),
            file_type,
            &limits,
            &Deadline::after(limits.timeout),
            &mut |piece| chars += piece.len(),
        );
    });
}
