//! The log-in and password-reset rules, with time and the client passed in so tests can
//! drive them directly. Server functions in `api.rs` are thin wrappers.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::letters;
use super::session::{self, SessionAccount};
use super::sms_codes::{self, Checked, CodePurpose};
use crate::audit;
use crate::auth::password_policy::check_new_password;
use crate::crypto::passwords::Passwords;
use crate::crypto::tokens::{hash_secret, new_secret};
use crate::domain::phone::{is_phone_login, normalize_login_input};
use crate::domain::time::Zone;
use crate::domain::{Channel, Email, MembershipStatus};
use crate::error::AppError;
use crate::mail::outbox::{enqueue_email, enqueue_sms};
use crate::mail::quota;
use crate::server::config::Config;
use crate::throttle::{self, Limit, Taken};

pub const RESET_LINK_LIFETIME: Duration = Duration::hours(1);
/// More reset emails than this per hour for one account are silently not sent, so the
/// form cannot be used to flood someone's mailbox.
pub const MAX_RESET_EMAILS_PER_HOUR: i64 = 5;

/// Wrong passwords allowed per login typed (known or not, so the refusal tells nothing
/// about which logins exist) and per client address, in any 15 minutes.
pub const FAILURES_PER_LOGIN: Limit = Limit { bucket: "login", max: 10, window: Duration::minutes(15) };
pub const FAILURES_PER_CLIENT: Limit = Limit { bucket: "login-client", max: 100, window: Duration::minutes(15) };

/// Takes a place for one password guess before the password is checked, so guesses sent
/// in parallel are counted before any of them is verified. A right password gives it
/// back ([`password_accepted`]); a wrong one leaves it counted.
pub async fn take_password_attempt(pool: &PgPool, login: &str, client: &str, now: DateTime<Utc>) -> Result<Taken, AppError> {
    throttle::take(pool, &[(FAILURES_PER_LOGIN, login), (FAILURES_PER_CLIENT, client)], now).await
}

/// The password was not checked (the server was busy): the attempt does not count.
pub async fn password_not_checked(pool: &PgPool, attempt: Taken) -> Result<(), AppError> {
    throttle::release(pool, attempt).await
}

/// The password was right: the attempt does not count, and the login's failures end.
pub async fn password_accepted(pool: &PgPool, login: &str, attempt: Taken) -> Result<(), AppError> {
    throttle::forgive(pool, attempt, FAILURES_PER_LOGIN, login).await
}

/// Re-checks the password of the person already logged in. Failures count toward the
/// same throttle as the log-in form, so this cannot be used to guess passwords.
pub async fn check_current_password(
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

/// A right password: a session, or (with two-factor log-in on) a code still to come.
#[derive(Debug)]
pub enum Entry {
    /// The new session's secret, for the cookie.
    Session(String),
    /// No session yet: the log-in goes on with [`super::two_factor::start_log_in`].
    CodeNeeded,
}

/// A successful log-in: the way in and the page to go to.
#[derive(Debug)]
pub struct LoggedIn {
    pub account_id: i64,
    pub entry: Entry,
    pub destination: String,
    /// The zone the account's times are shown in, as kept so far.
    pub time_zone: String,
}

impl LoggedIn {
    /// The new session's secret, when the log-in is complete.
    pub fn session_token(&self) -> Option<&str> {
        match &self.entry {
            Entry::Session(token) => Some(token),
            Entry::CodeNeeded => None,
        }
    }
}

#[allow(clippy::too_many_arguments)] // the region, time and client stay explicit so tests can drive them
pub async fn log_in(
    pool: &PgPool,
    passwords: &Passwords,
    region: Option<&str>,
    raw_login: &str,
    password: &str,
    remember: bool,
    origin: &session::Origin,
    now: DateTime<Utc>,
) -> Result<LoggedIn, AppError> {
    let client = origin.client_address.as_str();
    let login = normalize_login_input(raw_login, region);
    if login.is_empty() {
        return Err(AppError::invalid("login", "Enter your login."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    // One round trip: the guess is counted (before the password is checked, so parallel
    // guesses cannot pass the limit) and the account is read.
    let keys = throttle::Keys::of(&[(FAILURES_PER_LOGIN, &login), (FAILURES_PER_CLIENT, client)]);
    let row = sqlx::query!(
        r#"SELECT t.event_ids, t.retry_after, a.id AS "account_id?", a.password_hash AS "password_hash?",
                  a.must_change_password AS "must_change_password?", a.time_zone AS "time_zone?",
                  tf.enabled_at IS NOT NULL AS "two_factor!"
           FROM throttle_take($1, $2, $3, $4, $5) t LEFT JOIN accounts a ON a.login = $6
           LEFT JOIN two_factor tf ON tf.account_id = a.id AND tf.enabled_at IS NOT NULL"#,
        &keys.buckets,
        &keys.names,
        &keys.maxes,
        &keys.windows,
        now,
        login
    )
    .fetch_one(pool)
    .await?;
    let (account_id, stored_hash, must_change_password) = (row.account_id, row.password_hash, row.must_change_password.unwrap_or(false));
    let attempt = match throttle::taken(row.event_ids, row.retry_after) {
        Ok(attempt) => attempt,
        Err(refused) => {
            record_lock_out(pool, account_id, &login, client, now).await?;
            return Err(refused);
        }
    };
    // An unknown login is verified against a dummy hash: same work, same answer.
    let verified = match passwords.verify(password, stored_hash).await {
        Ok(verified) => verified,
        // Not checked at all (the hashing threads are saturated): the attempt does not count.
        Err(busy) => {
            password_not_checked(pool, attempt).await?;
            return Err(busy);
        }
    };
    let Some(account_id) = account_id.filter(|_| verified) else {
        // The attempt taken above stays recorded: it was a failure.
        let detail = match account_id {
            Some(_) => format!("wrong password, from {client}"),
            None => format!("unknown login {login:?}, from {client}"),
        };
        audit::security_event(pool, account_id, "failed log-in", &detail, now).await?;
        return Err(AppError::BadCredentials);
    };
    // One round trip: the attempt is given back with the login's failures
    // ([`password_accepted`]), and the account's portals are read.
    let portals = sqlx::query!(
        r#"WITH forgiven AS (DELETE FROM throttle_events WHERE id = ANY($1) OR (bucket = $2 AND key = $3))
           SELECT p.slug, m.status AS "status: MembershipStatus" FROM memberships m JOIN portals p ON p.id = m.portal_id
           WHERE m.account_id = $4 ORDER BY p.name"#,
        &attempt.into_ids(),
        FAILURES_PER_LOGIN.bucket,
        login,
        account_id
    )
    .fetch_all(pool)
    .await?;
    let statuses: Vec<MembershipStatus> = portals.iter().map(|p| p.status).collect();
    let_in_by(&statuses)?;
    let active: Vec<&str> = portals.iter().filter(|p| p.status == MembershipStatus::Active).map(|p| p.slug.as_str()).collect();
    let destination = match active.as_slice() {
        // A generated password is changed first, in the network profile.
        _ if must_change_password => "/network/profile".to_string(),
        [only] => format!("/p/{only}"),
        [] => "/network/profile".to_string(),
        _ => "/portals".to_string(),
    };
    let entry = if row.two_factor {
        Entry::CodeNeeded
    } else {
        Entry::Session(session::create_logged_in(pool, account_id, remember, origin, now).await?)
    };
    Ok(LoggedIn { account_id, entry, destination, time_zone: row.time_zone.unwrap_or_default() })
}

/// Whether the account's memberships let it log in: not while it only awaits approval,
/// and not once it is dismissed everywhere (dismissal closes the door).
pub fn let_in_by(statuses: &[MembershipStatus]) -> Result<(), AppError> {
    if statuses.contains(&MembershipStatus::Active) {
        Ok(())
    } else if statuses.contains(&MembershipStatus::PendingApproval) {
        Err(AppError::AwaitingApproval)
    } else if statuses.contains(&MembershipStatus::Dismissed) {
        Err(AppError::AccessClosed)
    } else {
        Ok(())
    }
}

/// Keeps the zone the account's browser reported: its times are shown in it.
pub async fn remember_time_zone(pool: &PgPool, account_id: i64, zone: Zone) -> Result<(), AppError> {
    sqlx::query!("UPDATE accounts SET time_zone = $2 WHERE id = $1 AND time_zone <> $2", account_id, zone.name()).execute(pool).await?;
    Ok(())
}

/// A refused guess: logged every time, and entered in the account's portals' audit logs
/// once per throttle window (an attack must not flood them).
async fn record_lock_out(pool: &PgPool, account: Option<i64>, login: &str, client: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    const EVENT: &str = "log-in locked after repeated failures";
    tracing::warn!(target: "security", event = EVENT, login, client, "log-in refused by the throttle");
    let Some(account_id) = account else { return Ok(()) };
    let entered = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM audit_log WHERE subject_id = $1 AND action = $2 AND at > $3) AS "entered!""#,
        account_id,
        EVENT,
        now - FAILURES_PER_LOGIN.window
    )
    .fetch_one(pool)
    .await?;
    if entered {
        return Ok(());
    }
    audit::security_event(pool, Some(account_id), EVENT, &format!("latest attempt from {client}"), now).await
}

/// Reset requests one client address may make per hour, whatever the logins.
pub const RESETS_PER_CLIENT: Limit = Limit { bucket: "reset-client", max: 20, window: Duration::hours(1) };

/// Counts one reset request of the client (429 past the limit), for every login alike.
pub async fn count_reset_request(pool: &PgPool, client: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let _counted = throttle::take(pool, &[(RESETS_PER_CLIENT, client)], now).await?;
    Ok(())
}

/// How a reset reaches the person: by the kind of login typed, never by whether it has
/// an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetBy {
    /// A link, e-mailed.
    Link,
    /// A 6-digit code, by SMS.
    Code,
}

/// Sends a reset link (an e-mail login) or code (a phone login) if the login belongs to
/// an account. Answers the same either way.
pub async fn request_password_reset(pool: &PgPool, config: &Config, raw_login: &str, now: DateTime<Utc>) -> Result<ResetBy, AppError> {
    let login = normalize_login_input(raw_login, config.phone_region.as_deref());
    if login.is_empty() {
        return Err(AppError::invalid("login", "Enter your login."));
    }
    if login.chars().count() > crate::domain::LOGIN_MAX_CHARS {
        return Err(AppError::invalid("login", "This is not a login: enter your e-mail address or phone number."));
    }
    let by = if is_phone_login(&login) { ResetBy::Code } else { ResetBy::Link };
    let Some(account) = sqlx::query!("SELECT id FROM accounts WHERE login = $1", login).fetch_optional(pool).await? else {
        return Ok(by);
    };
    if by == ResetBy::Code {
        send_reset_code(pool, config, account.id, &login, now).await?;
        return Ok(by);
    }
    let mut tx = pool.begin().await?;
    // Serializes concurrent requests for one account so the hourly cap holds.
    sqlx::query!("SELECT id FROM accounts WHERE id = $1 FOR UPDATE", account.id).fetch_one(&mut *tx).await?;
    let recent = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM account_tokens
           WHERE account_id = $1 AND purpose = 'password_reset' AND created_at > $2"#,
        account.id,
        now - Duration::hours(1),
    )
    .fetch_one(&mut *tx)
    .await?;
    if recent >= MAX_RESET_EMAILS_PER_HOUR {
        return Ok(by);
    }
    // Past the instance's daily e-mail cap nothing is sent, and the answer stays the same.
    if let Err(refused) = quota::spend(&mut tx, config, Channel::Email, None, 1, now).await {
        tracing::warn!(%refused, "password reset e-mail not sent");
        return Ok(by);
    }
    let (token, hash) = new_secret();
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
         VALUES ($1, $2, 'password_reset', $3, $4)",
        hash,
        account.id,
        now,
        now + RESET_LINK_LIFETIME,
    )
    .execute(&mut *tx)
    .await?;
    let link = config.link(&format!("/reset-password?token={token}"));
    let brand = letters::account_brand(&mut tx, account.id).await?;
    let email = letters::reset_password(&letters::AccountLink { brand: &brand, login: &login, link: &link })?;
    enqueue_email(&mut *tx, &login, &email, &[&token]).await?;
    audit::security_event(&mut *tx, Some(account.id), "password reset requested", "", now).await?;
    tx.commit().await?;
    Ok(by)
}

/// Texts a reset code to a phone login. Past the hourly share or the SMS caps nothing is
/// sent, and the answer stays the same.
async fn send_reset_code(pool: &PgPool, config: &Config, account_id: i64, phone: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    // Serializes concurrent requests for one account so the hourly share holds.
    sqlx::query!("SELECT id FROM accounts WHERE id = $1 FOR UPDATE", account_id).fetch_one(&mut *tx).await?;
    let Some(code) = sms_codes::issue(&mut tx, account_id, CodePurpose::PasswordReset, phone, now).await? else { return Ok(()) };
    if let Err(refused) = quota::spend(&mut tx, config, Channel::Sms, None, 1, now).await {
        tracing::warn!(%refused, "password reset SMS not sent");
        return Ok(());
    }
    let text = format!("{code} is your Bitrix24 password reset code. It works for 10 minutes. If you did not ask for it, ignore this SMS.");
    enqueue_sms(&mut *tx, phone, "Password reset code", &text, &[&code]).await?;
    audit::security_event(&mut *tx, Some(account_id), "password reset requested", "code by SMS", now).await?;
    tx.commit().await?;
    Ok(())
}

/// Guesses at SMS codes: per login typed and per client, on top of each code's own 5 tries.
pub const CODE_GUESSES_PER_LOGIN: Limit = Limit { bucket: "sms-code", max: 10, window: Duration::minutes(15) };
pub const CODE_GUESSES_PER_CLIENT: Limit = Limit { bucket: "sms-code-client", max: 50, window: Duration::minutes(15) };

/// Sets a new password with the code texted to a phone login, and ends every session of
/// the account. A wrong code, an unknown number and an expired code get one answer.
#[allow(clippy::too_many_arguments)] // time and client stay explicit so tests can drive them
pub async fn reset_password_with_code(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    raw_login: &str,
    code: &str,
    new_password: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let login = normalize_login_input(raw_login, config.phone_region.as_deref());
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("code", "Enter the 6-digit code from the SMS."));
    }
    check_new_password(new_password).map_err(|message| AppError::invalid("password", message))?;
    // Counted before the code is checked, so guesses sent in parallel cannot pass.
    let _counted = throttle::take(pool, &[(CODE_GUESSES_PER_LOGIN, &login), (CODE_GUESSES_PER_CLIENT, client)], now).await?;
    // Hashed before the number is looked up: an unknown number costs the same hash, so its
    // answer comes no sooner than a known number's.
    let new_hash = passwords.hash(new_password).await?;
    let Some(account_id) = sqlx::query_scalar!("SELECT id FROM accounts WHERE login = $1", login).fetch_optional(pool).await? else {
        return Err(sms_codes::wrong_code());
    };
    let mut tx = pool.begin().await?;
    if let Checked::Wrong = sms_codes::check(&mut tx, account_id, CodePurpose::PasswordReset, code, now).await? {
        // The try stays counted.
        tx.commit().await?;
        return Err(sms_codes::wrong_code());
    }
    sqlx::query!("UPDATE accounts SET password_hash = $2, must_change_password = false WHERE id = $1", account_id, new_hash)
        .execute(&mut *tx)
        .await?;
    void_unused_tokens(&mut tx, account_id, now).await?;
    session::end_all_for_account(&mut *tx, account_id, None).await?;
    audit::security_event(&mut *tx, Some(account_id), "password reset", "with a code sent by SMS", now).await?;
    tx.commit().await?;
    Ok(())
}

/// A single-use link, used: its account, and the address it was sent for (login changes
/// and address confirmations).
pub struct UsedLink {
    pub account_id: i64,
    pub address: Option<String>,
}

/// Uses a live link of this purpose, or answers `LinkExpired`. Marking the token used in
/// the same statement that checks it makes it single-use even when two requests race.
pub async fn use_link(tx: &mut PgConnection, token: &str, purpose: &str, now: DateTime<Utc>) -> Result<UsedLink, AppError> {
    let used = sqlx::query!(
        "UPDATE account_tokens SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING account_id, new_login",
        hash_secret(token),
        purpose,
        now,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::LinkExpired)?;
    Ok(UsedLink { account_id: used.account_id, address: used.new_login })
}

/// Whether a link token of this purpose can still be used (for showing the right page).
pub async fn link_is_usable(pool: &PgPool, token: &str, purpose: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    let usable = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM account_tokens
           WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3) AS "usable!""#,
        hash_secret(token),
        purpose,
        now,
    )
    .fetch_one(pool)
    .await?;
    Ok(usable)
}

/// Sets a new password from a reset link, and ends every session of the account.
pub async fn reset_password(
    pool: &PgPool,
    passwords: &Passwords,
    token: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    check_new_password(new_password).map_err(|message| AppError::invalid("password", message))?;
    // The link first: a request without a live link costs no hash.
    if !link_is_usable(pool, token, "password_reset", now).await? {
        return Err(AppError::LinkExpired);
    }
    let new_hash = passwords.hash(new_password).await?;
    let mut tx = pool.begin().await?;
    let account_id = use_link(&mut tx, token, "password_reset", now).await?.account_id;
    let login = sqlx::query_scalar!(
        "UPDATE accounts SET password_hash = $2, must_change_password = false WHERE id = $1 RETURNING login",
        account_id,
        new_hash
    )
    .fetch_one(&mut *tx)
    .await?;
    // The link came to the login's address: that proves the address.
    if Email::parse(&login).is_ok() {
        super::email_confirmation::mark_proven(&mut tx, account_id, now).await?;
    }
    void_unused_tokens(&mut tx, account_id, now).await?;
    session::end_all_for_account(&mut *tx, account_id, None).await?;
    if Email::parse(&login).is_ok() {
        let brand = letters::account_brand(&mut tx, account_id).await?;
        let email = letters::password_changed(&letters::PasswordChanged { brand: &brand, by_reset_link: true })?;
        enqueue_email(&mut *tx, &login, &email, &[]).await?;
    }
    audit::security_event(&mut *tx, Some(account_id), "password reset with a link", "every session logged out", now).await?;
    tx.commit().await?;
    Ok(())
}

/// A new password voids every link the account has not used yet (other resets, a
/// set-your-password link, a pending login change): whoever asked for them with the old
/// password, a phisher say, loses them with it.
pub async fn void_unused_tokens(tx: &mut PgConnection, account_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query!("UPDATE account_tokens SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL", account_id, now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Creates a network account unless its login is taken (by a concurrent sign-up too);
/// answers the new id, or None when the login already has an account. Invitation
/// acceptance, Register and quick registration all add accounts this way.
pub async fn create_account(
    db: &mut PgConnection,
    login: &str,
    password_hash: &str,
    first_name: &str,
    last_name: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO accounts (login, password_hash, first_name, last_name, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (login) DO NOTHING RETURNING id",
        login,
        password_hash,
        first_name,
        last_name,
        now
    )
    .fetch_optional(&mut *db)
    .await?)
}
