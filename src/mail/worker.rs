//! Delivers the outbox. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several app
//! instances can run workers on one database without sending a message twice. A failed
//! attempt is retried with exponential backoff; the status and last error stay visible.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, StreamExt};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::PoolConfig;

use super::outbox::{scrub, scrub_html};
use super::sms::SmsGateway;
use crate::domain::{Channel, DeliveryStatus};
use crate::server::config::Config;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use sqlx::postgres::PgListener;

pub const BATCH_SIZE: i64 = 200;
/// Messages sent at once (the SMTP transport pools its connections).
pub const PARALLEL_SENDS: usize = 16;
pub const MAX_ATTEMPTS: i32 = 20;
const POLL_EVERY: StdDuration = StdDuration::from_secs(2);

/// Where messages go. A channel with nothing configured is delivered to the development
/// Outbox page: the row itself is the delivery.
pub struct Deliverer {
    email: Option<SmtpSender>,
    sms: Option<SmsGateway>,
    /// Channels whose messages leave the outbox; the others stay queued.
    channels: Vec<Channel>,
}

struct SmtpSender {
    transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Deliverer {
    /// The transports the configuration names, and the channels it lets out of the outbox.
    pub fn from_config(config: &Config) -> Result<Deliverer, String> {
        let channels = Channel::ALL.iter().copied().filter(|c| config.delivers(*c)).collect();
        let sms = config.sms.clone().map(SmsGateway::new).transpose()?;
        let Some(url) = config.smtp_url.as_deref() else { return Ok(Deliverer { email: None, sms, channels }) };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL is not usable: {e}"))?
            .timeout(Some(StdDuration::from_secs(10)))
            .pool_config(PoolConfig::new().max_size(PARALLEL_SENDS as u32))
            .build();
        let from = config.mail_from.parse::<Mailbox>().map_err(|e| format!("MAIL_FROM is not an address: {e}"))?;
        Ok(Deliverer { email: Some(SmtpSender { transport: Box::new(transport), from }), sms, channels })
    }

    /// Sends one message. `Ok(true)`: it left the server; `Ok(false)`: the dev Outbox
    /// page is its delivery, so the stored body is all there is to read. An e-mail with
    /// an HTML part goes out as multipart/alternative, the plain text first (mail
    /// programs show the last part they can display).
    async fn send(&self, channel: Channel, recipient: &str, subject: &str, body: &str, html: Option<&str>) -> Result<bool, String> {
        match (channel, &self.email, &self.sms) {
            (Channel::Email, Some(SmtpSender { transport, from }), _) => {
                let to = recipient.parse::<Mailbox>().map_err(|e| format!("bad recipient: {e}"))?;
                let builder = Message::builder().from(from.clone()).to(to).subject(subject);
                let message = match html {
                    Some(html) => builder.multipart(MultiPart::alternative_plain_html(body.to_string(), html.to_string())),
                    None => builder.header(ContentType::TEXT_PLAIN).body(body.to_string()),
                }
                .map_err(|e| format!("could not build the message: {e}"))?;
                transport.send(message).await.map(|_| true).map_err(|e| e.to_string())
            }
            (Channel::Sms, _, Some(gateway)) => gateway.send(recipient, body).await.map(|()| true),
            // Only picked when the dev Outbox is on: its page shows the message.
            (Channel::Email | Channel::Sms, _, _) => Ok(false),
        }
    }
}

/// Wait before attempt number `attempts + 1`: 2^attempts seconds, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(2_i64.saturating_pow(attempts.clamp(0, 12) as u32).min(3600))
}

/// Delivers the messages that are due at `now`. Returns how many were attempted.
/// Up to [`PARALLEL_SENDS`] messages are in flight at once over the transport's pooled
/// connections; the batch's rows stay locked until their outcome is written.
pub async fn deliver_due(pool: &PgPool, deliverer: &Deliverer, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        r#"SELECT id, channel AS "channel: Channel", recipient, subject, body, html, secrets, attempts FROM outbox
         WHERE status = 'queued' AND next_attempt_at <= $1 AND channel = ANY($3)
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"#,
        now,
        BATCH_SIZE,
        &deliverer.channels as &[Channel],
    )
    .fetch_all(&mut *tx)
    .await?;
    let count = due.len();
    type Kept = (String, Option<String>);
    let outcomes: Vec<(i64, i32, Result<Option<Kept>, String>)> = stream::iter(due)
        .map(|m| async move {
            let outcome = deliverer.send(m.channel, &m.recipient, &m.subject, &m.body, m.html.as_deref()).await;
            // Once the message has left, the stored copy loses its secrets.
            let kept =
                outcome.map(|left| left.then(|| (scrub(&m.body, &m.secrets), m.html.as_deref().map(|html| scrub_html(html, &m.secrets)))));
            (m.id, m.attempts + 1, kept)
        })
        .buffer_unordered(PARALLEL_SENDS)
        .collect()
        .await;
    let mut sent_ids = Vec::new();
    let mut sent_attempts = Vec::new();
    let mut scrubbed_ids = Vec::new();
    let mut scrubbed_bodies = Vec::new();
    let mut scrubbed_htmls: Vec<Option<String>> = Vec::new();
    for (id, attempts, outcome) in outcomes {
        match outcome {
            Ok(scrubbed) => {
                sent_ids.push(id);
                sent_attempts.push(attempts);
                if let Some((body, html)) = scrubbed {
                    scrubbed_ids.push(id);
                    scrubbed_bodies.push(body);
                    scrubbed_htmls.push(html);
                }
            }
            Err(error) => {
                tracing::warn!(id, attempts, %error, "outbox delivery failed");
                let status = if attempts >= MAX_ATTEMPTS { DeliveryStatus::Failed } else { DeliveryStatus::Queued };
                sqlx::query!(
                    "UPDATE outbox SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5 WHERE id = $1",
                    id,
                    status as DeliveryStatus,
                    attempts,
                    error,
                    now + backoff(attempts),
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    sqlx::query!(
        "UPDATE outbox o SET status = 'sent', attempts = x.attempts, sent_at = $3, last_error = NULL
         FROM unnest($1::bigint[], $2::int[]) AS x(id, attempts) WHERE o.id = x.id",
        &sent_ids,
        &sent_attempts,
        now,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE outbox o SET body = x.body, html = x.html, secrets = '{}'
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS x(id, body, html) WHERE o.id = x.id",
        &scrubbed_ids,
        &scrubbed_bodies,
        &scrubbed_htmls as &[Option<String>],
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(count)
}

/// Runs until the process ends: delivers what is due, then sleeps until a NOTIFY says
/// something new was queued or the poll interval passes (for retries).
pub async fn run(pool: PgPool, deliverer: Deliverer) {
    let mut listener = match PgListener::connect_with(&pool).await {
        Ok(mut listener) => match listener.listen("outbox").await {
            Ok(()) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "outbox worker cannot LISTEN; polling only");
                None
            }
        },
        Err(error) => {
            tracing::warn!(%error, "outbox worker cannot LISTEN; polling only");
            None
        }
    };
    loop {
        let attempted = match deliver_due(&pool, &deliverer, Utc::now()).await {
            Ok(count) => count,
            Err(error) => {
                tracing::error!(%error, "outbox worker database error");
                0
            }
        };
        if attempted as i64 == BATCH_SIZE {
            continue;
        }
        match listener.as_mut() {
            Some(listener) => {
                let _ = tokio::time::timeout(POLL_EVERY, listener.recv()).await;
            }
            None => tokio::time::sleep(POLL_EVERY).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(2));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
