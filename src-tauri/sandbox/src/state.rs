//! The shared state behind every route.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use crate::config::{Faults, NewVersionEvent, SandboxConfig};
use crate::enterprise::Enterprise;
use crate::events::EventLog;
use crate::tokens::TokenStore;

/// What the API serves: the enterprise and its event log change together.
pub struct World {
    pub ent: Enterprise,
    pub events: EventLog,
}

/// Settings changed at runtime through `/_sandbox/`.
pub struct Control {
    pub faults: Faults,
    pub burst_left: u32,
    pub disable_unpublished_apps: bool,
    pub app_exceptions: Vec<String>,
    pub rate_limit_per_minute: u32,
    pub activity_per_second: f64,
    pub streaming_disorder_rate: f64,
    pub new_version_event: NewVersionEvent,
}

#[derive(Default, serde::Serialize)]
pub struct Stats {
    pub total: u64,
    pub by_endpoint: HashMap<String, u64>,
    pub by_user: HashMap<String, u64>,
    pub by_status: HashMap<u16, u64>,
}

/// Token bucket per user: `limit` requests per minute, refilled continuously.
pub struct Bucket {
    pub tokens: f64,
    pub updated: std::time::Instant,
}

pub struct Inner {
    pub cfg: SandboxConfig,
    pub base_url: String,
    pub world: RwLock<World>,
    pub tokens: Mutex<TokenStore>,
    pub control: Mutex<Control>,
    pub buckets: Mutex<HashMap<u32, Bucket>>,
    pub stats: Mutex<Stats>,
    /// The live activity's pace, shared by its loop and `/_sandbox/activity/tick`.
    pub ticker: Mutex<crate::activity::Ticker>,
    /// sha1 of file versions, computed on first use: (version, sha1).
    pub sha1_cache: Mutex<HashMap<u32, (u32, [u8; 20])>>,
    /// Turns true when the sandbox stops: a stalled download ends then, so
    /// it never holds the shutdown up.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

impl Inner {
    pub fn save_tokens(&self, store: &TokenStore) {
        if let Some(path) = &self.cfg.state_path {
            store.save(path);
        }
    }

    pub fn app_allowed(&self, client_id: &str) -> bool {
        let c = self.control.lock().unwrap();
        !c.disable_unpublished_apps || c.app_exceptions.iter().any(|e| e == client_id)
    }

    /// Take one request from the user's bucket; Err(seconds to wait) when empty.
    pub fn take_rate(&self, user: u32) -> Result<(), u64> {
        let limit = self.control.lock().unwrap().rate_limit_per_minute;
        if limit == 0 {
            return Ok(());
        }
        let per_sec = limit as f64 / 60.0;
        let now = std::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let b = buckets.entry(user).or_insert(Bucket {
            tokens: limit as f64,
            updated: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.updated).as_secs_f64() * per_sec).min(limit as f64);
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

impl Inner {
    pub fn file_plan(
        &self,
        ent: &crate::enterprise::Enterprise,
        file: u32,
    ) -> crate::content::Plan {
        // Uploaded bytes are whatever the client sent: nothing was planted in them.
        if ent.file_stored(file).is_some() {
            return crate::content::Plan::default();
        }
        crate::content::plan(
            ent.seed,
            file,
            ent.file_version(file),
            ent.file_kind(file),
            self.cfg.sensitive_rate,
            self.cfg.near_miss_rate,
        )
    }

    /// The bytes of the current version of a file.
    pub fn file_bytes(&self, ent: &crate::enterprise::Enterprise, file: u32) -> bytes::Bytes {
        if let Some(s) = ent.file_stored(file) {
            return s.bytes.clone();
        }
        let plan = self.file_plan(ent, file);
        crate::content::build(
            ent.seed,
            file,
            ent.file_version(file),
            ent.file_kind(file),
            &ent.generated_file_name(file),
            &plan,
        )
        .into()
    }

    /// sha1 of the current version, computed once per version.
    pub fn file_sha1(&self, ent: &crate::enterprise::Enterprise, file: u32) -> String {
        use sha1::Digest;
        if let Some(s) = ent.file_stored(file) {
            return s.sha1.clone();
        }
        let version = ent.file_version(file);
        if let Some((v, hash)) = self.sha1_cache.lock().unwrap().get(&file) {
            if *v == version {
                return hex(hash);
            }
        }
        let hash: [u8; 20] = sha1::Sha1::digest(self.file_bytes(ent, file)).into();
        self.sha1_cache
            .lock()
            .unwrap()
            .insert(file, (version, hash));
        hex(&hash)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
