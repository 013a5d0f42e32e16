//! Registration rules: the settings, the quick registration link and its confirmation
//! emails, and the rule preview. Every setting is read from the database on each
//! request (nothing is cached), so the next request after a change sees it.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::{
    CONFIRMATION_HOURS, ConfirmationPage, Confirmed, MAX_GREETING_CHARS, Outcome, QuickRegistration, RegistrationPage,
    RegistrationSettings, Rules, outcome, parse_domains,
};
use crate::activity::service::announce_joined;
use crate::auth::passwords::{Passwords, check_new_password};
use crate::auth::service::create_account;
use crate::auth::tokens::{hash_secret, new_secret};
use crate::domain::{DisplayText, Email};
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::mail::outbox::enqueue_email;
use crate::people::service::record_audit;
use crate::portals::service::{PortalCaller, lock_portal_as_admin};
use crate::profile::service::{EMAIL_TAKEN, email_in_use, lock_address, set_contact_email};
use crate::server::config::Config;

/// Quick registrations one client address may start per hour, and confirmation emails
/// one address may receive per hour (so the form cannot be used to flood a mailbox).
pub const MAX_REQUESTS_PER_CLIENT_HOUR: i64 = 10;
pub const MAX_REQUESTS_PER_EMAIL_HOUR: i64 = 3;

struct PortalRules {
    id: i64,
    name: String,
    slug: String,
    quick_registration: bool,
    registration_moderated: bool,
    trusted_domains: Vec<String>,
    registration_greeting: String,
    registration_code: String,
    everyone_can_invite: bool,
}

impl PortalRules {
    fn rules(&self) -> Rules {
        Rules {
            enabled: self.quick_registration,
            moderated: self.registration_moderated,
            trusted_domains: self.trusted_domains.clone(),
            code: self.registration_code.clone(),
        }
    }
}

async fn portal_rules(db: &mut PgConnection, portal_id: i64) -> Result<PortalRules, AppError> {
    Ok(sqlx::query_as!(
        PortalRules,
        "SELECT id, name, slug, quick_registration, registration_moderated, trusted_domains, registration_greeting,
                registration_code, everyone_can_invite
         FROM portals WHERE id = $1",
        portal_id
    )
    .fetch_one(&mut *db)
    .await?)
}

async fn portal_by_code(db: &mut PgConnection, code: &str) -> Result<Option<PortalRules>, AppError> {
    Ok(sqlx::query_as!(
        PortalRules,
        "SELECT id, name, slug, quick_registration, registration_moderated, trusted_domains, registration_greeting,
                registration_code, everyone_can_invite
         FROM portals WHERE registration_code = $1",
        code.trim()
    )
    .fetch_optional(&mut *db)
    .await?)
}

pub fn link_path(code: &str) -> String {
    format!("/join/{code}")
}

pub async fn settings(pool: &PgPool, config: &Config, caller: &PortalCaller) -> Result<RegistrationSettings, AppError> {
    caller.require_admin()?;
    let portal = portal_rules(&mut *pool.acquire().await?, caller.portal_id).await?;
    Ok(RegistrationSettings {
        enabled: portal.quick_registration,
        moderated: portal.registration_moderated,
        trusted_domains: portal.trusted_domains,
        greeting: portal.registration_greeting,
        link: config.link(&link_path(&portal.registration_code)),
        everyone_can_invite: portal.everyone_can_invite,
    })
}

/// "Quick registration" as the invite dialog shows it to anyone who may invite.
pub async fn quick_registration(pool: &PgPool, config: &Config, caller: &PortalCaller) -> Result<QuickRegistration, AppError> {
    let mut db = pool.acquire().await?;
    crate::invitations::service::require_inviter(&mut db, caller).await?;
    let portal = portal_rules(&mut db, caller.portal_id).await?;
    Ok(QuickRegistration {
        link: portal.quick_registration.then(|| config.link(&link_path(&portal.registration_code))),
        moderated: portal.registration_moderated,
        is_admin: caller.is_admin,
    })
}

/// The "Additional settings" form as sent.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub enabled: bool,
    /// "public" or "moderated".
    pub registration_type: String,
    pub trusted_domains: String,
    pub greeting: String,
}

pub async fn save_settings(pool: &PgPool, caller: &PortalCaller, form: &SettingsForm, now: DateTime<Utc>) -> Result<(), AppError> {
    caller.require_admin()?;
    let moderated = match form.registration_type.as_str() {
        "public" => false,
        "moderated" => true,
        _ => return Err(AppError::invalid("registration_type", "Choose Public or Moderated.")),
    };
    let domains = parse_domains(&form.trusted_domains).map_err(|m| AppError::invalid("trusted_domains", m))?;
    let greeting = form.greeting.trim().replace("\r\n", "\n");
    if greeting.chars().count() > MAX_GREETING_CHARS {
        return Err(AppError::invalid("greeting", format!("The greeting is too long (at most {MAX_GREETING_CHARS} characters).")));
    }
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let old = portal_rules(&mut tx, caller.portal_id).await?;
    let mut changed = Vec::new();
    if old.quick_registration != form.enabled {
        changed.push(if form.enabled { "switched quick registration on" } else { "switched quick registration off" });
    }
    if old.registration_moderated != moderated {
        changed.push(if moderated { "type Moderated" } else { "type Public" });
    }
    if old.trusted_domains != domains {
        changed.push("domains without confirmation");
    }
    if old.registration_greeting != greeting {
        changed.push("greeting");
    }
    if changed.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE portals SET quick_registration = $2, registration_moderated = $3, trusted_domains = $4, registration_greeting = $5
         WHERE id = $1",
        caller.portal_id,
        form.enabled,
        moderated,
        &domains,
        greeting
    )
    .execute(&mut *tx)
    .await?;
    if old.quick_registration && !form.enabled {
        // Switching off ends the unconfirmed registrations too: switching on again must
        // not bring back what arrived before (spam, a leaked link).
        sqlx::query!(
            "UPDATE registration_requests SET expires_at = $2 WHERE portal_id = $1 AND used_at IS NULL AND expires_at > $2",
            caller.portal_id,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    record_audit(&mut tx, caller, "changed registration settings", None, &changed.join(", "), now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// "Regenerate link": the old link, and the unconfirmed registrations made through it,
/// stop working at once.
pub async fn regenerate_link(pool: &PgPool, caller: &PortalCaller, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let (code, _) = new_secret();
    sqlx::query!("UPDATE portals SET registration_code = $2 WHERE id = $1", caller.portal_id, code).execute(&mut *tx).await?;
    record_audit(&mut tx, caller, "regenerated the registration link", None, "", now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// "Allow everyone to invite new users to this Bitrix24 account".
pub async fn set_everyone_can_invite(pool: &PgPool, caller: &PortalCaller, allowed: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let before = sqlx::query_scalar!("SELECT everyone_can_invite FROM portals WHERE id = $1", caller.portal_id).fetch_one(&mut *tx).await?;
    if before == allowed {
        return Ok(());
    }
    sqlx::query!("UPDATE portals SET everyone_can_invite = $2 WHERE id = $1", caller.portal_id, allowed).execute(&mut *tx).await?;
    let detail = if allowed { "everyone may invite" } else { "only administrators may invite" };
    record_audit(&mut tx, caller, "changed who may invite", None, detail, now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// The rule preview: what would happen if `email` registered through the link now.
pub async fn check_address(pool: &PgPool, caller: &PortalCaller, email: &str) -> Result<Outcome, AppError> {
    caller.require_admin()?;
    let email = Email::parse(email).map_err(|m| AppError::invalid("email", m))?;
    let mut db = pool.acquire().await?;
    let portal = portal_rules(&mut db, caller.portal_id).await?;
    decide(&mut db, &portal, &portal.registration_code, &email).await
}

/// The rule, with the database's part: an address that is already a member's login or
/// contact email cannot register.
async fn decide(db: &mut PgConnection, portal: &PortalRules, code_used: &str, email: &Email) -> Result<Outcome, AppError> {
    let rule = outcome(&portal.rules(), code_used, email);
    if rule != Outcome::SwitchedOff && email_in_use(db, portal.id, email, None).await? {
        return Ok(Outcome::AlreadyMember);
    }
    Ok(rule)
}

/// The page behind the link. An unknown code looks exactly like a switched-off link.
pub async fn page(pool: &PgPool, code: &str) -> Result<RegistrationPage, AppError> {
    let portal = portal_by_code(&mut *pool.acquire().await?, code).await?;
    Ok(match portal {
        Some(portal) if portal.quick_registration => RegistrationPage::Open {
            portal_name: portal.name,
            greeting: portal.registration_greeting,
            moderated: portal.registration_moderated,
        },
        _ => RegistrationPage::SwitchedOff,
    })
}

/// Counts and records one attempt, refused ones included, so probing addresses costs
/// attempts too. One client's attempts are taken one at a time (an advisory lock), so
/// parallel posts cannot all slip under the limit.
async fn record_attempt(pool: &PgPool, client: &str, email: &Email, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended('registration-client:' || $1, 0))", client).execute(&mut *tx).await?;
    let since = now - Duration::hours(1);
    let recent = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE client_addr = $1) AS "per_client!", count(*) FILTER (WHERE email = $2) AS "per_email!"
           FROM registration_attempts WHERE at > $3 AND (client_addr = $1 OR email = $2)"#,
        client,
        email.as_str(),
        since
    )
    .fetch_one(&mut *tx)
    .await?;
    if recent.per_client >= MAX_REQUESTS_PER_CLIENT_HOUR || recent.per_email >= MAX_REQUESTS_PER_EMAIL_HOUR {
        return Err(AppError::Conflict("Too many registrations from here in the last hour. Please try again later.".into()));
    }
    sqlx::query!("INSERT INTO registration_attempts (client_addr, email, at) VALUES ($1, $2, $3)", client, email.as_str(), now)
        .execute(&mut *tx)
        .await?;
    // Old rows serve no limit; trimming here keeps both tables small without a job.
    sqlx::query!("DELETE FROM registration_attempts WHERE at < $1", now - Duration::days(1)).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM registration_requests WHERE expires_at < $1", now - Duration::days(1)).execute(&mut *tx).await?;
    tx.commit().await?;
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
        let portal = portal_by_code(&mut db, code).await?.ok_or_else(switched_off)?;
        match decide(&mut db, &portal, code, &email).await? {
            Outcome::SwitchedOff => return Err(switched_off()),
            Outcome::AlreadyMember => return Err(AppError::invalid("email", EMAIL_TAKEN)),
            Outcome::Active | Outcome::AwaitsApproval => portal,
        }
    };
    let password_hash = passwords.hash(&form.password).await.ok_or(AppError::Internal)?;
    let mut tx = pool.begin().await?;
    let (token, token_hash) = new_secret();
    sqlx::query!(
        "INSERT INTO registration_requests
           (token_hash, portal_id, registration_code, email, first_name, last_name, password_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        token_hash,
        portal.id,
        portal.registration_code,
        email.as_str(),
        first.as_str(),
        last.as_str(),
        password_hash,
        now,
        now + Duration::hours(CONFIRMATION_HOURS)
    )
    .execute(&mut *tx)
    .await?;
    let link = config.link(&format!("/register/confirm?token={token}"));
    let body = format!(
        "Hello {},\n\nsomeone (we hope you) registered this address at {}'s Bitrix24.\n\n\
         Confirm your e-mail address to finish: {link}\n\n\
         The link is valid for {CONFIRMATION_HOURS} hours. If it was not you, ignore this email.\n",
        first.as_str(),
        portal.name
    );
    enqueue_email(&mut *tx, email.as_str(), &format!("Confirm your registration at {}", portal.name), &body).await?;
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
    let portal = portal_rules(&mut db, request.portal_id).await?;
    let usable = request.used_at.is_none()
        && request.expires_at > now
        && portal.quick_registration
        && portal.registration_code == request.registration_code;
    Ok(if usable { ConfirmationPage::Ready { portal_name: portal.name, email: request.email } } else { ConfirmationPage::Unusable })
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
    if !passwords.verify(password, Some(expected_hash)).await {
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
    let portal = portal_rules(&mut tx, request.portal_id).await?;
    let email = Email::parse(&request.email).map_err(|_| AppError::Internal)?;
    lock_address(&mut tx, portal.id, &email).await?;
    let result = decide(&mut tx, &portal, &request.registration_code, &email).await?;
    let status = match result {
        Outcome::SwitchedOff => return Err(AppError::LinkExpired),
        Outcome::AlreadyMember => return Err(AppError::Conflict(EMAIL_TAKEN.into())),
        Outcome::Active => "active",
        Outcome::AwaitsApproval => "pending_approval",
    };
    sqlx::query!("UPDATE registration_requests SET used_at = $2, password_hash = '' WHERE token_hash = $1", hash_secret(token), now)
        .execute(&mut *tx)
        .await?;
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
    let top =
        sqlx::query_scalar!("SELECT id FROM departments WHERE portal_id = $1 AND parent_id IS NULL", portal.id).fetch_one(&mut *tx).await?;
    sqlx::query!(
        "INSERT INTO memberships (portal_id, account_id, status, role, department_id, created_at) VALUES ($1, $2, $3, 'employee', $4, $5)",
        portal.id,
        account_id,
        status,
        top,
        now
    )
    .execute(&mut *tx)
    .await?;
    set_contact_email(&mut tx, portal.id, account_id, Some(&email)).await?;
    let name = format!("{} {}", request.first_name, request.last_name);
    if result == Outcome::Active {
        announce_joined(&mut tx, portal.id, account_id, now).await?;
        for topic in [Topic::People, Topic::Structure, Topic::Access] {
            notify(&mut *tx, portal.id, topic).await?;
        }
    } else {
        let queue = config.link(&format!("/p/{}/employees?filter=pending", portal.slug));
        let body = format!(
            "{name} ({email}) registered at {} through the quick registration link and awaits your approval.\n\n\
             Approve or deny: {queue}\n",
            portal.name
        );
        email_admins(&mut tx, portal.id, &format!("{name} awaits approval at {}", portal.name), &body).await?;
        notify(&mut *tx, portal.id, Topic::People).await?;
    }
    tx.commit().await?;
    Ok(Confirmed { outcome: result, portal_name: portal.name, portal_slug: portal.slug, existing_account: existing.is_some(), account_id })
}

/// Queues an email to every active administrator who logs in with an email address.
async fn email_admins(tx: &mut PgConnection, portal_id: i64, subject: &str, body: &str) -> Result<(), AppError> {
    let logins = sqlx::query_scalar!(
        "SELECT a.login FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE m.portal_id = $1 AND m.role = 'admin' AND m.status = 'active' ORDER BY a.id",
        portal_id
    )
    .fetch_all(&mut *tx)
    .await?;
    for login in logins.into_iter().filter(|l| Email::parse(l).is_ok()) {
        enqueue_email(&mut *tx, &login, subject, body).await?;
    }
    Ok(())
}

/// Approve or deny a registration awaiting approval (Employees > Pending confirmation).
pub async fn decide_registration(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    account_id: i64,
    approve: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let status = sqlx::query_scalar!(
        "SELECT status FROM memberships WHERE portal_id = $1 AND account_id = $2 FOR UPDATE",
        caller.portal_id,
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if status != "pending_approval" {
        return Err(AppError::Conflict("This registration was already approved or denied.".into()));
    }
    let portal = portal_rules(&mut tx, caller.portal_id).await?;
    let person = sqlx::query!("SELECT login, first_name FROM accounts WHERE id = $1", account_id).fetch_one(&mut *tx).await?;
    let (subject, body) = if approve {
        sqlx::query!("UPDATE memberships SET status = 'active' WHERE portal_id = $1 AND account_id = $2", caller.portal_id, account_id)
            .execute(&mut *tx)
            .await?;
        announce_joined(&mut tx, caller.portal_id, account_id, now).await?;
        record_audit(&mut tx, caller, "approved registration", Some(account_id), &person.login, now).await?;
        (
            format!("Welcome to {}", portal.name),
            format!(
                "Hello {},\n\nan administrator approved your registration at {}'s Bitrix24.\n\nLog in: {}\n",
                person.first_name,
                portal.name,
                config.link("/login")
            ),
        )
    } else {
        // The audit entry first, while the person is still a member it can name.
        record_audit(&mut tx, caller, "denied registration", Some(account_id), &person.login, now).await?;
        sqlx::query!("DELETE FROM memberships WHERE portal_id = $1 AND account_id = $2", caller.portal_id, account_id)
            .execute(&mut *tx)
            .await?;
        (
            format!("Your registration at {}", portal.name),
            format!("Hello {},\n\nan administrator of {}'s Bitrix24 declined your registration.\n", person.first_name, portal.name),
        )
    };
    if Email::parse(&person.login).is_ok() {
        enqueue_email(&mut *tx, &person.login, &subject, &body).await?;
    }
    for topic in [Topic::People, Topic::Structure, Topic::Access] {
        notify(&mut *tx, caller.portal_id, topic).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The portal whose registration page `code` opens, if it is the current link: the
/// page's live stream is tied to it.
pub async fn portal_of_link(pool: &PgPool, code: &str) -> Result<Option<i64>, AppError> {
    Ok(portal_by_code(&mut *pool.acquire().await?, code).await?.map(|p| p.id))
}
