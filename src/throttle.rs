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
    let keys = Keys::of(keys);
    let answer = sqlx::query!(
        "SELECT event_ids, retry_after FROM throttle_take($1, $2, $3, $4, $5)",
        &keys.buckets,
        &keys.names,
        &keys.maxes,
        &keys.windows,
        now
    )
    .fetch_one(pool)
    .await?;
    taken(answer.event_ids, answer.retry_after)
}

/// `throttle_take`'s arguments, for a hot path that folds the take into a query of its
/// own (the log-in reads the account in the same round trip).
pub struct Keys {
    pub buckets: Vec<String>,
    pub names: Vec<String>,
    pub maxes: Vec<i64>,
    pub windows: Vec<i64>,
}

impl Keys {
    pub fn of(keys: &[(Limit, &str)]) -> Keys {
        Keys {
            buckets: keys.iter().map(|(limit, _)| limit.bucket.to_string()).collect(),
            names: keys.iter().map(|(_, key)| key.to_string()).collect(),
            maxes: keys.iter().map(|(limit, _)| limit.max).collect(),
            windows: keys.iter().map(|(limit, _)| limit.window.num_seconds()).collect(),
        }
    }
}

/// Reads `throttle_take`'s answer: the events taken, or the refusal with its wait.
pub fn taken(event_ids: Option<Vec<i64>>, retry_after: Option<i32>) -> Result<Taken, AppError> {
    match (event_ids, retry_after) {
        (_, Some(wait)) => Err(AppError::TooManyAttempts { retry_after: u32::try_from(wait.max(1)).unwrap_or(1) }),
        (ids, None) => Ok(Taken { ids: ids.unwrap_or_default() }),
    }
}

impl Taken {
    /// The recorded events, for a hot path that forgives them inside a query of its own
    /// (see [`forgive`] for what forgiving deletes).
    pub fn into_ids(self) -> Vec<i64> {
        self.ids
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
