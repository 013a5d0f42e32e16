//! Platform: the audit log. Administrators' actions are written in the transaction of
//! the change they record, and listed newest first on the Settings page, with the
//! security events of the portal's members (log-ins, failures, lock-outs, resets).
//! May depend on: `components`, `error`.

#[cfg(feature = "ssr")]
mod server;
pub mod ui;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use server::{list, record, security_event};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: crate::domain::time::Moment,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Audit entries shown per page.
pub const AUDIT_PAGE: i64 = 100;
