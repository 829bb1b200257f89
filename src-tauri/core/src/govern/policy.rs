//! Policies: rules over findings. A rule raises an alert once per finding it
//! matches; only a rule the admin set to act does anything in Box. This
//! module matches and maps a finding to the action that fixes it; the
//! App's policy flow stores alerts and runs actions.

use crate::ipc::findings::{FindingKind, Severity};
use crate::ipc::govern::{ActionKind, ActionRequest, ItemType, PolicyMatch};
use crate::store::{FindingQuery, FindingRecord, Store, StoreResult};

/// The part of a rule the store's query can filter on; the rest is checked
/// by [`matches`].
pub fn query_of(m: &PolicyMatch) -> FindingQuery {
    FindingQuery {
        severity: None,
        kind: (m.kinds.len() == 1).then(|| m.kinds[0].as_str().to_owned()),
        detector: (m.detectors.len() == 1).then(|| m.detectors[0].clone()),
        owner_login: m.owner_login.clone().filter(|o| !o.is_empty()),
        file_has_detector: m.file_has_detector.clone().filter(|d| !d.is_empty()),
        include_closed: false,
    }
}

/// Whether an open finding meets every condition of the rule.
pub fn matches(m: &PolicyMatch, f: &FindingRecord) -> bool {
    if f.closed_at.is_some() {
        return false;
    }
    let kind = FindingKind::parse(&f.kind);
    if !m.kinds.is_empty() && !kind.is_some_and(|k| m.kinds.contains(&k)) {
        return false;
    }
    if !m.detectors.is_empty() && !m.detectors.contains(&f.detector) {
        return false;
    }
    if let Some(min) = m.min_severity {
        if Severity::parse(&f.severity).is_none_or(|s| s.rank() < min.rank()) {
            return false;
        }
    }
    if m.min_confidence.as_deref() == Some("high") && f.confidence.as_deref() != Some("high") {
        return false;
    }
    if let Some(owner) = m.owner_login.as_deref().filter(|o| !o.is_empty()) {
        if f.owner_login.as_deref() != Some(owner) {
            return false;
        }
    }
    if let Some(prefix) = m.path_prefix.as_deref().filter(|p| !p.is_empty()) {
        if !f.path.as_deref().is_some_and(|p| under(p, prefix)) {
            return false;
        }
    }
    true
}

/// Whether `path` is `prefix` or inside it, by whole path segments:
/// `All Files/Finance` holds `All Files/Finance/Q3.xlsx`, not
/// `All Files/Finance-Public/Q3.xlsx`.
fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.is_empty() || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Open findings after `after` (by id) that the rule matches, up to `limit`,
/// and the last finding id looked at.
pub async fn matching_after(
    store: &Store,
    connection_id: &str,
    m: &PolicyMatch,
    after: i64,
    limit: usize,
) -> StoreResult<(Vec<FindingRecord>, i64)> {
    const PAGE: u32 = 1000;
    let q = query_of(m);
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let page = store
            .findings_after(connection_id, &q, cursor, PAGE)
            .await?;
        let Some(last) = page.last() else {
            break;
        };
        let last_id = last.finding_id;
        let full = page.len() == PAGE as usize;
        for f in page {
            cursor = f.finding_id;
            if matches(m, &f) {
                out.push(f);
                if out.len() >= limit {
                    return Ok((out, cursor));
                }
            }
        }
        cursor = last_id;
        if !full {
            break;
        }
    }
    Ok((out, cursor))
}

/// The action `kind` that fixes finding `f`, on the item that causes it
/// (the folder whose link reaches the file, the item the collaborator is
/// on). `None` when that action does not fix this kind of finding.
pub fn action_for(kind: ActionKind, f: &FindingRecord) -> Option<ActionRequest> {
    let finding = FindingKind::parse(&f.kind)?;
    let via = || {
        let t = f.via_item_type.as_deref().and_then(ItemType::parse)?;
        Some((t, f.via_item_id.clone()?))
    };
    let (item_type, item_id) = match (kind, finding) {
        (
            ActionKind::RemoveLink | ActionKind::RestrictLink,
            FindingKind::PublicLink | FindingKind::CompanyLink,
        ) => via()?,
        (
            ActionKind::RemoveCollaborator | ActionKind::RemoveExternal,
            FindingKind::ExternalCollaborator,
        ) => via()?,
        (ActionKind::Quarantine, _) => (ItemType::File, f.file_id.clone()),
        _ => return None,
    };
    let collaboration_id = (kind == ActionKind::RemoveCollaborator)
        .then(|| {
            let details: serde_json::Value = serde_json::from_str(f.details.as_deref()?).ok()?;
            details["collaboration_id"].as_str().map(str::to_owned)
        })
        .flatten();
    if kind == ActionKind::RemoveCollaborator && collaboration_id.is_none() {
        return None;
    }
    Some(ActionRequest {
        kind,
        item_type,
        item_id,
        // A rule or a bulk restriction narrows to company, without download.
        access: (kind == ActionKind::RestrictLink)
            .then_some(crate::ipc::govern::LinkAccess::Company),
        disable_download: kind == ActionKind::RestrictLink,
        expires_at: None,
        collaboration_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Millis;

    fn finding(kind: &str, detector: &str, severity: &str) -> FindingRecord {
        FindingRecord {
            finding_id: 1,
            file_id: "101".into(),
            kind: kind.into(),
            detector: detector.into(),
            severity: severity.into(),
            confidence: Some("high".into()),
            count: 1,
            masked_sample: None,
            reached_via: "its own open link".into(),
            via_item_type: Some("folder".into()),
            via_item_id: Some("55".into()),
            details: Some(r#"{"collaboration_id":"c9","login":"eve@gmail.com"}"#.into()),
            path: Some("All Files/Finance/Q3.xlsx".into()),
            owner_login: Some("ann@acme.com".into()),
            since: None,
            opened_at: Millis::from(chrono::Utc::now()),
            last_seen_at: Millis::from(chrono::Utc::now()),
            closed_at: None,
        }
    }

    #[test]
    fn a_rule_matches_only_when_every_condition_holds() {
        let f = finding("public_link", "link", "high");
        let mut m = PolicyMatch {
            kinds: vec![FindingKind::PublicLink],
            min_severity: Some(Severity::High),
            path_prefix: Some("All Files/Finance".into()),
            ..PolicyMatch::default()
        };
        assert!(matches(&m, &f));
        m.min_severity = Some(Severity::Critical);
        assert!(!matches(&m, &f));
        m.min_severity = None;
        m.path_prefix = Some("All Files/HR".into());
        assert!(!matches(&m, &f));
        m.path_prefix = None;
        m.kinds = vec![FindingKind::ExternalCollaborator];
        assert!(!matches(&m, &f));
        assert!(
            matches(&PolicyMatch::default(), &f),
            "an empty rule matches all"
        );
    }

    #[test]
    fn a_path_prefix_matches_whole_segments_only() {
        let mut f = finding("public_link", "link", "high");
        let rule = |prefix: &str| PolicyMatch {
            path_prefix: Some(prefix.into()),
            ..PolicyMatch::default()
        };
        f.path = Some("All Files/Finance-Public/Q3.xlsx".into());
        assert!(!matches(&rule("All Files/Finance"), &f));
        assert!(matches(&rule("All Files/Finance-Public"), &f));
        f.path = Some("All Files/Finance/Q3.xlsx".into());
        for inside in [
            "All Files/Finance",
            "All Files/Finance/",
            "All Files",
            "All Files/Finance/Q3.xlsx",
        ] {
            assert!(matches(&rule(inside), &f), "{inside}");
        }
        assert!(!matches(&rule("All Files/Fin"), &f));
        assert!(!matches(&rule("All Files/Finance/Q3"), &f));
    }

    #[test]
    fn a_finding_maps_to_the_item_that_causes_it() {
        let link = finding("public_link", "link", "high");
        let r = action_for(ActionKind::RemoveLink, &link).unwrap();
        assert_eq!((r.item_type, r.item_id.as_str()), (ItemType::Folder, "55"));
        assert!(action_for(ActionKind::RemoveExternal, &link).is_none());
        let q = action_for(ActionKind::Quarantine, &link).unwrap();
        assert_eq!((q.item_type, q.item_id.as_str()), (ItemType::File, "101"));
        let collab = finding("external_collaborator", "external", "high");
        let r = action_for(ActionKind::RemoveCollaborator, &collab).unwrap();
        assert_eq!(r.collaboration_id.as_deref(), Some("c9"));
    }
}
