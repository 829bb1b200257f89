//! The scan's reading children, seen from /proc: how many are alive and
//! how much memory they hold, sampled while a test or a bench runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// (VmRSS in KiB) of each live child of this process whose program name
/// starts with `prefix`.
fn children(prefix: &str) -> Vec<f64> {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let status = std::fs::read_to_string(e.path().join("status")).ok()?;
            let field = |key: &str| {
                status
                    .lines()
                    .find(|l| l.starts_with(key))
                    .map(|l| l[key.len()..].trim().to_owned())
            };
            let ours = field("PPid:")? == me && field("Name:")?.starts_with(prefix);
            ours.then(|| {
                field("VmRSS:")
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
                    .unwrap_or(0.0)
            })
        })
        .collect()
}

/// Reading children alive now (the app's, the CLI's or a bench's binary).
pub fn live_readers(prefix: &str) -> usize {
    children(prefix).len()
}

/// This process's resident MiB.
pub fn own_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Samples every 5 ms, until stopped, the largest resident MiB of the
/// readers together (and of this process plus them).
pub struct PeakSampler {
    running: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(f64, f64)>,
}

impl PeakSampler {
    pub fn start(prefix: &'static str) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let thread = std::thread::spawn(move || {
            let (mut readers, mut together) = (0f64, 0f64);
            while flag.load(Ordering::Relaxed) {
                let now: f64 = children(prefix).iter().sum::<f64>() / 1024.0;
                readers = readers.max(now);
                together = together.max(now + own_rss_mib());
                std::thread::sleep(Duration::from_millis(5));
            }
            (readers, together)
        });
        PeakSampler { running, thread }
    }

    /// (the readers' peak together, this process and the readers' peak) in MiB.
    pub fn stop(self) -> (f64, f64) {
        self.running.store(false, Ordering::Relaxed);
        self.thread.join().expect("sampler")
    }
}
