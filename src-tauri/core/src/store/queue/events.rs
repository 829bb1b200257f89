//! What live events do to the queue: a modify or share moves its item to
//! the front, a delete takes it out; read events change nothing.

use sqlx::sqlite::SqliteConnection;

use super::{enqueue_in, remove_in, Enqueue, EventEffects, ItemKind};
use crate::store::{findings, Millis, Store, StoreError, StoreResult};

/// Applies up to `limit` pending event effects, oldest first, and clears
/// their flag, inside the caller's transaction.
pub(crate) async fn apply_event_effects_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    limit: usize,
    now: Millis,
) -> StoreResult<EventEffects> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let events = sqlx::query!(
        r#"SELECT id AS "id!", event_id, event_type, kind, item_type, item_id,
                  created_at AS "created_at: Millis"
           FROM events WHERE connection_id = ?1 AND pending_effect = 1
           ORDER BY id LIMIT ?2"#,
        connection_id,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut effects = EventEffects::default();
    let mut to_front: Vec<Enqueue> = Vec::new();
    let mut ids = Vec::with_capacity(events.len());
    for event in events {
        ids.push(event.id);
        let item = event.item_type.as_deref().and_then(ItemKind::parse);
        let (Some(item), Some(item_id)) = (item, event.item_id) else {
            continue;
        };
        match event.kind.as_str() {
            "modify" | "share" => to_front.push(Enqueue::event(
                item,
                item_id,
                event.event_id,
                event.event_type,
            )),
            "delete" => {
                // Earlier events of this batch act first.
                effects.bumped += enqueue_in(conn, connection_id, &to_front, now).await?;
                to_front.clear();
                remove_in(conn, connection_id, item, &item_id).await?;
                if item == ItemKind::File {
                    sqlx::query!(
                        "UPDATE files SET removed_at = COALESCE(removed_at, ?3) \
                         WHERE connection_id = ?1 AND file_id = ?2",
                        connection_id,
                        item_id,
                        event.created_at,
                    )
                    .execute(&mut *conn)
                    .await?;
                    let scan_id = sqlx::query_scalar!(
                        "INSERT INTO item_scans (connection_id, item_type, item_id, at, outcome, \
                             reason, detail) \
                         VALUES (?1, 'file', ?2, ?3, 'removed', 'event', ?4) RETURNING id",
                        connection_id,
                        item_id,
                        now,
                        event.event_type,
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    // Deleted in Box: its findings close, with this as the scan that saw it.
                    findings::refresh_file_findings_in(
                        conn,
                        connection_id,
                        &item_id,
                        Some(scan_id),
                        &Default::default(),
                        now,
                        &mut Default::default(),
                    )
                    .await?;
                }
                effects.removed += 1;
            }
            // Read-only and other events leave the queue as it is (the
            // events module flags none of them; this is the queue's guard).
            _ => {}
        }
    }
    effects.bumped += enqueue_in(conn, connection_id, &to_front, now).await?;
    let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Refused(e.to_string()))?;
    sqlx::query!(
        "UPDATE events SET pending_effect = 0 WHERE id IN (SELECT value FROM json_each(?1))",
        ids
    )
    .execute(&mut *conn)
    .await?;
    effects.pending_left = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM events WHERE connection_id = ?1 AND pending_effect = 1)
           AS "left!: bool""#,
        connection_id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(effects)
}

impl Store {
    /// Applies the queue's side of up to `limit` events flagged
    /// `pending_effect`, in id order, in one transaction that also clears
    /// their flags (so each event moves the queue exactly once, crash or
    /// not): modify / share on a file or folder → queued at
    /// [`priority::EVENT`] with the event as reason; delete → taken out of
    /// the queue and, for a file, marked removed with a `removed` entry in
    /// its history.
    pub async fn apply_event_effects(
        &self,
        connection_id: &str,
        limit: usize,
        now: Millis,
    ) -> StoreResult<EventEffects> {
        self.write(
            (connection_id.to_owned(), limit, now),
            |(connection_id, limit, now), conn| {
                Box::pin(apply_event_effects_in(conn, connection_id, *limit, *now))
            },
        )
        .await
    }
}
