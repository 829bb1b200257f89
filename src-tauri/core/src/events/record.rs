//! A Box event as the store keeps it: classified, and mapped to the item it
//! touches (`admin_logs` puts `item_type`, `item_id`, `item_name`, `parent`
//! and `owned_by` in `source`; a user-stream event a full item).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::classify::classify;
use crate::box_api::models::Event;
use crate::store::{EventStream, Millis, NewEvent};

/// Why an entry cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    NoEventId,
    NoEventType,
}

impl Malformed {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Malformed::NoEventId => "it has no event_id",
            Malformed::NoEventType => "it has no event_type",
        }
    }
}

/// Maps one entry delivered by `stream`. `live_from`: an event created since
/// may have happened after the live position was taken, so its effect is
/// kept whichever stream delivers it first; one created before is history. `now` stands in for a missing
/// `created_at` (rare; the event still counts, on the day it arrived).
pub(crate) fn to_new_event(
    event: &Event,
    stream: EventStream,
    live_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<NewEvent, Malformed> {
    let event_id = non_empty(event.event_id.as_deref()).ok_or(Malformed::NoEventId)?;
    let event_type = non_empty(event.event_type.as_deref()).ok_or(Malformed::NoEventType)?;
    let kind = classify(event_type);
    let created_at = event.created_at.unwrap_or_else(|| {
        tracing::warn!(
            event_id,
            "event without created_at: stamped with its arrival"
        );
        now
    });
    let source = event.source.as_ref();
    let item_type = event.item_type.as_deref().map(str::to_ascii_lowercase);
    let item_id = event.item_id.clone();
    let on_item = matches!(item_type.as_deref(), Some("file" | "folder")) && item_id.is_some();
    // The live stream may repeat an entry from before its start position:
    // that one is from the past too, whichever stream brought it.
    let may_be_live = match live_from {
        Some(from) => created_at >= from,
        None => stream == EventStream::AdminLogsStreaming,
    };
    Ok(NewEvent {
        event_id: event_id.to_owned(),
        event_type: event_type.to_owned(),
        kind: kind.as_str(),
        created_at: Millis::from(created_at),
        item_name: source.and_then(|s| text(s.get("item_name").or_else(|| s.get("name")))),
        parent_id: source.and_then(|s| text(s.get("parent").and_then(|p| p.get("id")))),
        owner_id: source.and_then(|s| text(s.get("owned_by").and_then(|o| o.get("id")))),
        actor_id: event.created_by.as_ref().map(|u| u.id.clone()),
        actor_login: event.created_by.as_ref().and_then(|u| u.login.clone()),
        pending_effect: kind.moves_the_queue() && on_item && may_be_live,
        item_type,
        item_id,
    })
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// A string or a number (Box sends ids both ways), as text.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        serde_json::from_str(json).unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    const EDIT: &str = r#"{"type":"event","event_id":"e1","event_type":"EDIT",
        "created_at":"2026-11-30T09:00:00-08:00",
        "created_by":{"type":"user","id":"11","name":"Ann","login":"ann@example.com"},
        "source":{"item_type":"file","item_id":"123","item_name":"plan.docx",
                  "parent":{"type":"folder","id":"45","name":"Plans"},
                  "owned_by":{"type":"user","id":"12","login":"bob@example.com"}},
        "ip_address":"10.0.0.1"}"#;

    #[test]
    fn an_admin_log_entry_maps_to_its_item_and_actor() {
        let row = to_new_event(&event(EDIT), EventStream::AdminLogsStreaming, None, now()).unwrap();
        assert_eq!(
            row,
            NewEvent {
                event_id: "e1".into(),
                event_type: "EDIT".into(),
                kind: "modify",
                created_at: Millis::from("2026-11-30T17:00:00Z".parse::<DateTime<Utc>>().unwrap()),
                item_type: Some("file".into()),
                item_id: Some("123".into()),
                item_name: Some("plan.docx".into()),
                parent_id: Some("45".into()),
                owner_id: Some("12".into()),
                actor_id: Some("11".into()),
                actor_login: Some("ann@example.com".into()),
                pending_effect: true,
            }
        );
    }

    #[test]
    fn only_live_changes_to_items_wait_for_the_queue() {
        let e = event(EDIT);
        let backfilled = to_new_event(&e, EventStream::AdminLogs, None, now()).unwrap();
        assert!(
            !backfilled.pending_effect,
            "the past must not reorder the scan"
        );
        // Created after the live position was taken: a live event, whoever delivers it.
        let after: DateTime<Utc> = "2026-11-30T16:59:59Z".parse().unwrap();
        let overlap = to_new_event(&e, EventStream::AdminLogs, Some(after), now()).unwrap();
        assert!(overlap.pending_effect);
        // A repeat of an older entry on the live stream is history too.
        let later: DateTime<Utc> = "2026-11-30T17:00:01Z".parse().unwrap();
        let repeat = to_new_event(&e, EventStream::AdminLogsStreaming, Some(later), now()).unwrap();
        assert!(!repeat.pending_effect);
        let read = event(&EDIT.replace("\"EDIT\"", "\"PREVIEW\""));
        let read = to_new_event(&read, EventStream::AdminLogsStreaming, None, now()).unwrap();
        assert_eq!((read.kind, read.pending_effect), ("read", false));
        let login = event(
            r#"{"event_id":"e2","event_type":"LOGIN","created_at":"2026-11-30T09:00:00Z",
                "source":{"type":"user","id":"11","name":"Ann","login":"ann@example.com"}}"#,
        );
        let login = to_new_event(&login, EventStream::AdminLogsStreaming, None, now()).unwrap();
        assert_eq!(login.kind, "other");
        assert_eq!(login.item_type.as_deref(), Some("user"));
        assert!(!login.pending_effect);
        let share_no_item = event(r#"{"event_id":"e3","event_type":"SHARE","source":null}"#);
        let row =
            to_new_event(&share_no_item, EventStream::AdminLogsStreaming, None, now()).unwrap();
        assert!(!row.pending_effect, "no item to act on");
        assert_eq!(
            row.created_at,
            Millis::from(now()),
            "arrival time stands in"
        );
    }

    #[test]
    fn entries_without_id_or_type_are_malformed() {
        for (json, why) in [
            (r#"{"event_type":"EDIT"}"#, Malformed::NoEventId),
            (
                r#"{"event_id":"  ","event_type":"EDIT"}"#,
                Malformed::NoEventId,
            ),
            (r#"{"event_id":"e9"}"#, Malformed::NoEventType),
        ] {
            assert_eq!(
                to_new_event(&event(json), EventStream::AdminLogs, None, now()),
                Err(why),
                "{json}"
            );
        }
    }
}
