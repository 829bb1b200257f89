//! What an event means for the scan (BOX-FACTS "Events"): content changed,
//! sharing or access changed, only read, deleted, or something else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The content changed: the file moves to the front of the queue.
    Modify,
    /// Sharing or access changed: to the front too.
    Share,
    /// Only read: the file keeps its place in the regular scan.
    Read,
    /// Deleted: out of the queue.
    Delete,
    /// Anything else (logins, admin actions, types Box adds later).
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Modify,
        EventKind::Share,
        EventKind::Read,
        EventKind::Delete,
        EventKind::Other,
    ];

    /// The `kind` column's value.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Modify => "modify",
            EventKind::Share => "share",
            EventKind::Read => "read",
            EventKind::Delete => "delete",
            EventKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether an event of this kind changes the queue (reprioritise or remove).
    pub fn moves_the_queue(self) -> bool {
        matches!(
            self,
            EventKind::Modify | EventKind::Share | EventKind::Delete
        )
    }
}

/// Content changed (reprioritise the file).
const MODIFY: &[&str] = &[
    "UPLOAD",
    "EDIT",
    "COPY",
    "MOVE",
    "RENAME",
    "UNDELETE",
    "FILE_VERSION_RESTORE",
    "ITEM_MODIFY",
    "METADATA_INSTANCE_CREATE",
    "METADATA_INSTANCE_UPDATE",
    "METADATA_INSTANCE_DELETE",
    "LOCK",
    "UNLOCK",
];

/// Sharing or access changed (reprioritise).
const SHARE: &[&str] = &[
    "SHARE",
    "UNSHARE",
    "ITEM_SHARED_UPDATE",
    "SHARE_EXPIRATION",
    "UPDATE_SHARE_EXPIRATION",
    "SHARED_LINK_SEND",
    "COLLABORATION_INVITE",
    "COLLABORATION_ACCEPT",
    "COLLABORATION_REMOVE",
    "COLLABORATION_ROLE_CHANGE",
    "COLLABORATION_EXPIRATION",
    "CHANGE_FOLDER_PERMISSION",
    "ITEM_EMAIL_SEND",
    "GROUP_ADD_ITEM",
];

/// Only read (no reprioritisation). Box has no print event; exports are downloads.
const READ: &[&str] = &[
    "PREVIEW",
    "DOWNLOAD",
    "ITEM_OPEN",
    "FILE_WATERMARKED_DOWNLOAD",
    "CONTENT_ACCESS",
    "ITEM_SYNC",
];

const DELETE: &[&str] = &["DELETE"];

/// The kind of a Box event type, case-insensitively; a type Box adds later
/// (its list is "not exhaustive") is `Other`, never an error.
pub fn classify(event_type: &str) -> EventKind {
    let t = event_type.trim();
    let is = |list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(t));
    if is(MODIFY) {
        EventKind::Modify
    } else if is(SHARE) {
        EventKind::Share
    } else if is(READ) {
        EventKind::Read
    } else if is(DELETE) {
        EventKind::Delete
    } else {
        EventKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_has_its_kind() {
        for (list, kind) in [
            (MODIFY, EventKind::Modify),
            (SHARE, EventKind::Share),
            (READ, EventKind::Read),
            (DELETE, EventKind::Delete),
        ] {
            for t in list {
                assert_eq!(classify(t), kind, "{t}");
            }
        }
        // The lists as BOX-FACTS gives them, counted, so none goes missing.
        assert_eq!(
            (MODIFY.len(), SHARE.len(), READ.len(), DELETE.len()),
            (13, 14, 6, 1)
        );
    }

    #[test]
    fn case_and_spaces_do_not_matter_and_unknown_types_are_other() {
        assert_eq!(classify("edit"), EventKind::Modify);
        assert_eq!(classify(" Collaboration_Invite "), EventKind::Share);
        assert_eq!(classify("preview"), EventKind::Read);
        assert_eq!(classify("Delete"), EventKind::Delete);
        for t in ["LOGIN", "ADMIN_LOGIN", "SOMETHING_BOX_ADDS_NEXT_YEAR", ""] {
            assert_eq!(classify(t), EventKind::Other, "{t}");
        }
    }

    #[test]
    fn only_modify_share_and_delete_move_the_queue() {
        let moving: Vec<_> = EventKind::ALL
            .into_iter()
            .filter(|k| k.moves_the_queue())
            .collect();
        assert_eq!(
            moving,
            [EventKind::Modify, EventKind::Share, EventKind::Delete]
        );
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
