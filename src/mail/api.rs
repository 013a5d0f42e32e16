use leptos::prelude::*;

use super::OutboxMessage;
use crate::error::AppError;

/// The development Outbox: the newest 200 messages the app queued, newest first, or only
/// those to `to` (an address or a phone number, in any case). It exists only with
/// `DEV_OUTBOX=1`, for a browser on the same machine.
#[server(endpoint = "dev_outbox")]
pub async fn dev_outbox(to: Option<String>) -> Result<Vec<OutboxMessage>, AppError> {
    crate::server::call(|crate::server::Call { state, .. }| async move {
        // The router answers 404 to other machines; this keeps the data off without the flag.
        if !state.config.dev_outbox {
            return Err(AppError::NotFound);
        }
        let rows = sqlx::query!(
            r#"SELECT id, channel::text AS "channel!", recipient, subject, body, html IS NOT NULL AS "has_html!", status::text AS "status!", attempts, last_error, created_at
             FROM outbox WHERE $1::text IS NULL OR lower(recipient) = lower($1)
             ORDER BY id DESC LIMIT 200"#,
            to.map(|to| to.trim().to_string()).filter(|to| !to.is_empty())
        )
        .fetch_all(&state.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxMessage {
                id: r.id,
                channel: r.channel,
                recipient: r.recipient,
                subject: r.subject,
                body: r.body,
                has_html: r.has_html,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            })
            .collect())
    })
    .await
}
