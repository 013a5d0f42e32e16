//! The quick registration link: its page, the request with a confirmation email, and
//! the confirmation that applies the rule.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::approval::email_admins;
use super::*;
use crate::auth::password_policy::check_new_password;
use crate::auth::service::create_account;
use crate::crypto::passwords::Passwords;
use crate::crypto::tokens::{hash_secret, new_secret};
use crate::domain::{DisplayText, Email};
use crate::error::AppError;
use crate::mail::outbox::enqueue_email;
use crate::membership::{Admission, EMAIL_TAKEN, admit, lock_address};
use crate::registration::{CONFIRMATION_HOURS, ConfirmationPage, Confirmed, Outcome, RegistrationPage};
use crate::server::config::Config;
use crate::throttle::{self, Limit};

/// The page behind the link, as it stands now. An unknown code looks exactly like a
/// switched-off link, and so does a revoked, expired or used-up invite link.
pub async fn page(pool: &PgPool, code: &str) -> Result<RegistrationPage, AppError> {
    let portal = portal_by_code(&mut *pool.acquire().await?, code, Utc::now()).await?;
    Ok(match portal {
        Some(portal) if portal.quick_registration => RegistrationPage::Open {
            portal_name: portal.name,
            greeting: portal.registration_greeting,
            moderated: portal.registration_moderated,
        },
        _ => RegistrationPage::SwitchedOff,
    })
}

/// Quick registration attempts, refused ones included (so probing which addresses are
/// members costs attempts), per client address and per address typed (so the form cannot
/// flood a mailbox with confirmation emails).
pub const ATTEMPTS_PER_CLIENT: Limit = Limit { bucket: "registration-client", max: 10, window: Duration::hours(1) };
pub const ATTEMPTS_PER_EMAIL: Limit = Limit { bucket: "registration-email", max: 3, window: Duration::hours(1) };

/// Counts and records one attempt. Unconfirmed requests that expired a day ago lose the
/// address, names and password typed into the form here, without a job (anyone may type
/// anyone's address); the rest stays for the invitation funnel, where they count as
/// registrations never confirmed.
async fn record_attempt(pool: &PgPool, client: &str, email: &Email, now: DateTime<Utc>) -> Result<(), AppError> {
    let _counted = throttle::take(pool, &[(ATTEMPTS_PER_CLIENT, client), (ATTEMPTS_PER_EMAIL, email.as_str())], now).await?;
    sqlx::query!(
        "UPDATE registration_requests SET password_hash = '', email = '', first_name = '', last_name = ''
         WHERE used_at IS NULL AND password_hash <> '' AND expires_at < $1",
        now - Duration::days(1)
    )
    .execute(pool)
    .await?;
    Ok(())
}

fn switched_off() -> AppError {
    AppError::Conflict(SWITCHED_OFF.into())
}

pub const SWITCHED_OFF: &str = "This registration link is switched off. Ask the person who sent it for a new one.";

/// The quick registration form as sent.
#[derive(Debug, Clone, Default)]
pub struct RegistrationForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
}

/// Keeps the registration and emails a confirmation link to the address. Nothing else
/// happens until the link is opened: the address must be the registrant's.
pub async fn request(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    code: &str,
    form: &RegistrationForm,
    client: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let email = Email::parse(&form.email).map_err(|m| AppError::invalid("email", m))?;
    let first = DisplayText::parse(&form.first_name, "your first name", 50).map_err(|m| AppError::invalid("first_name", m))?;
    let last = DisplayText::parse(&form.last_name, "your last name", 50).map_err(|m| AppError::invalid("last_name", m))?;
    check_new_password(&form.password).map_err(|m| AppError::invalid("password", m))?;
    record_attempt(pool, client, &email, now).await?;
    // Checked here, and again at confirmation (where it decides).
    let portal = {
        let mut db = pool.acquire().await?;
        let portal = portal_by_code(&mut db, code, now).await?.ok_or_else(switched_off)?;
        match decide(&mut db, &portal, code, &email).await? {
            Outcome::SwitchedOff => return Err(switched_off()),
            Outcome::AlreadyMember => return Err(AppError::invalid("email", EMAIL_TAKEN)),
            Outcome::Active | Outcome::AwaitsApproval => portal,
        }
    };
    let password_hash = passwords.hash(&form.password).await?;
    let mut tx = pool.begin().await?;
    let (token, token_hash) = new_secret();
    let link = config.link(&format!("/register/confirm?token={token}"));
    let letter = letters::ConfirmRegistration { brand: &portal.name, first_name: first.as_str(), link: &link, hours: CONFIRMATION_HOURS };
    let message = letters::confirm_registration(&letter)?;
    crate::mail::quota::spend(&mut tx, config, crate::domain::Channel::Email, Some(portal.id), 1, now).await?;
    let outbox_id = enqueue_email(&mut *tx, email.as_str(), &message, &[&token]).await?;
    sqlx::query!(
        "INSERT INTO registration_requests
           (token_hash, portal_id, registration_code, invite_link_id, email, first_name, last_name, password_hash, created_at, expires_at, outbox_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        token_hash,
        portal.id,
        portal.registration_code,
        portal.invite_link_id,
        email.as_str(),
        first.as_str(),
        last.as_str(),
        password_hash,
        now,
        now + Duration::hours(CONFIRMATION_HOURS),
        outbox_id
    )
    .execute(&mut *tx)
    .await?;
    // The invitation funnel counts the registration from here.
    crate::live::server::notify(&mut *tx, portal.id, crate::live::Topic::People).await?;
    tx.commit().await?;
    Ok(email.to_string())
}

struct PendingRequest {
    portal_id: i64,
    registration_code: String,
    email: String,
    first_name: String,
    last_name: String,
    password_hash: String,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

async fn request_by_token(db: &mut PgConnection, token: &str, lock: bool) -> Result<Option<PendingRequest>, AppError> {
    let hash = hash_secret(token);
    let row = if lock {
        sqlx::query_as!(
            PendingRequest,
            "SELECT portal_id, registration_code, email, first_name, last_name, password_hash, expires_at, used_at
             FROM registration_requests WHERE token_hash = $1 FOR UPDATE",
            hash
        )
        .fetch_optional(&mut *db)
        .await?
    } else {
        sqlx::query_as!(
            PendingRequest,
            "SELECT portal_id, registration_code, email, first_name, last_name, password_hash, expires_at, used_at
             FROM registration_requests WHERE token_hash = $1",
            hash
        )
        .fetch_optional(&mut *db)
        .await?
    };
    Ok(row)
}

pub async fn confirmation(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<ConfirmationPage, AppError> {
    let mut db = pool.acquire().await?;
    let Some(request) = request_by_token(&mut db, token, false).await? else { return Ok(ConfirmationPage::Unusable) };
    // The link it came through, as it stands now: regenerated, switched off, revoked,
    // expired or used up since, and the request is over.
    let portal = portal_by_code(&mut db, &request.registration_code, now).await?.filter(|p| p.id == request.portal_id);
    Ok(match portal {
        Some(portal) if request.used_at.is_none() && request.expires_at > now && portal.quick_registration => {
            mark_opened(&mut db, token, now).await?;
            ConfirmationPage::Ready { portal_name: portal.name, email: request.email }
        }
        _ => ConfirmationPage::Unusable,
    })
}

/// The invitation funnel's "link opened": the first time the confirmation link showed
/// its form.
async fn mark_opened(db: &mut PgConnection, token: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = sqlx::Connection::begin(&mut *db).await?;
    let first_time = sqlx::query_scalar!(
        "UPDATE registration_requests SET opened_at = $2 WHERE token_hash = $1 AND opened_at IS NULL RETURNING portal_id",
        hash_secret(token),
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(portal_id) = first_time {
        crate::live::server::notify(&mut *tx, portal_id, crate::live::Topic::People).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Confirms the address and applies the rule as it stands now. The password chosen at
/// registration must be typed again (for an address that already has a network account,
/// that account's password): whoever only clicks a link sent to their mailbox cannot be
/// handed an account whose password someone else chose. Single use: the row is locked
/// and marked used in the same transaction that adds the person.
pub async fn confirm(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    token: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Confirmed, AppError> {
    // The slow password check first, outside the transaction.
    let (expected_hash, had_account) = {
        let mut db = pool.acquire().await?;
        let request = request_by_token(&mut db, token, false).await?.ok_or(AppError::LinkExpired)?;
        if request.used_at.is_some() || request.expires_at <= now {
            return Err(AppError::LinkExpired);
        }
        let account_hash =
            sqlx::query_scalar!("SELECT password_hash FROM accounts WHERE login = $1", request.email).fetch_optional(&mut *db).await?;
        let had_account = account_hash.is_some();
        (account_hash.unwrap_or(request.password_hash), had_account)
    };
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    if !passwords.verify(password, Some(expected_hash)).await? {
        let message = if had_account {
            "This address already has a Bitrix24 account: enter that account's password."
        } else {
            "This is not the password chosen at registration."
        };
        return Err(AppError::invalid("password", message));
    }

    let mut tx = pool.begin().await?;
    let request = request_by_token(&mut tx, token, true).await?.ok_or(AppError::LinkExpired)?;
    if request.used_at.is_some() || request.expires_at <= now {
        return Err(AppError::LinkExpired);
    }
    let portal = portal_by_code(&mut tx, &request.registration_code, now)
        .await?
        .filter(|p| p.id == request.portal_id)
        .ok_or(AppError::LinkExpired)?;
    if let Some(link_id) = portal.invite_link_id.filter(|_| !portal.quick_registration) {
        return Err(closed_link(&mut tx, link_id, now).await?);
    }
    let email = Email::parse(&request.email).map_err(|_| AppError::Internal)?;
    lock_address(&mut tx, portal.id, &email).await?;
    let result = decide(&mut tx, &portal, &request.registration_code, &email).await?;
    match result {
        Outcome::SwitchedOff => return Err(AppError::LinkExpired),
        Outcome::AlreadyMember => return Err(AppError::Conflict(EMAIL_TAKEN.into())),
        Outcome::Active | Outcome::AwaitsApproval => {}
    }
    let changed_meanwhile = || AppError::Conflict("This address got a Bitrix24 account a moment ago. Open the link again.".into());
    let existing = sqlx::query_scalar!("SELECT id FROM accounts WHERE login = $1", email.as_str()).fetch_optional(&mut *tx).await?;
    if existing.is_some() != had_account {
        return Err(changed_meanwhile());
    }
    let account_id = match existing {
        Some(id) => id,
        None => create_account(&mut tx, email.as_str(), &request.password_hash, &request.first_name, &request.last_name, now)
            .await?
            .ok_or_else(changed_meanwhile)?,
    };
    sqlx::query!(
        "UPDATE registration_requests SET used_at = $2, password_hash = '', account_id = $3, active_at = CASE WHEN $4 THEN $2::timestamptz END
         WHERE token_hash = $1",
        hash_secret(token),
        now,
        account_id,
        result == Outcome::Active
    )
    .execute(&mut *tx)
    .await?;
    let admission = Admission {
        portal_id: portal.id,
        account_id,
        active: result == Outcome::Active,
        department_id: portal.department_id,
        position: None,
        contact_email: Some(&email),
        workgroup_ids: &[],
    };
    admit(&mut tx, admission, now).await?;
    // After the membership, whose insert takes its share lock on the portal row: revoking
    // locks the portal first and the link second, and so does this, so neither waits on
    // the other in a circle.
    if let Some(link_id) = portal.invite_link_id {
        take_link_use(&mut tx, link_id, now).await?;
        // Settings' count, and the open pages of a link now used up, follow.
        crate::live::server::notify(&mut *tx, portal.id, crate::live::Topic::Settings).await?;
    }
    // The confirmation link came to the address the account logs in with.
    crate::auth::email_confirmation::mark_proven(&mut tx, account_id, now).await?;
    let name = format!("{} {}", request.first_name, request.last_name);
    if result == Outcome::AwaitsApproval {
        let queue = config.link(&format!("/p/{}/employees?filter=pending", portal.slug));
        let letter = letters::AwaitsApproval { brand: &portal.name, name: &name, address: email.as_str(), link: &queue };
        email_admins(&mut tx, portal.id, &letters::awaits_approval(&letter)?).await?;
        let text = format!("{name} asks to join");
        crate::notices::server::for_admins(&mut tx, portal.id, crate::notices::NoticeKind::JoinRequest, account_id, &text, now).await?;
    }
    tx.commit().await?;
    Ok(Confirmed { outcome: result, portal_name: portal.name, portal_slug: portal.slug, existing_account: existing.is_some(), account_id })
}

/// Why a closed invite link refuses a confirmation: used up (which people are told, so
/// they ask for a new link), or revoked or expired (like any dead link).
async fn closed_link(tx: &mut PgConnection, link_id: i64, now: DateTime<Utc>) -> Result<AppError, AppError> {
    let used_up = sqlx::query_scalar!(
        r#"SELECT revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) AS "used_up!" FROM invite_links WHERE id = $1"#,
        link_id,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(if used_up { AppError::Conflict(super::USED_UP.into()) } else { AppError::LinkExpired })
}

/// Counts one person in on an invite link, if it still has a use left. The row lock of
/// the update makes simultaneous confirmations take turns, and each re-reads the count:
/// a link with 10 uses left lets exactly 10 of any number of racers in.
async fn take_link_use(tx: &mut PgConnection, link_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let taken = sqlx::query_scalar!(
        "UPDATE invite_links SET uses = uses + 1
         WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) AND (max_uses IS NULL OR uses < max_uses)
         RETURNING id",
        link_id,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    match taken {
        Some(_) => Ok(()),
        None => Err(AppError::Conflict(super::USED_UP.into())),
    }
}
