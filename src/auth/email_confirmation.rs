//! Proving that a login address is the account owner's: a single-use link sent to it.
//! A portal sends no invitation until one of its administrators has proven their
//! address (see `access::invite::require_confirmed_sender`), so a sign-up with a stranger's
//! address cannot turn the portal into a relay. Links to the address that are opened
//! anyway (an e-mail invitation, a reset link) prove it too.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::session::SessionAccount;
use crate::crypto::tokens::new_secret;
use crate::domain::{Channel, Email};
use crate::error::AppError;
use crate::mail::outbox::enqueue_email;
use crate::mail::quota;
use crate::server::config::Config;
use crate::throttle::{self, Limit};

/// Days a confirmation link stays valid.
pub const LINK_DAYS: i64 = 7;
/// Confirmation links one account may ask for again per hour.
pub const RESENDS_PER_ACCOUNT: Limit = Limit { bucket: "email-confirm", max: 3, window: Duration::hours(1) };

/// Queues the confirmation link to `login`, in the caller's transaction.
pub async fn send_link(tx: &mut PgConnection, config: &Config, account_id: i64, login: &Email, now: DateTime<Utc>) -> Result<(), AppError> {
    let (token, hash) = new_secret();
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, account_id, purpose, new_login, created_at, expires_at)
         VALUES ($1, $2, 'email_confirm', $3, $4, $5)",
        hash,
        account_id,
        login.as_str(),
        now,
        now + Duration::days(LINK_DAYS),
    )
    .execute(&mut *tx)
    .await?;
    quota::spend(tx, config, Channel::Email, None, 1, now).await?;
    let link = config.link(&format!("/confirm-email?token={token}"));
    let brand = super::letters::account_brand(&mut *tx, account_id).await?;
    let letter = super::letters::ConfirmEmail { brand: &brand, login: login.as_str(), link: &link, days: LINK_DAYS };
    let email = super::letters::confirm_email(&letter)?;
    enqueue_email(&mut *tx, login.as_str(), &email, &[&token]).await?;
    Ok(())
}

/// Opens a confirmation link: answers the confirmed address. The link confirms only the
/// address it was sent to, so a login changed since then is not confirmed by it.
pub async fn confirm(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let link = super::service::use_link(&mut tx, token, "email_confirm", now).await?;
    let address = link.address.ok_or(AppError::LinkExpired)?;
    let confirmed = sqlx::query_scalar!(
        "UPDATE accounts SET email_confirmed_at = coalesce(email_confirmed_at, $3) WHERE id = $1 AND login = $2 RETURNING login",
        link.account_id,
        address,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::LinkExpired)?;
    tx.commit().await?;
    Ok(confirmed)
}

/// Records that the account's login address was proven by a link opened from it.
pub async fn mark_proven(tx: &mut PgConnection, account_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query!("UPDATE accounts SET email_confirmed_at = coalesce(email_confirmed_at, $2) WHERE id = $1", account_id, now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Sends a new link to the logged-in person's address; answers what to tell them.
pub async fn resend(pool: &PgPool, config: &Config, me: &SessionAccount, now: DateTime<Utc>) -> Result<String, AppError> {
    let login =
        Email::parse(&me.login).map_err(|_| AppError::Conflict("Your login is a phone number: there is no address to confirm.".into()))?;
    let confirmed =
        sqlx::query_scalar!("SELECT email_confirmed_at FROM accounts WHERE id = $1", me.account_id).fetch_one(pool).await?.is_some();
    if confirmed {
        return Ok(format!("{} is already confirmed.", login.as_str()));
    }
    let _counted = throttle::take(pool, &[(RESENDS_PER_ACCOUNT, &me.account_id.to_string())], now).await?;
    let mut tx = pool.begin().await?;
    send_link(&mut tx, config, me.account_id, &login, now).await?;
    tx.commit().await?;
    Ok(format!("We sent a new confirmation link to {}.", login.as_str()))
}
