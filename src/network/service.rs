use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::auth::password_policy::check_new_password;
use crate::auth::service::{password_accepted, password_not_checked, take_password_attempt, void_unused_tokens};
use crate::auth::session::{self, SessionAccount};
use crate::crypto::passwords::Passwords;
use crate::crypto::tokens::new_secret;
use crate::domain::{Channel, Email};
use crate::error::AppError;
use crate::mail::outbox::enqueue_email;
use crate::mail::quota;
use crate::server::config::Config;
use crate::throttle::{self, Limit};

pub const LOGIN_CHANGE_LINK_LIFETIME: Duration = Duration::hours(24);

/// Re-checks the password of the person already logged in. Failures count toward the
/// same throttle as the log-in form, so this cannot be used to guess passwords.
async fn verify_current_password(
    pool: &PgPool,
    passwords: &Passwords,
    me: &SessionAccount,
    password: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let attempt = take_password_attempt(pool, &me.login, client, now).await?;
    let hash = sqlx::query_scalar!("SELECT password_hash FROM accounts WHERE id = $1", me.account_id).fetch_one(pool).await?;
    let verified = match passwords.verify(password, Some(hash)).await {
        Ok(verified) => verified,
        Err(busy) => {
            password_not_checked(pool, attempt).await?;
            return Err(busy);
        }
    };
    if !verified {
        return Err(AppError::invalid("current_password", "The current password is incorrect."));
    }
    password_accepted(pool, &me.login, attempt).await
}

/// Changes the password and logs out every other session of the account.
pub async fn change_password(
    pool: &PgPool,
    passwords: &Passwords,
    me: &SessionAccount,
    current: &str,
    new: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    check_new_password(new).map_err(|m| AppError::invalid("new_password", m))?;
    if me.must_change_password && new == current {
        return Err(AppError::invalid("new_password", "Choose a password of your own, not the one you were sent."));
    }
    verify_current_password(pool, passwords, me, current, client, now).await?;
    let hash = passwords.hash(new).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!("UPDATE accounts SET password_hash = $2, must_change_password = false WHERE id = $1", me.account_id, hash)
        .execute(&mut *tx)
        .await?;
    void_unused_tokens(&mut tx, me.account_id, now).await?;
    session::end_all_for_account(&mut *tx, me.account_id, Some(&me.token_hash)).await?;
    crate::audit::security_event(&mut *tx, Some(me.account_id), "password changed", "other sessions logged out", now).await?;
    let body = "The password of your Bitrix24 account was changed from your network profile, \
                and your other sessions were logged out.\n\nIf it was not you, reset your password at once.";
    if Email::parse(&me.login).is_ok() {
        enqueue_email(&mut *tx, &me.login, "Your password was changed", body, &[]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Login change requests one account may make per day (each mails a typed address).
pub const LOGIN_CHANGES_PER_ACCOUNT: Limit = Limit { bucket: "login-change", max: 5, window: Duration::days(1) };

/// Starts a login change: a confirmation link to the new address, a notice to the old
/// one. The login changes only when the link is opened. If the new address already
/// belongs to an account, its owner is told so by email instead, and the answer here is
/// the same: this form never reveals which addresses have accounts.
#[allow(clippy::too_many_arguments)] // time and client stay explicit so tests can drive them
pub async fn request_login_change(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    me: &SessionAccount,
    current_password: &str,
    raw_new_login: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Email, AppError> {
    let new_login = Email::parse(raw_new_login).map_err(|m| AppError::invalid("new_login", m))?;
    if new_login.as_str() == me.login {
        return Err(AppError::invalid("new_login", "This is already your login."));
    }
    verify_current_password(pool, passwords, me, current_password, client, now).await?;
    // Each request mails an address the person typed: a few a day, within the caps.
    let _counted = throttle::take(pool, &[(LOGIN_CHANGES_PER_ACCOUNT, &me.account_id.to_string())], now).await?;

    let mut tx = pool.begin().await?;
    quota::spend(&mut tx, config, Channel::Email, None, 1, now).await?;
    let taken = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM accounts WHERE login = $1) AS "taken!""#, new_login.as_str())
        .fetch_one(&mut *tx)
        .await?;
    // Only the newest request counts.
    sqlx::query!(
        "UPDATE account_tokens SET used_at = $2 WHERE account_id = $1 AND purpose = 'login_change' AND used_at IS NULL",
        me.account_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    if taken {
        let body = format!(
            "Someone asked to use {new_login} as the login of another Bitrix24 account, \
             but this address already has an account, so nothing was changed."
        );
        enqueue_email(&mut *tx, new_login.as_str(), "Login change not possible", &body, &[]).await?;
    } else {
        let (token, hash) = new_secret();
        sqlx::query!(
            "INSERT INTO account_tokens (token_hash, account_id, purpose, new_login, created_at, expires_at)
             VALUES ($1, $2, 'login_change', $3, $4, $5)",
            hash,
            me.account_id,
            new_login.as_str(),
            now,
            now + LOGIN_CHANGE_LINK_LIFETIME,
        )
        .execute(&mut *tx)
        .await?;
        let link = config.link(&format!("/network/confirm-login?token={token}"));
        let body = format!(
            "{name} asked to make {new_login} the login of their Bitrix24 account.\n\n\
             To confirm, open this link within 24 hours:\n{link}\n\n\
             If you did not ask for this, ignore this email.",
            name = me.full_name()
        );
        enqueue_email(&mut *tx, new_login.as_str(), "Confirm your new login", &body, &[&token]).await?;
    }
    if Email::parse(&me.login).is_ok() {
        let body = format!(
            "Someone logged in to your Bitrix24 account asked to change its login from {old} to {new_login}. \
             The change happens only when the link sent to the new address is opened.\n\n\
             If it was not you, change your password now.",
            old = me.login
        );
        enqueue_email(&mut *tx, &me.login, "Your login is about to change", &body, &[]).await?;
    }
    crate::audit::security_event(&mut *tx, Some(me.account_id), "login change requested", &format!("to {new_login}"), now).await?;
    tx.commit().await?;
    Ok(new_login)
}

/// Opens a login change link: the login becomes the confirmed address.
pub async fn confirm_login_change(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let used = crate::auth::service::use_link(&mut tx, token, "login_change", now).await?;
    let (account_id, new_login) = (used.account_id, used.address.ok_or(AppError::LinkExpired)?);
    let old_login = sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1 FOR UPDATE", account_id).fetch_one(&mut *tx).await?;
    // The link came to the new address: that proves it.
    sqlx::query!("UPDATE accounts SET login = $2, email_confirmed_at = $3 WHERE id = $1", account_id, new_login, now)
        .execute(&mut *tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => AppError::Conflict(
                "This address became the login of another account in the meantime, so your login was not changed.".into(),
            ),
            _ => error.into(),
        })?;
    // The old address hears of it, so a login moved by someone else does not go unnoticed.
    if Email::parse(&old_login).is_ok() {
        let body = format!(
            "The login of your Bitrix24 account was changed from {old_login} to {new}.\n\n\
             If it was not you, reset the password of the account at once (log in with {new}).",
            new = new_login
        );
        enqueue_email(&mut *tx, &old_login, "Your login was changed", &body, &[]).await?;
    }
    let detail = format!("from {old_login} to {}", new_login);
    crate::audit::security_event(&mut *tx, Some(account_id), "login changed", &detail, now).await?;
    tx.commit().await?;
    Ok(new_login)
}
