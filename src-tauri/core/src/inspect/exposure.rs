//! Who can reach a file, from what the scan stored and nothing more: its
//! own shared link and collaborators, every parent folder's (a folder's
//! link and collaborators reach everything inside it), and its owner.

use super::findings::{role_can_change, DesiredFinding, FindingPolicy, LinkFacts};
use crate::ipc::findings::{FindingKind, Severity};

/// A collaboration as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grant {
    pub collaboration_id: String,
    pub grantee_type: Option<String>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<i64>,
}

/// The file itself or one of its folders, with what reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holder {
    /// "file" or "folder".
    pub item_type: String,
    pub item_id: String,
    pub path: Option<String>,
    /// The shared link's JSON as Box gave it.
    pub shared_link: Option<String>,
    /// When the link was last turned on (the latest SHARE event), if seen.
    pub shared_since: Option<i64>,
    pub grants: Vec<Grant>,
}

/// Everything exposure needs about one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExposureInput {
    pub file: Holder,
    /// Parent folders, nearest first.
    pub ancestors: Vec<Holder>,
    pub externally_owned: bool,
    pub owner_login: Option<String>,
}

/// The exposure findings of a file: one per link and per external
/// collaboration that reaches it, plus one when it is owned outside.
pub fn exposure(input: &ExposureInput, policy: &FindingPolicy) -> Vec<DesiredFinding> {
    let mut out = Vec::new();
    for holder in std::iter::once(&input.file).chain(&input.ancestors) {
        let own = holder.item_type == "file";
        let whose = if own {
            "its own".to_owned()
        } else {
            "the".to_owned()
        };
        let of_folder = if own {
            String::new()
        } else {
            format!(
                " of folder {}",
                holder.path.as_deref().unwrap_or(&holder.item_id)
            )
        };
        if let Some(link) = holder.shared_link.as_deref().and_then(LinkFacts::from_json) {
            if let Some((kind, severity)) = link.severity() {
                out.push(DesiredFinding {
                    kind,
                    detector: String::new(),
                    via_key: format!("link:{}:{}", holder.item_type, holder.item_id),
                    severity,
                    confidence: None,
                    count: 1,
                    masked_sample: None,
                    reached_via: format!("{whose} {}{of_folder}", link.describe()),
                    via_item_type: Some(holder.item_type.clone()),
                    via_item_id: Some(holder.item_id.clone()),
                    details: Some(link.details()),
                    since: holder.shared_since,
                });
            }
        }
        for grant in &holder.grants {
            let Some(login) = grant.login.as_deref() else {
                continue;
            };
            if grant.grantee_type.as_deref() == Some("group") || !policy.is_external(login) {
                continue;
            }
            let role = grant.role.as_deref().unwrap_or("viewer");
            let severity = if role_can_change(role) {
                Severity::High
            } else {
                Severity::Medium
            };
            let pending = grant.status.as_deref() == Some("pending");
            let on = if own {
                "the file".to_owned()
            } else {
                format!(
                    "folder {}",
                    holder.path.as_deref().unwrap_or(&holder.item_id)
                )
            };
            out.push(DesiredFinding {
                kind: FindingKind::ExternalCollaborator,
                detector: String::new(),
                via_key: format!("collab:{}", grant.collaboration_id),
                severity,
                confidence: None,
                count: 1,
                masked_sample: None,
                reached_via: format!(
                    "external collaborator {login} ({role}{}) on {on}",
                    if pending { ", invite pending" } else { "" }
                ),
                via_item_type: Some(holder.item_type.clone()),
                via_item_id: Some(holder.item_id.clone()),
                details: Some(
                    serde_json::json!({
                        "collaboration_id": grant.collaboration_id,
                        "login": login,
                        "name": grant.name,
                        "role": role,
                        "status": grant.status,
                    })
                    .to_string(),
                ),
                since: grant.created_at,
            });
        }
    }
    if input.externally_owned {
        let owner = input
            .owner_login
            .as_deref()
            .unwrap_or("someone outside the enterprise");
        out.push(DesiredFinding {
            kind: FindingKind::ExternallyOwned,
            detector: String::new(),
            via_key: "owner".into(),
            severity: Severity::Low,
            confidence: None,
            count: 1,
            masked_sample: None,
            reached_via: format!("owned outside the enterprise by {owner}"),
            via_item_type: Some("file".into()),
            via_item_id: Some(input.file.item_id.clone()),
            details: None,
            since: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> FindingPolicy {
        FindingPolicy {
            internal_domains: ["acme.com".to_string()].into(),
            ..FindingPolicy::default()
        }
    }

    fn folder(id: &str, link: Option<&str>, grants: Vec<Grant>) -> Holder {
        Holder {
            item_type: "folder".into(),
            item_id: id.into(),
            path: Some(format!("/All Files/{id}")),
            shared_link: link.map(str::to_owned),
            grants,
            ..Holder::default()
        }
    }

    fn grant(id: &str, login: &str, role: &str) -> Grant {
        Grant {
            collaboration_id: id.into(),
            login: Some(login.into()),
            role: Some(role.into()),
            status: Some("accepted".into()),
            grantee_type: Some("user".into()),
            ..Grant::default()
        }
    }

    #[test]
    fn a_file_in_a_folder_with_an_open_link_is_public_though_it_has_no_link() {
        let input = ExposureInput {
            file: Holder {
                item_type: "file".into(),
                item_id: "f1".into(),
                ..Holder::default()
            },
            ancestors: vec![
                folder("inner", None, vec![]),
                folder(
                    "outer",
                    Some(
                        r#"{"access":"open","permissions":{"can_download":true,"can_edit":false}}"#,
                    ),
                    vec![],
                ),
            ],
            ..ExposureInput::default()
        };
        let found = exposure(&input, &policy());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, FindingKind::PublicLink);
        assert_eq!(found[0].severity, Severity::High);
        assert_eq!(found[0].via_item_id.as_deref(), Some("outer"));
        assert!(
            found[0].reached_via.contains("/All Files/outer"),
            "{}",
            found[0].reached_via
        );
    }

    #[test]
    fn only_collaborators_outside_the_enterprise_are_findings() {
        let input = ExposureInput {
            file: Holder {
                item_type: "file".into(),
                item_id: "f1".into(),
                grants: vec![
                    grant("c1", "ann@acme.com", "editor"),
                    grant("c2", "eve@rival.io", "viewer"),
                ],
                ..Holder::default()
            },
            ancestors: vec![folder(
                "top",
                None,
                vec![grant("c3", "mal@rival.io", "editor")],
            )],
            externally_owned: true,
            owner_login: Some("owner@partner.org".into()),
        };
        let found = exposure(&input, &policy());
        let keys: Vec<(&str, Severity)> = found
            .iter()
            .map(|f| (f.via_key.as_str(), f.severity))
            .collect();
        assert_eq!(
            keys,
            [
                ("collab:c2", Severity::Medium),
                ("collab:c3", Severity::High),
                ("owner", Severity::Low)
            ]
        );
    }
}
