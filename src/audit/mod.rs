//! Platform: the audit log. Administrators' actions are written in the transaction of
//! the change they record, and listed newest first on the Settings page.
//! May depend on: `components`, `error`.

#[cfg(feature = "ssr")]
mod server;
pub mod ui;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use server::{list, record};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Audit entries shown per page.
pub const AUDIT_PAGE: i64 = 100;
