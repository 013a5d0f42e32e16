//! Platform: one limiter over one table (`throttle_events`) for everything that must not
//! be tried too often: log-in and password checks, quick registration, mailbox checks.
//! A limit is a bucket, a maximum and a window; each feature names its own limits and
//! keys them by whatever it limits (a login typed, a client address, an account).
//!
//! [`take`] counts and records in one transaction, holding a lock on each key, so
//! requests that arrive at the same moment are counted one after another and the limit
//! holds for parallel requests too. A refusal is `TooManyAttempts` (429) with the wait.
//! May depend on: `error`.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::error::AppError;

/// At most `max` events per key in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub bucket: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// Events recorded by [`take`], to give back with [`forgive`] when the attempt turns
/// out not to count (a right password).
#[must_use]
#[derive(Debug)]
pub struct Taken {
    ids: Vec<i64>,
}

/// Refuses (`TooManyAttempts` with the wait) when any key has reached its limit;
/// otherwise records one event per key. One round trip: `throttle_take` (migration 0008)
/// locks the keys, counts and records in the database.
pub async fn take(pool: &PgPool, keys: &[(Limit, &str)], now: DateTime<Utc>) -> Result<Taken, AppError> {
    let buckets: Vec<String> = keys.iter().map(|(limit, _)| limit.bucket.to_string()).collect();
    let names: Vec<String> = keys.iter().map(|(_, key)| key.to_string()).collect();
    let maxes: Vec<i64> = keys.iter().map(|(limit, _)| limit.max).collect();
    let windows: Vec<i64> = keys.iter().map(|(limit, _)| limit.window.num_seconds()).collect();
    let answer =
        sqlx::query!("SELECT event_ids, retry_after FROM throttle_take($1, $2, $3, $4, $5)", &buckets, &names, &maxes, &windows, now)
            .fetch_one(pool)
            .await?;
    match (answer.event_ids, answer.retry_after) {
        (_, Some(wait)) => Err(AppError::TooManyAttempts { retry_after: u32::try_from(wait.max(1)).unwrap_or(1) }),
        (ids, None) => Ok(Taken { ids: ids.unwrap_or_default() }),
    }
}

/// Gives back the events of an attempt that did not happen after all (the server was too
/// busy to check it).
pub async fn release(pool: &PgPool, taken: Taken) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM throttle_events WHERE id = ANY($1)", &taken.ids).execute(pool).await?;
    Ok(())
}

/// Gives back an attempt and forgets every event of one key with it, in one statement (a
/// right password: the attempt does not count, and the login's failures end).
pub async fn forgive(pool: &PgPool, taken: Taken, limit: Limit, key: &str) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM throttle_events WHERE id = ANY($1) OR (bucket = $2 AND key = $3)", &taken.ids, limit.bucket, key)
        .execute(pool)
        .await?;
    Ok(())
}
