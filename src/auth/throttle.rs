//! Failed log-in throttling, per login text and per client address. Keyed by the text
//! typed, not by account, so an unknown login is throttled exactly like a real one and
//! the lock message tells nothing about which logins exist.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
pub const MAX_FAILURES_PER_LOGIN: i64 = 10;
pub const MAX_FAILURES_PER_CLIENT: i64 = 100;

/// Refuses when either limit is reached; otherwise returns how many recent failures
/// the login has (so a successful log-in only clears what is there).
pub async fn check(pool: &PgPool, login: &str, client: &str, now: DateTime<Utc>) -> Result<i64, AppError> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let counts = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE login = $1) AS "per_login!",
                  count(*) FILTER (WHERE client_addr = $2) AS "per_client!"
           FROM login_failures WHERE at > $3 AND (login = $1 OR client_addr = $2)"#,
        login,
        client,
        since,
    )
    .fetch_one(pool)
    .await?;
    if counts.per_login >= MAX_FAILURES_PER_LOGIN || counts.per_client >= MAX_FAILURES_PER_CLIENT {
        return Err(AppError::TooManyAttempts);
    }
    Ok(counts.per_login)
}

pub async fn record_failure(pool: &PgPool, login: &str, client: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query!("INSERT INTO login_failures (login, client_addr, at) VALUES ($1, $2, $3)", login, client, now).execute(pool).await?;
    // Old rows are no use to the window; trimming here keeps the table small without a
    // separate job.
    sqlx::query!("DELETE FROM login_failures WHERE at < $1", now - Duration::days(1)).execute(pool).await?;
    Ok(())
}

pub async fn clear(pool: &PgPool, login: &str) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM login_failures WHERE login = $1", login).execute(pool).await?;
    Ok(())
}
