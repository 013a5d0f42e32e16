//! Delivers the outbox. A worker claims a batch with a lease (`claimed_until`) in one
//! short statement (`FOR UPDATE SKIP LOCKED`, so several instances share one database),
//! sends with no transaction open, then records each outcome, but only for rows it still
//! holds. A worker that dies leaves its claims; when the lease ends another sends those
//! messages again with the same Message-ID, so the receiving server can drop a copy it
//! already has. A failed attempt is retried with exponential backoff; the status and
//! last error stay visible.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, StreamExt};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::PoolConfig;

use super::outbox::{scrub, scrub_html};
use super::sms::SmsGateway;
use crate::domain::{Channel, DeliveryStatus};
use crate::live::server::listen_pool;
use crate::server::config::Config;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

pub const BATCH_SIZE: i64 = 200;
/// Messages sent at once (the SMTP transport pools its connections).
pub const PARALLEL_SENDS: usize = 16;
pub const MAX_ATTEMPTS: i32 = 20;
/// Longest one message may take to send (lettre's own timeout is per SMTP command).
pub const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(30);
const POLL_EVERY: StdDuration = StdDuration::from_secs(2);

/// Where messages go. A channel with nothing configured is delivered to the development
/// Outbox page: the row itself is the delivery.
pub struct Deliverer {
    email: Option<SmtpSender>,
    sms: Option<SmsGateway>,
    /// Channels whose messages leave the outbox; the others stay queued.
    channels: Vec<Channel>,
    /// How long a claimed batch stays this worker's.
    lease: Duration,
    /// The right-hand side of the Message-IDs this instance makes (the sender's domain).
    message_id_domain: String,
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
        let from = config.mail_from.parse::<Mailbox>().map_err(|e| format!("MAIL_FROM is not an address: {e}"))?;
        let lease = Duration::from_std(config.operations.outbox_lease).map_err(|e| format!("OUTBOX_LEASE_SECS: {e}"))?;
        let message_id_domain = from.email.domain().to_string();
        let Some(url) = config.smtp_url.as_deref() else {
            return Ok(Deliverer { email: None, sms, channels, lease, message_id_domain });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL is not usable: {e}"))?
            .timeout(Some(StdDuration::from_secs(10)))
            .pool_config(PoolConfig::new().max_size(PARALLEL_SENDS as u32))
            .build();
        Ok(Deliverer { email: Some(SmtpSender { transport: Box::new(transport), from }), sms, channels, lease, message_id_domain })
    }

    /// Sends one message. `Ok(true)`: it left the server; `Ok(false)`: the dev Outbox
    /// page is its delivery, so the stored body is all there is to read. An e-mail with
    /// an HTML part goes out as multipart/alternative, the plain text first (mail
    /// programs show the last part they can display).
    async fn send(&self, message: &Claimed) -> Result<bool, String> {
        let Claimed { channel, recipient, subject, body, html, message_id, .. } = message;
        match (channel, &self.email, &self.sms) {
            (Channel::Email, Some(SmtpSender { transport, from }), _) => {
                let to = recipient.parse::<Mailbox>().map_err(|e| format!("bad recipient: {e}"))?;
                let builder = Message::builder().from(from.clone()).to(to).subject(subject).message_id(Some(message_id.clone()));
                let message = match html {
                    Some(html) => builder.multipart(MultiPart::alternative_plain_html(body.clone(), html.clone())),
                    None => builder.header(ContentType::TEXT_PLAIN).body(body.clone()),
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

/// A message this worker has claimed.
struct Claimed {
    id: i64,
    channel: Channel,
    recipient: String,
    subject: String,
    body: String,
    html: Option<String>,
    secrets: Vec<String>,
    attempts: i32,
    message_id: String,
}

/// Delivers the messages that are due at `now`. Returns how many were attempted.
/// Up to [`PARALLEL_SENDS`] messages are in flight at once over the transport's pooled
/// connections; no transaction is open while they are. Outcomes are written as sends
/// finish.
pub async fn deliver_due(pool: &PgPool, deliverer: &Deliverer, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let claim = now + deliverer.lease;
    // The claim commits on its own: from here until `claim`, these rows are this worker's.
    let due = sqlx::query_as!(
        Claimed,
        r#"UPDATE outbox o SET claimed_until = $4,
               message_id = COALESCE(o.message_id, '<' || o.id || '.' || substr(md5(random()::text), 1, 16) || '@' || $5 || '>')
           FROM (SELECT id FROM outbox
                 WHERE status = 'queued' AND next_attempt_at <= $1 AND channel = ANY($3)
                   AND (claimed_until IS NULL OR claimed_until <= $1)
                 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) AS due
           WHERE o.id = due.id
           RETURNING o.id, o.channel AS "channel: Channel", o.recipient, o.subject, o.body, o.html, o.secrets, o.attempts,
                     o.message_id AS "message_id!""#,
        now,
        BATCH_SIZE,
        &deliverer.channels as &[Channel],
        claim,
        deliverer.message_id_domain,
    )
    .fetch_all(pool)
    .await?;
    let count = due.len();
    // The claim is measured on the real clock: a message not started before it ends is
    // left to whoever claims it next, so a slow batch cannot send it twice.
    let real_end = Utc::now() + deliverer.lease;
    let mut outcomes = stream::iter(due)
        .map(|m| async move {
            if Utc::now() >= real_end {
                return None;
            }
            let sent = match tokio::time::timeout(SEND_TIMEOUT, deliverer.send(&m)).await {
                Ok(sent) => sent,
                Err(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
            };
            // Once the message has left, the stored copy loses its secrets.
            let sent =
                sent.map(|left| left.then(|| (scrub(&m.body, &m.secrets), m.html.as_deref().map(|html| scrub_html(html, &m.secrets)))));
            Some(Outcome { id: m.id, channel: m.channel, attempts: m.attempts + 1, sent })
        })
        .buffer_unordered(PARALLEL_SENDS)
        .filter_map(std::future::ready)
        // Recorded as they come, a few at a time: a crash loses the record of at most
        // the sends in flight, not of the whole batch.
        .ready_chunks(PARALLEL_SENDS);
    while let Some(done) = outcomes.next().await {
        record_outcomes(pool, done, now, claim).await?;
    }
    Ok(count)
}

/// What became of one claimed message: sent (with the stored parts to keep, when they
/// lost their secrets), or the error of this attempt.
struct Outcome {
    id: i64,
    channel: Channel,
    attempts: i32,
    sent: Result<Option<(String, Option<String>)>, String>,
}

/// Writes what became of each claimed message, in one transaction, for the rows this
/// worker still holds (`claimed_until = claim`): a row whose lease ran out belongs to
/// whoever claimed it since.
async fn record_outcomes(pool: &PgPool, outcomes: Vec<Outcome>, now: DateTime<Utc>, claim: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut sent_ids = Vec::new();
    let mut sent_attempts = Vec::new();
    let mut scrubbed_ids = Vec::new();
    let mut scrubbed_bodies = Vec::new();
    let mut scrubbed_htmls: Vec<Option<String>> = Vec::new();
    for Outcome { id, channel, attempts, sent } in outcomes {
        let channel_label = if channel == Channel::Email { "email" } else { "sms" };
        match sent {
            Ok(scrubbed) => {
                metrics::counter!("outbox_sent_total", "channel" => channel_label).increment(1);
                sent_ids.push(id);
                sent_attempts.push(attempts);
                if let Some((body, html)) = scrubbed {
                    scrubbed_ids.push(id);
                    scrubbed_bodies.push(body);
                    scrubbed_htmls.push(html);
                }
            }
            Err(error) => {
                metrics::counter!("outbox_failed_attempts_total", "channel" => channel_label).increment(1);
                tracing::warn!(id, attempts, %error, "outbox delivery failed");
                let status = if attempts >= MAX_ATTEMPTS { DeliveryStatus::Failed } else { DeliveryStatus::Queued };
                sqlx::query!(
                    "UPDATE outbox SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5, claimed_until = NULL
                     WHERE id = $1 AND claimed_until = $6",
                    id,
                    status as DeliveryStatus,
                    attempts,
                    error,
                    now + backoff(attempts),
                    claim,
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    // Scrubbed first: the sent update below releases the claim the scrub checks.
    sqlx::query!(
        "UPDATE outbox o SET body = x.body, html = x.html, secrets = '{}'
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS x(id, body, html) WHERE o.id = x.id AND o.claimed_until = $4",
        &scrubbed_ids,
        &scrubbed_bodies,
        &scrubbed_htmls as &[Option<String>],
        claim,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE outbox o SET status = 'sent', attempts = x.attempts, sent_at = $3, last_error = NULL, claimed_until = NULL
         FROM unnest($1::bigint[], $2::int[]) AS x(id, attempts) WHERE o.id = x.id AND o.claimed_until = $4",
        &sent_ids,
        &sent_attempts,
        now,
        claim,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Runs until `stop` turns true: delivers what is due, then sleeps until a NOTIFY says
/// something new was queued or the poll interval passes (for retries). A stop lets the
/// batch in hand finish its sends and record them; nothing new is claimed after it.
pub async fn run(pool: PgPool, deliverer: Deliverer, mut stop: watch::Receiver<bool>) {
    let mut listener = match PgListener::connect_with(&listen_pool(&pool)).await {
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
    while !*stop.borrow() {
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
        let woken = async {
            match listener.as_mut() {
                Some(listener) => {
                    let _ = tokio::time::timeout(POLL_EVERY, listener.recv()).await;
                }
                None => tokio::time::sleep(POLL_EVERY).await,
            }
        };
        tokio::select! {
            () = woken => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("outbox worker stopped");
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
