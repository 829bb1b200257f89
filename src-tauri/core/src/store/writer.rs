//! The store's one writer. Every small write is queued to one task, which
//! runs whatever writes are waiting in one `BEGIN IMMEDIATE` transaction on
//! the store's single write connection and commits them together (group
//! commit): thousands of writes a second from many tasks pay for one commit
//! per batch, not one each.
//!
//! Each caller still gets its own result. A write whose statement fails for
//! a reason of its own (a constraint, a bad value) fails alone: the batch is
//! rolled back and the other writes are run again without it, so nothing of
//! the failed write stays and nothing of the others is lost. A failure that
//! is not the write's fault (disk full, I/O, corruption, a failed commit)
//! fails every write of the batch with that error; none of them was saved.
//! A write whose own code panics is a bug, not a disk problem: it fails
//! alone with [`StoreError::Panicked`] (logged as a bug) like a write that
//! broke a constraint, and the writer task lives on for the others.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::FutureExt;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{Damage, StoreError, StoreResult};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// At most this many writes share a transaction, so one batch never holds
/// the write lock for long (the CLI or the app may be waiting for it).
const MAX_BATCH: usize = 512;
/// Queued writes beyond which callers wait (back-pressure, bounded memory).
const QUEUE_DEPTH: usize = 4096;

/// One caller's write. It may run more than once (when another write of its
/// batch failed); its result is kept until the batch commits.
trait Pending: Send {
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<()>>;
    fn complete(self: Box<Self>, outcome: StoreResult<()>);
}

struct Write<D, T, F> {
    data: D,
    statements: F,
    result: Option<T>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<D, T, F> Pending for Write<D, T, F>
where
    D: Send + Sync,
    T: Send,
    F: for<'c> Fn(&'c D, &'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>> + Send,
{
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<()>> {
        Box::pin(async move {
            let value = (self.statements)(&self.data, conn).await?;
            self.result = Some(value);
            Ok(())
        })
    }

    fn complete(self: Box<Self>, outcome: StoreResult<()>) {
        let Write { result, reply, .. } = *self;
        let answer = outcome.and_then(|()| {
            result.ok_or_else(|| StoreError::Refused("a write completed without running".into()))
        });
        // The caller may have stopped waiting; its write is committed anyway.
        let _ = reply.send(answer);
    }
}

enum Message {
    Write(Box<dyn Pending>),
    Close(oneshot::Sender<()>),
}

/// The sending side, held by every clone of the store.
#[derive(Debug)]
pub(super) struct Writer {
    queue: mpsc::Sender<Message>,
    shared: Arc<Shared>,
}

/// What the writer task and the handles both see.
#[derive(Debug)]
struct Shared {
    damage: Arc<Damage>,
    batches: AtomicU64,
    writes: AtomicU64,
}

/// How many writes the single writer committed, in how many transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    pub writes: u64,
    pub transactions: u64,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Write(_) => "Write",
            Message::Close(_) => "Close",
        })
    }
}

impl Writer {
    /// Starts the writer task on the current runtime. `pool` has exactly one
    /// connection, shared with [`super::Store::begin_write`].
    pub(super) fn start(pool: SqlitePool, damage: Arc<Damage>) -> Writer {
        let (queue, inbox) = mpsc::channel(QUEUE_DEPTH);
        let shared = Arc::new(Shared {
            damage,
            batches: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        });
        tokio::spawn(run(pool, inbox, shared.clone()));
        Writer { queue, shared }
    }

    pub(super) fn stats(&self) -> WriteStats {
        WriteStats {
            writes: self.shared.writes.load(Ordering::Relaxed),
            transactions: self.shared.batches.load(Ordering::Relaxed),
        }
    }

    /// Writes sent but not yet taken by the writer task.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    pub(super) async fn write<D, T, F>(&self, data: D, statements: F) -> StoreResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'c> Fn(&'c D, &'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (reply, result) = oneshot::channel();
        let write = Write {
            data,
            statements,
            result: None,
            reply,
        };
        self.queue
            .send(Message::Write(Box::new(write)))
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        result.await.map_err(|_| sqlx::Error::PoolClosed)?
    }

    /// Commits every write queued so far, then stops the writer; later
    /// writes fail as on a closed pool.
    pub(super) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.queue.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

async fn run(pool: SqlitePool, mut inbox: mpsc::Receiver<Message>, shared: Arc<Shared>) {
    while let Some(first) = inbox.recv().await {
        let mut batch: Vec<Box<dyn Pending>> = Vec::new();
        let mut close = None;
        match first {
            Message::Write(write) => batch.push(write),
            Message::Close(done) => close = Some(done),
        }
        // Take the connection first (a `begin_write` transaction may hold
        // it): whatever queues up meanwhile joins this batch.
        let conn = match &close {
            None => Some(pool.acquire().await),
            Some(_) => None,
        };
        while close.is_none() && batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(Message::Write(write)) => batch.push(write),
                Ok(Message::Close(done)) => close = Some(done),
                Err(_) => break,
            }
        }
        match conn {
            Some(Ok(mut conn)) => commit(&mut conn, batch, &shared).await,
            Some(Err(err)) => fail_all(batch, err, &shared),
            None => {}
        }
        if let Some(done) = close {
            inbox.close();
            while let Ok(message) = inbox.try_recv() {
                match message {
                    Message::Write(write) => write.complete(Err(sqlx::Error::PoolClosed.into())),
                    Message::Close(other) => {
                        let _ = other.send(());
                    }
                }
            }
            let _ = done.send(());
            return;
        }
    }
}

/// Runs `batch` in one transaction and completes every write in it.
async fn commit(conn: &mut SqliteConnection, mut batch: Vec<Box<dyn Pending>>, shared: &Shared) {
    while !batch.is_empty() {
        let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(err) => return fail_all(batch, err, shared),
        };
        let mut failed = None;
        for (index, write) in batch.iter_mut().enumerate() {
            // A panic in the write's code is caught here, so it fails this
            // write and never the writer task (which every later write needs).
            let outcome = match AssertUnwindSafe(write.run(&mut tx)).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(panic) => Err(panicked(panic)),
            };
            if let Err(err) = outcome {
                failed = Some((index, err));
                break;
            }
        }
        let Some((index, err)) = failed else {
            return match tx.commit().await {
                Ok(()) => {
                    shared.batches.fetch_add(1, Ordering::Relaxed);
                    shared
                        .writes
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    batch.into_iter().for_each(|w| w.complete(Ok(())));
                }
                Err(err) => fail_all(batch, err, shared),
            };
        };
        // Undo the whole batch, including the failed write's earlier statements.
        let _ = tx.rollback().await;
        let write = batch.remove(index);
        match err {
            StoreError::Database(err) if !is_the_writes_own_fault(&err) => {
                batch.insert(index, write);
                return fail_all(batch, err, shared);
            }
            err => write.complete(Err(err)),
        }
        // The others run again, in the same order, without it.
    }
}

/// The panic's message, logged as the bug it is.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> StoreError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    tracing::error!(panic = %what, "bug: a store write panicked; it alone failed");
    StoreError::Panicked(what)
}

fn fail_all(batch: Vec<Box<dyn Pending>>, err: sqlx::Error, shared: &Shared) {
    shared.damage.note(&err);
    let shared = Arc::new(err);
    for write in batch {
        write.complete(Err(StoreError::WriteFailed(shared.clone())));
    }
}

/// Errors that one write's statements cause by themselves (the same write
/// alone would fail the same way), as opposed to the database or the disk
/// failing under every write.
fn is_the_writes_own_fault(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(1);
            // SQLITE_ERROR (bad SQL, no such table), TOOBIG, CONSTRAINT,
            // MISMATCH, RANGE.
            matches!(code & 0xff, 1 | 18 | 19 | 20 | 25)
        }
        sqlx::Error::RowNotFound
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::Encode(_)
        | sqlx::Error::TypeNotFound { .. } => true,
        _ => false,
    }
}
