//! The parent's side: warm children, one file at a time each, and what a
//! child's death means for its file.
//!
//! A job takes an idle child (or starts one), writes the file's line and
//! waits for the answer until the wall clock runs out; then the child is
//! killed. A child that answered goes back to the idle list; one that
//! died, was killed or spoke nonsense is reaped and forgotten, and the
//! next job starts a fresh one. Children are started with `kill_on_drop`
//! and die with their parent (`PR_SET_PDEATHSIG`, and stdin's end), so
//! none outlives the pool or the app.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

use super::{Answer, Extracted, Hello, Job, EXTRACTOR_VERSION, PROTOCOL, WORKER_ARG};
use crate::inspect::extract::{FileType, Limits, NotInspected};

/// How long a new child may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(20);
/// Past the file's own deadline (which the reader checks cooperatively),
/// this long before the child is killed.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// What is kept of a child's stderr: enough to read how it died.
const STDERR_TAIL: usize = 4096;

#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The binary that serves [`WORKER_ARG`] (see [`super::helper_program`]).
    pub program: Result<PathBuf, String>,
    /// Children at most (files read at once).
    pub children: usize,
    /// Address space a child may map beyond its program (`inspect.max_memory_mb`).
    pub max_memory_mb: u64,
}

/// Default `inspect.max_memory_mb`.
pub const DEFAULT_MAX_MEMORY_MB: u64 = 1024;

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            program: super::helper_program(),
            children: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 8),
            max_memory_mb: DEFAULT_MAX_MEMORY_MB,
        }
    }
}

/// One live child.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The last bytes the child wrote to stderr (read, never logged).
    stderr_tail: Arc<Mutex<Vec<u8>>>,
}

pub struct ExtractorPool {
    config: PoolConfig,
    idle: Mutex<Vec<Worker>>,
    slots: Semaphore,
}

impl std::fmt::Debug for ExtractorPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtractorPool")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why a job could not even be handed to a child.
enum Handoff {
    /// The child was dead before it got the job: try a fresh one.
    Stale,
    Failed(NotInspected),
}

impl ExtractorPool {
    pub fn new(config: PoolConfig) -> Self {
        let slots = Semaphore::new(config.children.max(1));
        ExtractorPool {
            config,
            idle: Mutex::new(Vec::new()),
            slots,
        }
    }

    /// Children waiting for work now.
    pub fn idle_children(&self) -> usize {
        self.idle.lock().expect("pool lock").len()
    }

    /// Reads the file at `path` as `file_type` in a child. Every way a
    /// child can fail ends in a `NotInspected` for this file.
    pub async fn read(
        &self,
        path: &Path,
        file_type: FileType,
        limits: &Limits,
    ) -> Result<Extracted, NotInspected> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| NotInspected::Unavailable("the reader pool is closed".into()))?;
        let job = Job {
            path: path.to_owned(),
            file_type,
            limits: limits.clone(),
        };
        let mut line = serde_json::to_string(&job)
            .map_err(|e| NotInspected::Unavailable(format!("job encoding: {e}")))?;
        line.push('\n');
        // A warm child may have died idle (its parent thread ended, say):
        // that costs a fresh start, never the file.
        for _ in 0..2 {
            let idle = self.idle.lock().expect("pool lock").pop();
            let mut worker = match idle {
                Some(w) => w,
                None => self.start().await?,
            };
            match self.run(&mut worker, &line, limits.timeout).await {
                Err(Handoff::Failed(NotInspected::LimitExceeded(which))) => {
                    return Err(NotInspected::LimitExceeded(
                        self.limit_named(&which, limits),
                    ))
                }
                Ok(answer) => {
                    self.idle.lock().expect("pool lock").push(worker);
                    return match answer {
                        Answer::Read(read) => Ok(read),
                        Answer::NotInspected(why) => Err(why),
                    };
                }
                Err(Handoff::Stale) => continue,
                Err(Handoff::Failed(why)) => return Err(why),
            }
        }
        Err(NotInspected::Unavailable(
            "the extraction helper stops as soon as it starts".into(),
        ))
    }

    /// "memory" → "memory (1024 MB)": the limit that was hit, with its value.
    fn limit_named(&self, which: &str, limits: &Limits) -> String {
        match which {
            "memory" => format!("memory ({} MB)", self.config.max_memory_mb),
            "CPU time" => format!("CPU time ({} s)", limits.timeout.as_secs() + 1),
            other => other.to_owned(),
        }
    }

    async fn start(&self) -> Result<Worker, NotInspected> {
        let program = self
            .config
            .program
            .as_ref()
            .map_err(|why| NotInspected::Unavailable(why.clone()))?;
        let mut child = Command::new(program)
            .arg(WORKER_ARG)
            .arg("--max-memory-mb")
            .arg(self.config.max_memory_mb.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                NotInspected::Unavailable(format!(
                    "the extraction helper {} could not start ({})",
                    program.display(),
                    e.kind()
                ))
            })?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(NotInspected::Unavailable("no pipes to the helper".into()));
        };
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr_tail.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut tail = tail.lock().expect("stderr lock");
                tail.extend_from_slice(&buf[..n]);
                let excess = tail.len().saturating_sub(STDERR_TAIL);
                tail.drain(..excess);
            }
        });
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr_tail,
        };
        let mut hello = String::new();
        let said = tokio::time::timeout(HELLO_TIMEOUT, worker.stdout.read_line(&mut hello)).await;
        match said {
            Ok(Ok(n)) if n > 0 => {}
            _ => {
                let why = death(&mut worker, false).await;
                return Err(NotInspected::Unavailable(format!(
                    "the extraction helper {} did not start: {}",
                    program.display(),
                    why.message()
                )));
            }
        }
        match serde_json::from_str::<Hello>(&hello) {
            Ok(h) if h.protocol == PROTOCOL && h.version == EXTRACTOR_VERSION => Ok(worker),
            _ => Err(NotInspected::Unavailable(format!(
                "the extraction helper {} is another version of the app",
                program.display()
            ))),
        }
    }

    async fn run(
        &self,
        worker: &mut Worker,
        line: &str,
        timeout: Duration,
    ) -> Result<Answer, Handoff> {
        if worker.stdin.write_all(line.as_bytes()).await.is_err()
            || worker.stdin.flush().await.is_err()
        {
            let _ = worker.child.start_kill();
            let _ = worker.child.wait().await;
            return Err(Handoff::Stale);
        }
        let mut answer = String::new();
        let read =
            tokio::time::timeout(timeout + KILL_GRACE, worker.stdout.read_line(&mut answer)).await;
        match read {
            Ok(Ok(n)) if n > 0 => serde_json::from_str::<Answer>(&answer).map_err(|_| {
                Handoff::Failed(NotInspected::Crashed(
                    "the reader answered with something unreadable".into(),
                ))
            }),
            Ok(_) => Err(Handoff::Failed(death(worker, false).await)),
            Err(_elapsed) => Err(Handoff::Failed(death(worker, true).await)),
        }
    }
}

/// Reaps a child that ended (or kills it, when `kill`) and says why its
/// file was not inspected, from its exit status and the last words on its
/// stderr (read to classify, never repeated: they could quote the file).
async fn death(worker: &mut Worker, kill: bool) -> NotInspected {
    if kill {
        let _ = worker.child.start_kill();
    }
    let status = worker.child.wait().await.ok();
    if kill {
        return NotInspected::Timeout;
    }
    // The stderr reader may still be draining the last lines.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let said =
        String::from_utf8_lossy(&worker.stderr_tail.lock().expect("stderr lock")).into_owned();
    classify(status, &said)
}

fn classify(status: Option<std::process::ExitStatus>, stderr: &str) -> NotInspected {
    if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
        return NotInspected::LimitExceeded("memory".into());
    }
    if stderr.contains("overflowed its stack") {
        return NotInspected::Crashed("stack overflow".into());
    }
    let Some(status) = status else {
        return NotInspected::Crashed("it ended and could not be reaped".into());
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(libc::SIGXCPU) => return NotInspected::LimitExceeded("CPU time".into()),
            // Not ours (we kill only on timeout): the system's OOM killer.
            Some(libc::SIGKILL) => return NotInspected::LimitExceeded("memory".into()),
            Some(signal) => return NotInspected::Crashed(format!("signal {signal}")),
            None => {}
        }
    }
    match status.code() {
        Some(code) => NotInspected::Crashed(format!("exit code {code}")),
        None => NotInspected::Crashed("it ended".into()),
    }
}
