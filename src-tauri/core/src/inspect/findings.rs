//! What a finding is and how severe: the rules, with no I/O. `exposure`
//! says who can reach a file; this module turns that and the content's
//! detector counts into the findings the store reconciles.
//!
//! Severity (also in the README):
//! - a public (open) link that allows editing is critical; any other open
//!   link is high; a company link is medium when it allows editing, else low;
//!   a password on the link lowers it one step;
//! - an external collaborator is high when the role can change content
//!   (editor, co-owner, uploader …), medium when it can only view;
//! - a file owned outside the enterprise is low (the admin cannot govern it);
//! - content: a private key, or an AWS key with its secret nearby, is high;
//!   an AWS key alone, a card, SSN or IBAN is high with a keyword nearby and
//!   medium without; an email or phone number is low. Content in a file
//!   that leaves the enterprise (an open link or an external collaborator,
//!   its own or a parent folder's) is one step higher.

use serde::{Deserialize, Serialize};

use super::detect::{Confidence, DetectorId};
use crate::ipc::findings::{FindingKind, Severity};

// How the rules move a severity (a password lowers it, leaving the enterprise raises it).
impl Severity {
    fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    fn lowered(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium | Severity::Low => Severity::Low,
        }
    }
}

impl FindingKind {
    /// Whether this exposure takes the file outside the enterprise.
    pub fn leaves_enterprise(self) -> bool {
        matches!(
            self,
            FindingKind::PublicLink | FindingKind::ExternalCollaborator
        )
    }
}

/// A finding as the rules say it should stand now; the store opens,
/// updates or closes rows to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredFinding {
    pub kind: FindingKind,
    /// The detector id for content, "" for exposure.
    pub detector: String,
    /// Which link, folder or collaboration: one open finding per key.
    pub via_key: String,
    pub severity: Severity,
    pub confidence: Option<Confidence>,
    pub count: i64,
    pub masked_sample: Option<String>,
    pub reached_via: String,
    pub via_item_type: Option<String>,
    pub via_item_id: Option<String>,
    /// Particulars as JSON (access, permissions, expiry, role …).
    pub details: Option<String>,
    pub since: Option<i64>,
}

/// When a detector's matches count as a finding (settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorPolicy {
    pub min_count: u64,
    pub min_confidence: Confidence,
}

impl Default for DetectorPolicy {
    fn default() -> Self {
        DetectorPolicy {
            min_count: 1,
            min_confidence: Confidence::Low,
        }
    }
}

impl DetectorPolicy {
    /// A detector's rule when the admin set none. Every match counts, but
    /// for SSNs: any nine digits can read as one, so only those with a
    /// keyword nearby count (as Microsoft Purview's default SSN policy).
    pub fn default_for(detector: &str) -> Self {
        match detector {
            "us_ssn" => DetectorPolicy {
                min_confidence: Confidence::High,
                ..DetectorPolicy::default()
            },
            _ => DetectorPolicy::default(),
        }
    }
}

/// The settings the rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingPolicy {
    /// Login domains inside the enterprise (its users' domains and any the
    /// admin added); everything else is external.
    pub internal_domains: std::collections::BTreeSet<String>,
    /// Per detector; missing ones take the default.
    pub detectors: std::collections::BTreeMap<String, DetectorPolicy>,
}

impl FindingPolicy {
    pub fn detector(&self, id: &str) -> DetectorPolicy {
        self.detectors
            .get(id)
            .copied()
            .unwrap_or_else(|| DetectorPolicy::default_for(id))
    }

    /// Whether `login` is outside the enterprise. A login without a domain
    /// (a group, an app user) is not called external.
    pub fn is_external(&self, login: &str) -> bool {
        match login.rsplit_once('@') {
            Some((_, domain)) => !self.internal_domains.contains(&domain.to_ascii_lowercase()),
            None => false,
        }
    }
}

/// What one content holds for one detector, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentMatch {
    pub detector: String,
    pub high: u64,
    pub low: u64,
    pub sample_high: Option<String>,
    pub sample_low: Option<String>,
    pub secret_nearby: bool,
}

/// The content findings of a file: one per detector that passes its policy.
pub fn content_findings(
    matches: &[ContentMatch],
    policy: &FindingPolicy,
    leaves_enterprise: bool,
) -> Vec<DesiredFinding> {
    let mut out = Vec::new();
    for m in matches {
        let rule = policy.detector(&m.detector);
        let count = match rule.min_confidence {
            Confidence::High => m.high,
            Confidence::Low => m.high + m.low,
        };
        if count == 0 || count < rule.min_count.max(1) {
            continue;
        }
        let confidence = if m.high > 0 {
            Confidence::High
        } else {
            Confidence::Low
        };
        let sample = if m.high > 0 {
            m.sample_high.clone()
        } else {
            m.sample_low.clone()
        };
        let mut severity = content_severity(&m.detector, confidence, m.secret_nearby);
        if leaves_enterprise {
            severity = severity.raised();
        }
        let label: &str = match DetectorId::parse(&m.detector) {
            Some(id) => id.label(),
            None => &m.detector,
        };
        let details = serde_json::json!({
            "high": m.high,
            "low": m.low,
            "secret_nearby": m.secret_nearby,
        });
        out.push(DesiredFinding {
            kind: FindingKind::SensitiveContent,
            detector: m.detector.clone(),
            via_key: "content".into(),
            severity,
            confidence: Some(confidence),
            count: count as i64,
            masked_sample: sample,
            reached_via: format!(
                "{label}: {count} in the file's content ({} of high confidence)",
                m.high
            ),
            via_item_type: Some("file".into()),
            via_item_id: None,
            details: Some(details.to_string()),
            since: None,
        });
    }
    out
}

fn content_severity(detector: &str, confidence: Confidence, secret_nearby: bool) -> Severity {
    match DetectorId::parse(detector) {
        Some(DetectorId::PrivateKey) => Severity::High,
        Some(DetectorId::AwsAccessKey) if secret_nearby => Severity::High,
        Some(
            DetectorId::AwsAccessKey
            | DetectorId::CreditCard
            | DetectorId::UsSsn
            | DetectorId::Iban,
        ) => match confidence {
            Confidence::High => Severity::High,
            Confidence::Low => Severity::Medium,
        },
        Some(DetectorId::Email | DetectorId::Phone) | None => Severity::Low,
    }
}

/// A shared link as the rules need it, read from Box's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkFacts {
    /// open | company | collaborators (the effective one when Box gives it).
    pub access: String,
    pub can_download: bool,
    pub can_edit: bool,
    pub password: bool,
    pub unshared_at: Option<String>,
    pub url: Option<String>,
}

impl LinkFacts {
    /// `None` for a missing or unreadable link.
    pub fn from_json(json: &str) -> Option<LinkFacts> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let access = v
            .get("effective_access")
            .and_then(|a| a.as_str())
            .or_else(|| v.get("access").and_then(|a| a.as_str()))?
            .to_owned();
        let permission = |name: &str| {
            v.get("permissions")
                .and_then(|p| p.get(name))
                .and_then(|b| b.as_bool())
                .unwrap_or(false)
        };
        Some(LinkFacts {
            access,
            can_download: permission("can_download"),
            can_edit: permission("can_edit"),
            password: v
                .get("is_password_enabled")
                .and_then(|b| b.as_bool())
                .unwrap_or(false),
            unshared_at: v
                .get("unshared_at")
                .and_then(|s| s.as_str())
                .map(str::to_owned),
            url: v.get("url").and_then(|s| s.as_str()).map(str::to_owned),
        })
    }

    pub fn severity(&self) -> Option<(FindingKind, Severity)> {
        let (kind, base) = match self.access.as_str() {
            "open" if self.can_edit => (FindingKind::PublicLink, Severity::Critical),
            "open" => (FindingKind::PublicLink, Severity::High),
            "company" if self.can_edit => (FindingKind::CompanyLink, Severity::Medium),
            "company" => (FindingKind::CompanyLink, Severity::Low),
            // A collaborators-only link reaches no one the collaborations don't.
            _ => return None,
        };
        Some((kind, if self.password { base.lowered() } else { base }))
    }

    pub fn details(&self) -> String {
        serde_json::json!({
            "access": self.access,
            "can_download": self.can_download,
            "can_edit": self.can_edit,
            "password": self.password,
            "unshared_at": self.unshared_at,
        })
        .to_string()
    }

    /// "open link (download, edit; password; expires …)".
    pub fn describe(&self) -> String {
        let mut traits = vec![if self.can_download {
            "can download"
        } else {
            "preview only"
        }];
        if self.can_edit {
            traits.push("can edit");
        }
        if self.password {
            traits.push("password set");
        }
        let mut words = format!("{} link ({})", self.access, traits.join(", "));
        if let Some(at) = &self.unshared_at {
            words.push_str(&format!(", expires {at}"));
        }
        words
    }
}

/// Whether a collaboration role can change content.
pub fn role_can_change(role: &str) -> bool {
    !matches!(role, "viewer" | "previewer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(access: &str, edit: bool, password: bool) -> LinkFacts {
        LinkFacts {
            access: access.into(),
            can_download: true,
            can_edit: edit,
            password,
            ..LinkFacts::default()
        }
    }

    #[test]
    fn an_open_link_that_allows_editing_is_the_most_severe() {
        let all = [
            link("open", true, false),
            link("open", false, false),
            link("company", true, false),
            link("company", false, false),
        ];
        let severities: Vec<_> = all.iter().map(|l| l.severity().unwrap().1).collect();
        assert_eq!(
            severities,
            [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low
            ]
        );
        assert_eq!(
            link("open", true, true).severity(),
            Some((FindingKind::PublicLink, Severity::High)),
            "a password lowers it one step"
        );
        assert_eq!(link("collaborators", true, false).severity(), None);
    }

    #[test]
    fn effective_access_wins_over_the_asked_for_access() {
        let l = LinkFacts::from_json(
            r#"{"access":"open","effective_access":"company","permissions":{"can_download":true,"can_edit":false}}"#,
        )
        .unwrap();
        assert_eq!(l.access, "company");
        assert!(l.can_download && !l.can_edit);
        assert_eq!(LinkFacts::from_json("null"), None);
    }

    #[test]
    fn content_policy_counts_and_raises_severity_when_the_file_leaves_the_enterprise() {
        let card = ContentMatch {
            detector: "credit_card".into(),
            high: 1,
            low: 2,
            sample_high: Some("************1111".into()),
            sample_low: Some("************4242".into()),
            secret_nearby: false,
        };
        let mut policy = FindingPolicy::default();
        let found = content_findings(std::slice::from_ref(&card), &policy, false);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].count, found[0].severity), (3, Severity::High));
        assert_eq!(found[0].masked_sample.as_deref(), Some("************1111"));
        let exposed = content_findings(std::slice::from_ref(&card), &policy, true);
        assert_eq!(exposed[0].severity, Severity::Critical);

        policy.detectors.insert(
            "credit_card".into(),
            DetectorPolicy {
                min_count: 2,
                min_confidence: Confidence::High,
            },
        );
        assert!(content_findings(std::slice::from_ref(&card), &policy, false).is_empty());
    }

    #[test]
    fn external_means_a_domain_outside_the_enterprise() {
        let policy = FindingPolicy {
            internal_domains: ["acme.com".to_string()].into(),
            ..FindingPolicy::default()
        };
        assert!(!policy.is_external("ann@ACME.com"));
        assert!(policy.is_external("bob@partner.io"));
        assert!(!policy.is_external("group-without-login"));
    }

    #[test]
    fn an_ssn_with_no_keyword_nearby_counts_only_when_the_admin_says_so() {
        let ssn = ContentMatch {
            detector: "us_ssn".into(),
            high: 0,
            low: 2,
            sample_high: None,
            sample_low: Some("***-**-6789".into()),
            secret_nearby: false,
        };
        let mut policy = FindingPolicy::default();
        assert!(content_findings(std::slice::from_ref(&ssn), &policy, false).is_empty());
        policy.detectors.insert(
            "us_ssn".into(),
            DetectorPolicy {
                min_confidence: Confidence::Low,
                ..DetectorPolicy::default()
            },
        );
        assert_eq!(
            content_findings(std::slice::from_ref(&ssn), &policy, false).len(),
            1
        );
        // Other detectors count every match unless told otherwise.
        let email = ContentMatch {
            detector: "email".into(),
            ..ssn
        };
        assert_eq!(
            content_findings(
                std::slice::from_ref(&email),
                &FindingPolicy::default(),
                false
            )
            .len(),
            1
        );
    }
}
