//! Daily caps on queued messages, per portal and for the whole instance, by channel
//! (`EMAILS_PER_DAY_PER_PORTAL`, `EMAILS_PER_DAY`, `SMS_PER_DAY_PER_PORTAL`,
//! `SMS_PER_DAY`). They apply to messages whose recipient someone typed: invitations,
//! registrations, login changes, password resets. Spent inside the transaction that
//! queues the messages, so a refused or failed change gives its share back. One refusal
//! keeps its share: an administrator's registration of an address that already has an
//! account, since that answer tells something about the address (invitations::register).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::Channel;
use crate::error::AppError;
use crate::server::config::Config;

/// Counts `count` messages of `channel` against today's caps of the portal (if any) and
/// of the instance. Refuses the whole batch, with a message saying whose cap it is,
/// when it would pass either one.
pub async fn spend(
    tx: &mut PgConnection,
    config: &Config,
    channel: Channel,
    portal_id: Option<i64>,
    count: usize,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if count == 0 {
        return Ok(());
    }
    let caps = config.daily_caps(channel);
    let what = match channel {
        Channel::Email => "e-mails",
        Channel::Sms => "SMS",
    };
    if let Some(portal_id) = portal_id
        && !take(tx, &format!("portal:{portal_id}"), channel, count, caps.per_portal, now).await?
    {
        return Err(AppError::Conflict(format!(
            "This Bitrix24 has reached today's limit of {} {what}. Sending resumes tomorrow (the day starts at 00:00 UTC).",
            caps.per_portal
        )));
    }
    if !take(tx, "instance", channel, count, caps.per_instance, now).await? {
        tracing::warn!(?channel, cap = caps.per_instance, "the instance-wide daily message cap is reached");
        return Err(AppError::Conflict(format!(
            "This server has reached today's limit of {what}. Sending resumes tomorrow (the day starts at 00:00 UTC)."
        )));
    }
    Ok(())
}

/// Adds `count` to the scope's counter for today unless that would pass `cap`; answers
/// whether it did. The row lock of `ON CONFLICT DO UPDATE` makes parallel takers queue.
async fn take(tx: &mut PgConnection, scope: &str, channel: Channel, count: usize, cap: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    if i64::from(count) > cap {
        return Ok(false);
    }
    let taken = sqlx::query_scalar!(
        "INSERT INTO message_quota (scope, channel, day, used) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, channel, day) DO UPDATE SET used = message_quota.used + EXCLUDED.used
         WHERE message_quota.used::bigint + EXCLUDED.used <= $5
         RETURNING used",
        scope,
        channel as Channel,
        now.date_naive(),
        count,
        cap
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(taken.is_some())
}
