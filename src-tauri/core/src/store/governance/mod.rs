//! Governance's rows: the audit log (written before each request is sent and
//! after Box answers, so an interruption leaves a row to resume from), bulk
//! batches, quarantined items, policies and alerts. JSON columns hold what
//! the `govern` module serializes; no link URL and no secret goes in.

//! One file per table (`audit`, `batches`, `quarantine`, `policies` with
//! their alerts), and `items` for the scan's rows as governance reads them.

mod audit;
mod batches;
mod items;
mod policies;
mod quarantine;

pub use audit::{AuditClaim, AuditLease, AuditQuery, AuditRecord, AuditUpdate, NewAudit};
pub use batches::{BatchCounts, BatchRecord};
pub use items::StoredItem;
pub use policies::{AlertRecord, PolicyRecord};
pub use quarantine::QuarantineRecord;
