//! "Register": an administrator adds a person directly, active at once.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use super::sending::checked_department;
use super::*;
use crate::access::PortalCaller;
use crate::auth::service::create_account;
use crate::crypto::passwords::Passwords;
use crate::crypto::tokens::new_secret;
use crate::domain::{DisplayText, Email};
use crate::error::AppError;
use crate::invitations::RegistrationCompletion;
use crate::mail::outbox::enqueue_email;
use crate::membership::{Admission, EMAIL_TAKEN, admit};
use crate::server::config::Config;

/// "Register": an administrator adds a person directly.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub position: String,
    pub department_id: Option<i64>,
    /// On: the account is active with a random password sent by email. Off: the email
    /// carries a link where the person sets their own password.
    pub without_confirmation: bool,
}

/// A password nobody knows, for an account whose owner sets one through a link: the
/// stored value is not a password hash, so no password ever matches it.
const NO_PASSWORD_YET: &str = "!unset";

/// Days a "set your password" link of a registration stays valid.
pub const SET_PASSWORD_DAYS: i64 = 7;

fn random_password() -> String {
    let (token, _) = new_secret();
    token.chars().take(16).collect()
}

/// The link's purpose: "Complete your registration".
pub const COMPLETE_REGISTRATION: &str = "complete_registration";

/// What "Complete your registration" shows: what the administrator entered.
pub async fn completion(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<RegistrationCompletion, AppError> {
    let row = sqlx::query!(
        r#"SELECT a.login, a.first_name, a.last_name, m.position, p.name AS portal_name
           FROM account_tokens t
           JOIN accounts a ON a.id = t.account_id
           JOIN memberships m ON m.account_id = a.id AND m.status = 'active'
           JOIN portals p ON p.id = m.portal_id
           WHERE t.token_hash = $1 AND t.purpose = 'complete_registration' AND t.used_at IS NULL AND t.expires_at > $2
           ORDER BY m.portal_id DESC LIMIT 1"#,
        crate::crypto::tokens::hash_secret(token),
        now
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::LinkExpired)?;
    Ok(RegistrationCompletion {
        portal_name: row.portal_name,
        first_name: row.first_name,
        last_name: row.last_name,
        position: row.position,
        login: row.login,
    })
}

/// Sets the first password of a registered person from their link, once. Nothing is
/// mailed afterwards: there was no password before, so nothing "was changed". Answers
/// the account and the portal to open.
pub async fn complete(
    pool: &PgPool,
    passwords: &Passwords,
    token: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(i64, String), AppError> {
    crate::auth::password_policy::check_new_password(password).map_err(|message| AppError::invalid("password", message))?;
    // The link first: a request without a live link costs no hash.
    if !crate::auth::service::link_is_usable(pool, token, COMPLETE_REGISTRATION, now).await? {
        return Err(AppError::LinkExpired);
    }
    let hash = passwords.hash(password).await?;
    let mut tx = pool.begin().await?;
    let account_id = crate::auth::service::use_link(&mut tx, token, COMPLETE_REGISTRATION, now).await?.account_id;
    sqlx::query!("UPDATE accounts SET password_hash = $2, must_change_password = false WHERE id = $1", account_id, hash)
        .execute(&mut *tx)
        .await?;
    // The link came to the login's address: that proves the address.
    crate::auth::email_confirmation::mark_proven(&mut tx, account_id, now).await?;
    let slug = sqlx::query_scalar!(
        "SELECT p.slug FROM memberships m JOIN portals p ON p.id = m.portal_id
         WHERE m.account_id = $1 AND m.status = 'active' ORDER BY m.portal_id DESC LIMIT 1",
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::LinkExpired)?;
    tx.commit().await?;
    Ok((account_id, slug))
}

/// Creates the account and its active membership; answers the account id.
pub async fn register(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    caller: &PortalCaller,
    form: &Registration,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    caller.require_admin()?;
    let email = Email::parse(&form.email).map_err(|m| AppError::invalid("email", m))?;
    let first = DisplayText::parse(&form.first_name, "a first name", 50).map_err(|m| AppError::invalid("first_name", m))?;
    let last = DisplayText::parse(&form.last_name, "a last name", 50).map_err(|m| AppError::invalid("last_name", m))?;
    let position = crate::profile::parse_position(&form.position).map_err(|m| AppError::invalid("position", m))?;
    // Before any hashing or writing: an unconfirmed portal registers no one.
    crate::access::invite::require_confirmed_sender(&mut *pool.acquire().await?, caller.portal_id).await?;
    let password = form.without_confirmation.then(random_password);
    let hash = match &password {
        Some(password) => passwords.hash(password).await?,
        None => NO_PASSWORD_YET.to_string(),
    };

    let mut tx = pool.begin().await?;
    // The role is checked again under the portal's lock: the caller may have stopped
    // being an administrator while the password was hashed.
    crate::access::lock_portal_as_admin(&mut tx, caller).await?;
    let facts = portal_facts(&mut tx, caller.portal_id, false).await?;
    let department = checked_department(&mut tx, caller, form.department_id).await?;
    crate::membership::lock_address(&mut tx, caller.portal_id, &email).await?;
    if crate::membership::email_in_use(&mut tx, caller.portal_id, &email, None).await? {
        return Err(AppError::invalid("email", EMAIL_TAKEN));
    }
    let Some(account_id) = create_account(&mut tx, email.as_str(), &hash, first.as_str(), last.as_str(), now).await? else {
        // This answer tells that the address has an account somewhere on this server, so it
        // is paid for from the daily e-mail quota like the letter a registration sends:
        // trying addresses one by one stops at the portal's cap, where every address gets
        // the same "limit reached" answer.
        crate::mail::quota::spend(&mut tx, config, crate::domain::Channel::Email, Some(caller.portal_id), 1, now).await?;
        tx.commit().await?;
        return Err(AppError::invalid(
            "email",
            "This address already has a Bitrix24 account. Invite it by e-mail instead: the person joins with their own password.",
        ));
    };
    let admission = Admission {
        portal_id: caller.portal_id,
        account_id,
        active: true,
        department_id: Some(department),
        position: Some(&position),
        contact_email: Some(&email),
        workgroup_ids: &[],
    };
    admit(&mut tx, admission, now).await?;
    let registrar = inviter_name(&mut tx, caller.account_id).await?;
    let (message, secret) = match &password {
        Some(password) => {
            // A password that travelled by e-mail is only good for the first log-in.
            sqlx::query!("UPDATE accounts SET must_change_password = true WHERE id = $1", account_id).execute(&mut *tx).await?;
            let letter = letters::RegisteredWithPassword {
                brand: &facts.name,
                registrar: &registrar,
                first_name: first.as_str(),
                position: position.as_str(),
                login: email.as_str(),
                password,
                link: &config.link("/login"),
            };
            (letters::registered_with_password(&letter)?, password.clone())
        }
        None => {
            let (token, token_hash) = new_secret();
            sqlx::query!(
                "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
                 VALUES ($1, $2, 'complete_registration', $3, $4)",
                token_hash,
                account_id,
                now,
                now + Duration::days(SET_PASSWORD_DAYS)
            )
            .execute(&mut *tx)
            .await?;
            let link = config.link(&format!("/complete-registration?token={token}"));
            let letter = letters::CompleteRegistration {
                brand: &facts.name,
                registrar: &registrar,
                first_name: first.as_str(),
                position: position.as_str(),
                login: email.as_str(),
                link: &link,
                days: SET_PASSWORD_DAYS,
            };
            (letters::complete_registration(&letter)?, token)
        }
    };
    crate::mail::quota::spend(&mut tx, config, crate::domain::Channel::Email, Some(caller.portal_id), 1, now).await?;
    enqueue_email(&mut *tx, email.as_str(), &message, &[&secret]).await?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "registered", Some(account_id), email.as_str(), now).await?;
    tx.commit().await?;
    Ok(account_id)
}
