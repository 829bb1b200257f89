//! The child's side: set the OS limits, say hello, then read one file per
//! line of stdin until stdin ends (the parent is gone or done with us).
//!
//! Nothing here writes file content anywhere: answers hold counts and
//! masked samples, and a reader's panic message (which may quote the
//! file's bytes) is withheld.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use super::{read_in_process, Answer, Hello, Job, EXTRACTOR_VERSION, PROTOCOL};
use crate::inspect::detect::Engine;
use crate::inspect::extract::{Deadline, NotInspected};

/// The reading thread's stack: deep enough for any honest document, small
/// enough that a self-referencing one overflows it quickly and dies.
pub(super) const STACK_BYTES: usize = 16 * 1024 * 1024;

/// Exit code when the child could not even start serving.
const EXIT_SETUP: i32 = 70;

/// `args`: what follows [`super::WORKER_ARG`] (`--max-memory-mb N`).
pub(super) fn serve(args: &[String]) -> i32 {
    // A reader's panic message may quote file content: say only where.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("extract child: a reader panicked at {at} (message withheld)");
    }));
    let max_memory_mb = args
        .windows(2)
        .find(|w| w[0] == "--max-memory-mb")
        .and_then(|w| w[1].parse::<u64>().ok());
    if let Err(e) = limits::apply_process_limits(max_memory_mb) {
        eprintln!("extract child: cannot set its limits: {e}");
        return EXIT_SETUP;
    }
    // One reading thread for the child's whole life: its stack is bounded
    // (a self-referencing file overflows it and the child dies, alone),
    // and no thread is started per file.
    let reader = std::thread::Builder::new()
        .name("extract".into())
        .stack_size(STACK_BYTES)
        .spawn(serve_lines);
    match reader.map(|r| r.join()) {
        Ok(Ok(code)) => code,
        _ => EXIT_SETUP,
    }
}

/// Hello, then one answer per job line until stdin ends.
fn serve_lines() -> i32 {
    let engine = Arc::new(Engine::new());
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let hello = Hello {
        protocol: PROTOCOL,
        version: EXTRACTOR_VERSION,
    };
    if write_line(&mut stdout, &hello).is_err() {
        return 0;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let answer = match serde_json::from_str::<Job>(&line) {
            Ok(job) => read_one(&engine, job),
            Err(e) => Answer::NotInspected(NotInspected::Unavailable(format!(
                "the extraction helper could not read its instructions ({e})"
            ))),
        };
        if write_line(&mut stdout, &answer).is_err() {
            return 0;
        }
    }
}

fn write_line(out: &mut impl Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// One file, under a CPU budget; a reader's panic is caught and costs the
/// file only.
fn read_one(engine: &Arc<Engine>, job: Job) -> Answer {
    limits::cpu_budget(job.limits.timeout + Duration::from_secs(1));
    let deadline = Deadline::after(job.limits.timeout);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_in_process(engine, &job.path, job.file_type, &job.limits, &deadline)
    }));
    match outcome {
        Ok(Ok(read)) => Answer::Read(read),
        Ok(Err(why)) => Answer::NotInspected(why),
        Err(_) => Answer::NotInspected(NotInspected::Panicked),
    }
}

#[cfg(unix)]
mod limits {
    use std::time::Duration;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    type Resource = libc::__rlimit_resource_t;
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    type Resource = libc::c_int;

    fn set(resource: Resource, soft: u64, hard: u64) -> std::io::Result<()> {
        let limit = libc::rlimit {
            rlim_cur: soft as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: a plain system call on a value we own.
        if unsafe { libc::setrlimit(resource, &limit) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// No core dumps (they would hold the file's content), an address-space
    /// cap of `max_memory_mb` above what the program itself maps at start,
    /// and death with the parent.
    pub(super) fn apply_process_limits(max_memory_mb: Option<u64>) -> std::io::Result<()> {
        set(libc::RLIMIT_CORE, 0, 0)?;
        if let Some(mb) = max_memory_mb {
            let cap = mapped_bytes() + mb.saturating_mul(1024 * 1024);
            set(libc::RLIMIT_AS, cap, cap)?;
        }
        #[cfg(target_os = "linux")]
        // SAFETY: prctl with integer arguments only.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
        Ok(())
    }

    /// Address space mapped now (the program and its libraries, which the
    /// WebKit app maps plenty of before `main`): the cap is on top of it.
    fn mapped_bytes() -> u64 {
        let pages = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
        pages * page
    }

    /// Lets this file use `budget` more CPU seconds: SIGXCPU past the soft
    /// limit (the parent reads it as "CPU time"). Cumulative per process,
    /// so set afresh from what was used before each file.
    pub(super) fn cpu_budget(budget: Duration) {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the struct we pass.
        let used = if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } == 0 {
            // SAFETY: initialised by the successful call above.
            let usage = unsafe { usage.assume_init() };
            (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as u64 + 1
        } else {
            0
        };
        let soft = used + budget.as_secs().max(1);
        let _ = set(libc::RLIMIT_CPU, soft, libc::RLIM_INFINITY);
    }
}

#[cfg(not(unix))]
mod limits {
    use std::time::Duration;

    /// Only the wall-clock kill applies here.
    pub(super) fn apply_process_limits(_max_memory_mb: Option<u64>) -> std::io::Result<()> {
        Ok(())
    }

    pub(super) fn cpu_budget(_budget: Duration) {}
}
