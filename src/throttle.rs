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
use sqlx::{PgConnection, PgPool};

use crate::error::AppError;

/// At most `max` events per key in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub bucket: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// Events older than this serve no limit and are trimmed as new ones arrive.
const KEEP: Duration = Duration::days(1);

/// Events recorded by [`take`], to give back with [`release`] when the attempt turns
/// out not to count (a right password).
#[must_use]
#[derive(Debug)]
pub struct Taken {
    ids: Vec<i64>,
}

/// Refuses when any key has reached its limit; otherwise records one event per key.
pub async fn take(pool: &PgPool, keys: &[(Limit, &str)], now: DateTime<Utc>) -> Result<Taken, AppError> {
    let mut tx = pool.begin().await?;
    // Sorted, so two requests that share keys lock them in the same order.
    let mut names: Vec<String> = keys.iter().map(|(limit, key)| format!("{}:{key}", limit.bucket)).collect();
    names.sort();
    names.dedup();
    for name in &names {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", name).execute(&mut *tx).await?;
    }
    check(&mut tx, keys, now).await?;
    let mut ids = Vec::with_capacity(keys.len());
    for (limit, key) in keys {
        let id =
            sqlx::query_scalar!("INSERT INTO throttle_events (bucket, key, at) VALUES ($1, $2, $3) RETURNING id", limit.bucket, key, now)
                .fetch_one(&mut *tx)
                .await?;
        ids.push(id);
    }
    sqlx::query!("DELETE FROM throttle_events WHERE at < $1", now - KEEP).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Taken { ids })
}

/// Refuses when any key has reached its limit, recording nothing.
pub async fn check(db: &mut PgConnection, keys: &[(Limit, &str)], now: DateTime<Utc>) -> Result<(), AppError> {
    for (limit, key) in keys {
        let recent = sqlx::query!(
            r#"SELECT count(*) AS "count!", min(at) AS oldest FROM throttle_events WHERE bucket = $1 AND key = $2 AND at > $3"#,
            limit.bucket,
            key,
            now - limit.window
        )
        .fetch_one(&mut *db)
        .await?;
        if recent.count >= limit.max {
            // The oldest event in the window leaves it first, and frees a place.
            let free_at = recent.oldest.unwrap_or(now) + limit.window;
            let retry_after = u32::try_from((free_at - now).num_seconds().max(1)).unwrap_or(u32::MAX);
            return Err(AppError::TooManyAttempts { retry_after });
        }
    }
    Ok(())
}

/// Gives back the events of an attempt that does not count.
pub async fn release(pool: &PgPool, taken: Taken) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM throttle_events WHERE id = ANY($1)", &taken.ids).execute(pool).await?;
    Ok(())
}

/// Forgets every event of one key (a successful log-in clears its failures).
pub async fn clear(pool: &PgPool, limit: Limit, key: &str) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM throttle_events WHERE bucket = $1 AND key = $2", limit.bucket, key).execute(pool).await?;
    Ok(())
}
