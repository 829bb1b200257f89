//! Shell completions (clap_complete) and man pages (clap_mangen), generated
//! from the same clap definitions as the parser, so they cannot drift.

use std::io::Write;
use std::path::Path;

use clap::Command;
use clap_complete::Shell;

/// Writes a whole buffer to stdout; a closed pipe (`| head`) is not an error.
fn print(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The completion script for `shell`, on stdout.
pub fn completions(mut cmd: Command, shell: Shell, bin_name: &str) -> std::io::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, bin_name, &mut script);
    print(&script)
}

/// The top-level man page on stdout, or every page (one per subcommand too)
/// as `<name>.1` files in `dir`.
pub fn man(cmd: Command, dir: Option<&Path>) -> std::io::Result<()> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(cmd, dir)
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            print(&page)
        }
    }
}
