//! The outbox: every email and SMS is a row written in the same transaction as
//! the change that caused it, then delivered by a worker with retries. With no SMTP
//! server configured, the development Outbox page shows what would have been sent.
//! Platform layer. May depend on: `server`, `live`, `components`, `domain`, `error`.

pub mod api;
#[cfg(feature = "ssr")]
pub mod letter;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod preview;
#[cfg(feature = "ssr")]
pub mod quota;
#[cfg(feature = "ssr")]
pub mod sms;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod worker;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// An e-mail's HTML part exists (shown from `/dev/outbox/{id}/html`).
    pub has_html: bool,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
}
