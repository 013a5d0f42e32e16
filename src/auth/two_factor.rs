//! Two-factor log-in (TOTP, RFC 6238): set up in the network profile, asked for after the
//! password, with ten single-use recovery codes for a lost phone. The secret is sealed at
//! rest; recovery codes and the half-done log-ins' secrets are kept only as hashes; code
//! guesses are counted before they are checked, like passwords; each code works once.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::session::{self, Origin, SessionAccount};
use crate::audit;
use crate::crypto::sealing::MailboxKey;
use crate::crypto::tokens::{hash_secret, new_secret};
use crate::error::AppError;
use crate::server::config::Config;
use crate::throttle::{self, Limit, Taken};

/// How long the code may take after the password.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Wrong codes allowed per account and per client address in any 15 minutes. Five per
/// account (not ten, as for passwords): whoever guesses here already has the password.
pub const CODE_GUESSES_PER_ACCOUNT: Limit = Limit { bucket: "two-factor", max: 5, window: Duration::minutes(15) };
pub const CODE_GUESSES_PER_CLIENT: Limit = Limit { bucket: "two-factor-client", max: 50, window: Duration::minutes(15) };

/// The name authenticator apps show above the code.
const ISSUER: &str = "Bitrix24";
const SECRET_BYTES: usize = 20;
const WRONG_CODE: &str = "This code is not right. Enter the newest code from your app, or one of your recovery codes.";
const WRONG_APP_CODE: &str = "This code is not right. Enter the newest 6-digit code from your app.";

/// Recovery codes: 16 characters of a 32-letter alphabet (80 random bits), without the
/// look-alikes l, o, 0 and 1.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
const RECOVERY_CODE_CHARS: usize = 16;

/// A code as typed: six digits from the app, or a recovery code (dashes and spaces and
/// case do not matter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedCode {
    App(String),
    Recovery(String),
}

impl TypedCode {
    pub fn read(raw: &str) -> Option<TypedCode> {
        let plain: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase();
        if plain.len() == 6 && plain.chars().all(|c| c.is_ascii_digit()) {
            return Some(TypedCode::App(plain));
        }
        let is_recovery = plain.len() == RECOVERY_CODE_CHARS && plain.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        is_recovery.then_some(TypedCode::Recovery(plain))
    }
}

/// Ten fresh recovery codes, as shown ("abcd-efgh-jkmn-pqrs").
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_CHARS];
            OsRng.fill_bytes(&mut bytes);
            // 256 is a multiple of 32: every letter is equally likely.
            let letters: Vec<char> = bytes.iter().map(|b| RECOVERY_ALPHABET[usize::from(b % 32)] as char).collect();
            letters.chunks(4).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join("-")
        })
        .collect()
}

fn recovery_hash(code: &str) -> Vec<u8> {
    let plain: String = code.chars().filter(|c| *c != '-').collect();
    hash_secret(&plain)
}

/// What a sealed secret is bound to: a secret copied onto another account does not open.
fn owner_tag(account_id: i64) -> Vec<u8> {
    format!("two-factor:{account_id}").into_bytes()
}

fn key_of(config: &Config) -> Result<&MailboxKey, AppError> {
    config.mailbox_key.as_ref().ok_or_else(|| {
        AppError::Conflict(
            "Two-factor log-in is not available on this server yet: its administrator must configure MAILBOX_KEY_FILE.".into(),
        )
    })
}

fn totp(secret_base32: &str, login: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_base32).map_err(|_| internal("a two-factor secret is not base32"))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        // The code before and after the current one count too: clocks drift, people type slowly.
        .with_skew(1)
        .with_secret(secret)
        // The account name may not hold a colon (it separates the issuer in the address).
        .with_account_name(login.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|error| internal(&format!("two-factor set-up: {error}")))
}

fn internal(what: &str) -> AppError {
    tracing::error!(what, "two-factor log-in");
    AppError::Internal
}

fn unix_seconds(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

/// The account's two-factor state, for its network profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub on_since: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
}

pub async fn status(pool: &PgPool, account_id: i64) -> Result<Status, AppError> {
    let row = sqlx::query!(
        r#"SELECT (SELECT enabled_at FROM two_factor WHERE account_id = $1) AS on_since,
                  (SELECT count(*) FROM two_factor_recovery_codes WHERE account_id = $1 AND used_at IS NULL) AS "left!""#,
        account_id
    )
    .fetch_one(pool)
    .await?;
    Ok(Status { on_since: row.on_since, recovery_codes_left: if row.on_since.is_some() { row.left } else { 0 } })
}

/// Whether the account logs in with a code after its password.
pub async fn is_on(db: &mut PgConnection, account_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM two_factor WHERE account_id = $1 AND enabled_at IS NOT NULL) AS "on!""#,
        account_id
    )
    .fetch_one(&mut *db)
    .await?)
}

/// A set-up under way: the secret for the app, as text and as an `otpauth://` address
/// drawn as a QR code.
#[derive(Debug, Clone)]
pub struct SetupStarted {
    /// Base32, in groups of four for typing.
    pub secret: String,
    pub address: String,
    pub qr_svg: String,
}

/// Starts (or starts again) setting up two-factor log-in: a new secret, kept sealed and
/// not yet in force. Answers Conflict when two-factor log-in is already on.
pub async fn begin_setup(pool: &PgPool, config: &Config, me: &SessionAccount, now: DateTime<Utc>) -> Result<SetupStarted, AppError> {
    let key = key_of(config)?;
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    let secret = Secret::from(bytes.to_vec()).to_base32();
    let sealed = key.seal(&secret, &owner_tag(me.account_id)).map_err(|e| internal(&e))?;
    let started = sqlx::query_scalar!(
        "INSERT INTO two_factor (account_id, secret, key_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, key_id = excluded.key_id, created_at = excluded.created_at
         WHERE two_factor.enabled_at IS NULL
         RETURNING account_id",
        me.account_id,
        sealed,
        key.id(),
        now
    )
    .fetch_optional(pool)
    .await?;
    if started.is_none() {
        return Err(AppError::Conflict("Two-factor log-in is already on.".into()));
    }
    let address = totp(&secret, &me.login)?.to_url().map_err(|error| internal(&format!("otpauth address: {error}")))?;
    let qr = qrcode::QrCode::new(address.as_bytes()).map_err(|error| internal(&format!("QR code: {error}")))?;
    let svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    // Inline SVG in an HTML page: the XML declaration has no place there.
    let qr_svg = svg.find("<svg").map_or(svg.clone(), |start| svg[start..].to_string());
    let grouped = secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    Ok(SetupStarted { secret: grouped, address, qr_svg })
}

/// The stored secret of the account (set up, or being set up), opened.
async fn open_secret(tx: &mut PgConnection, key: &MailboxKey, account_id: i64, enabled: bool) -> Result<Option<(String, i64)>, AppError> {
    let Some(row) = sqlx::query!(
        "SELECT secret, key_id, last_step FROM two_factor WHERE account_id = $1 AND (enabled_at IS NOT NULL) = $2 FOR UPDATE",
        account_id,
        enabled
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    if row.key_id != key.id() {
        tracing::error!(stored = row.key_id, configured = key.id(), "a two-factor secret was sealed with another MAILBOX_KEY");
        return Err(AppError::Internal);
    }
    let secret = key.open(&row.secret, &owner_tag(account_id)).map_err(|e| internal(&e))?;
    Ok(Some((secret, row.last_step)))
}

/// Checks an app code against the account's secret and, when right, records its time
/// step so the same code cannot be used again. False for a wrong or reused code.
async fn use_app_code(
    tx: &mut PgConnection,
    key: &MailboxKey,
    account_id: i64,
    login: &str,
    code: &str,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Some((secret, last_step)) = open_secret(tx, key, account_id, enabled).await? else { return Ok(false) };
    let Some(step) = totp(&secret, login)?.check(code, unix_seconds(now)) else { return Ok(false) };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if step <= last_step {
        return Ok(false);
    }
    sqlx::query!("UPDATE two_factor SET last_step = $2 WHERE account_id = $1", account_id, step).execute(&mut *tx).await?;
    Ok(true)
}

/// Uses one recovery code; None when it is not one of the account's unused codes, else
/// how many are left. Marking it used in the statement that finds it makes it single-use
/// even when two requests race.
async fn use_recovery_code(tx: &mut PgConnection, account_id: i64, code: &str, now: DateTime<Utc>) -> Result<Option<i64>, AppError> {
    let used = sqlx::query_scalar!(
        "UPDATE two_factor_recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id",
        account_id,
        recovery_hash(code),
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if used.is_none() {
        return Ok(None);
    }
    let left = sqlx::query_scalar!(
        r#"SELECT count(*) AS "left!" FROM two_factor_recovery_codes WHERE account_id = $1 AND used_at IS NULL"#,
        account_id
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(left))
}

/// Replaces the account's recovery codes with ten new ones and answers them: the only
/// time they are shown.
async fn replace_recovery_codes(tx: &mut PgConnection, account_id: i64) -> Result<Vec<String>, AppError> {
    let codes = new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|code| recovery_hash(code)).collect();
    sqlx::query!("DELETE FROM two_factor_recovery_codes WHERE account_id = $1", account_id).execute(&mut *tx).await?;
    sqlx::query!(
        "INSERT INTO two_factor_recovery_codes (account_id, code_hash) SELECT $1, hash FROM unnest($2::bytea[]) AS hash",
        account_id,
        &hashes
    )
    .execute(&mut *tx)
    .await?;
    Ok(codes)
}

/// Counts one code guess of the account from the client, before the code is checked.
async fn take_guess(pool: &PgPool, account_id: i64, client: &str, now: DateTime<Utc>) -> Result<Taken, AppError> {
    throttle::take(pool, &[(CODE_GUESSES_PER_ACCOUNT, &account_id.to_string()), (CODE_GUESSES_PER_CLIENT, client)], now).await
}

/// A right code: the guess does not count, and the account's wrong guesses are forgotten.
async fn right_guess(pool: &PgPool, account_id: i64, guess: Taken) -> Result<(), AppError> {
    throttle::forgive(pool, guess, CODE_GUESSES_PER_ACCOUNT, &account_id.to_string()).await
}

/// A wrong code: the guess stays counted, and the account's security log says so.
async fn wrong_guess(pool: &PgPool, account_id: i64, client: &str, now: DateTime<Utc>, field_message: &str) -> AppError {
    if let Err(error) = audit::security_event(pool, Some(account_id), "wrong two-factor code", &format!("from {client}"), now).await {
        return error;
    }
    AppError::invalid("code", field_message)
}

/// A code typed by the signed-in person, checked under the throttle: the set-up must be in
/// force (`enabled`) or under way. Answers the open transaction, in which the code's use
/// is recorded, and the guess to forgive once the change it allows commits.
#[allow(clippy::too_many_arguments)] // time and client stay explicit so tests can drive them
async fn check_own_code(
    pool: &PgPool,
    key: &MailboxKey,
    me: &SessionAccount,
    code: &TypedCode,
    enabled: bool,
    wrong_message: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, Taken), AppError> {
    let guess = take_guess(pool, me.account_id, client, now).await?;
    let mut tx = pool.begin().await?;
    let in_state = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM two_factor WHERE account_id = $1 AND (enabled_at IS NOT NULL) = $2) AS "in_state!""#,
        me.account_id,
        enabled
    )
    .fetch_one(&mut *tx)
    .await?;
    if !in_state {
        throttle::release(pool, guess).await?;
        let message = if enabled { "Two-factor log-in is off." } else { "Start the set-up again: press \"Set up two-factor log-in\"." };
        return Err(AppError::Conflict(message.into()));
    }
    let right = match code {
        TypedCode::App(code) => use_app_code(&mut tx, key, me.account_id, &me.login, code, enabled, now).await?,
        TypedCode::Recovery(code) => use_recovery_code(&mut tx, me.account_id, code, now).await?.is_some(),
    };
    if !right {
        // The guess stays counted, and a wrong recovery code used nothing up.
        tx.commit().await?;
        return Err(wrong_guess(pool, me.account_id, client, now, wrong_message).await);
    }
    Ok((tx, guess))
}

/// Confirms a set-up with a code from the app: two-factor log-in is on from now, and the
/// answer is the ten recovery codes. The password is asked again first (so a browser
/// left logged in cannot lock its owner out).
#[allow(clippy::too_many_arguments)] // time and client stay explicit so tests can drive them
pub async fn confirm_setup(
    pool: &PgPool,
    passwords: &crate::crypto::passwords::Passwords,
    config: &Config,
    me: &SessionAccount,
    current_password: &str,
    raw_code: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let key = key_of(config)?;
    let Some(code @ TypedCode::App(_)) = TypedCode::read(raw_code) else {
        return Err(AppError::invalid("code", "Enter the 6-digit code from your authenticator app."));
    };
    super::service::check_current_password(pool, passwords, me, current_password, client, now).await?;
    let (mut tx, guess) = check_own_code(pool, key, me, &code, false, WRONG_APP_CODE, client, now).await?;
    sqlx::query!("UPDATE two_factor SET enabled_at = $2 WHERE account_id = $1", me.account_id, now).execute(&mut *tx).await?;
    let codes = replace_recovery_codes(&mut tx, me.account_id).await?;
    // Sessions opened with the password alone (a stolen one, say) end here.
    session::end_all_for_account(&mut *tx, me.account_id, Some(&me.token_hash)).await?;
    audit::security_event(&mut *tx, Some(me.account_id), "two-factor log-in turned on", "other sessions logged out", now).await?;
    tx.commit().await?;
    right_guess(pool, me.account_id, guess).await?;
    Ok(codes)
}

/// Ten new recovery codes for a code from the app; the old ones stop working.
pub async fn renew_recovery_codes(
    pool: &PgPool,
    config: &Config,
    me: &SessionAccount,
    raw_code: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let key = key_of(config)?;
    let Some(code @ TypedCode::App(_)) = TypedCode::read(raw_code) else {
        return Err(AppError::invalid("code", "Enter the 6-digit code from your authenticator app."));
    };
    let (mut tx, guess) = check_own_code(pool, key, me, &code, true, WRONG_APP_CODE, client, now).await?;
    let codes = replace_recovery_codes(&mut tx, me.account_id).await?;
    audit::security_event(&mut *tx, Some(me.account_id), "new two-factor recovery codes", "the old ones no longer work", now).await?;
    tx.commit().await?;
    right_guess(pool, me.account_id, guess).await?;
    Ok(codes)
}

/// Turns two-factor log-in off, for a code from the app or a recovery code.
pub async fn turn_off(
    pool: &PgPool,
    config: &Config,
    me: &SessionAccount,
    raw_code: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let key = key_of(config)?;
    let Some(code) = TypedCode::read(raw_code) else {
        return Err(AppError::invalid("code", "Enter the 6-digit code from your app, or one of your recovery codes."));
    };
    let (mut tx, guess) = check_own_code(pool, key, me, &code, true, WRONG_CODE, client, now).await?;
    remove(&mut tx, me.account_id).await?;
    audit::security_event(&mut *tx, Some(me.account_id), "two-factor log-in turned off", "", now).await?;
    tx.commit().await?;
    right_guess(pool, me.account_id, guess).await?;
    Ok(())
}

/// Removes the account's two-factor set-up, its recovery codes and its log-ins waiting
/// for a code. True when there was a set-up to remove.
pub async fn remove(tx: &mut PgConnection, account_id: i64) -> Result<bool, AppError> {
    let removed = sqlx::query!("DELETE FROM two_factor WHERE account_id = $1", account_id).execute(&mut *tx).await?.rows_affected();
    sqlx::query!("DELETE FROM two_factor_recovery_codes WHERE account_id = $1", account_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM login_challenges WHERE account_id = $1", account_id).execute(&mut *tx).await?;
    Ok(removed > 0)
}

/// The first step of a log-in with two-factor log-in on: the password was right. Answers
/// the secret for the short-lived cookie that carries the log-in to its code.
pub async fn start_log_in(
    pool: &PgPool,
    account_id: i64,
    remember: bool,
    destination: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (token, hash) = new_secret();
    // The account's earlier half-done log-ins end here, and any expired ones with them.
    sqlx::query!(
        "WITH cleared AS (DELETE FROM login_challenges WHERE account_id = $2 OR expires_at <= $5)
         INSERT INTO login_challenges (token_hash, account_id, remember, destination, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        hash,
        account_id,
        remember,
        destination,
        now,
        now + CHALLENGE_LIFETIME
    )
    .execute(pool)
    .await?;
    Ok(token)
}

/// A log-in finished with its code: the new session's secret and where to go.
#[derive(Debug)]
pub struct CodeAccepted {
    pub account_id: i64,
    pub session_token: String,
    pub remember: bool,
    pub destination: String,
}

/// The second step of a log-in: the code from the app, or a recovery code. A right code
/// ends the challenge (it works once) and starts the session, in one transaction.
pub async fn finish_log_in(
    pool: &PgPool,
    config: &Config,
    challenge: &str,
    raw_code: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<CodeAccepted, AppError> {
    let key = key_of(config)?;
    let waiting = sqlx::query!(
        "SELECT c.account_id, c.remember, c.destination, a.login FROM login_challenges c JOIN accounts a ON a.id = c.account_id
         WHERE c.token_hash = $1 AND c.expires_at > $2",
        hash_secret(challenge),
        now
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::LogInExpired)?;
    let Some(code) = TypedCode::read(raw_code) else {
        return Err(AppError::invalid("code", "Enter the 6-digit code from your app, or one of your recovery codes."));
    };
    let client = origin.client_address.as_str();
    let guess = take_guess(pool, waiting.account_id, client, now).await?;
    let mut tx = pool.begin().await?;
    let recovery_codes_left = match &code {
        TypedCode::App(code) => use_app_code(&mut tx, key, waiting.account_id, &waiting.login, code, true, now).await?.then_some(None),
        TypedCode::Recovery(code) => use_recovery_code(&mut tx, waiting.account_id, code, now).await?.map(Some),
    };
    let Some(recovery_codes_left) = recovery_codes_left else {
        tx.commit().await?;
        return Err(wrong_guess(pool, waiting.account_id, client, now, WRONG_CODE).await);
    };
    let ended = sqlx::query!("DELETE FROM login_challenges WHERE token_hash = $1 AND expires_at > $2", hash_secret(challenge), now)
        .execute(&mut *tx)
        .await?;
    if ended.rows_affected() != 1 {
        // Another request with the same challenge finished first (the password changed, or
        // the account was dismissed, since): this one rolls back and its guess is given back.
        drop(tx);
        throttle::release(pool, guess).await?;
        return Err(AppError::LogInExpired);
    }
    // The door as it is now: the account may have been dismissed since the password step.
    let statuses = sqlx::query_scalar!(
        r#"SELECT status AS "status: crate::domain::MembershipStatus" FROM memberships WHERE account_id = $1"#,
        waiting.account_id
    )
    .fetch_all(&mut *tx)
    .await?;
    super::service::let_in_by(&statuses)?;
    let session_token = session::create_logged_in(&mut *tx, waiting.account_id, waiting.remember, origin, now).await?;
    if let Some(left) = recovery_codes_left {
        let detail = format!("from {client}; {left} recovery codes left");
        audit::security_event(&mut *tx, Some(waiting.account_id), "used a two-factor recovery code", &detail, now).await?;
    }
    tx.commit().await?;
    right_guess(pool, waiting.account_id, guess).await?;
    Ok(CodeAccepted { account_id: waiting.account_id, session_token, remember: waiting.remember, destination: waiting.destination })
}

pub const CHALLENGE_COOKIE: &str = "login_step";
/// Over HTTPS, with the `__Host-` prefix, as the session cookie.
pub const SECURE_CHALLENGE_COOKIE: &str = "__Host-login_step";

pub fn challenge_cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_CHALLENGE_COOKIE } else { CHALLENGE_COOKIE }
}

/// The Set-Cookie value that carries a log-in to its code: gone after five minutes, and
/// sent only by this site's own pages (`SameSite=Strict`).
pub fn challenge_cookie(token: &str, secure: bool) -> String {
    let name = challenge_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", CHALLENGE_LIFETIME.num_seconds())
}

pub fn clearing_challenge_cookie(secure: bool) -> String {
    let name = challenge_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_read_as_app_or_recovery_codes() {
        assert_eq!(TypedCode::read(" 123 456 "), Some(TypedCode::App("123456".into())));
        assert_eq!(TypedCode::read("ABCD-EFGH-JKMN-PQRS"), Some(TypedCode::Recovery("abcdefghjkmnpqrs".into())));
        for not_a_code in ["", "12345", "1234567", "abcd-efgh-jkmn-pqr", "abcd-efgh-jkmn-pqr1", "abcdefghjkmnpqrsz"] {
            assert_eq!(TypedCode::read(not_a_code), None, "{not_a_code:?}");
        }
    }

    #[test]
    fn recovery_codes_are_ten_different_readable_codes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert!(matches!(TypedCode::read(code), Some(TypedCode::Recovery(_))), "{code}");
            assert_eq!(recovery_hash(code), recovery_hash(&code.replace('-', "")));
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238, appendix B: the SHA-1 secret "12345678901234567890", at 59 s: 94287082
        // (eight digits); six digits are its last six.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let totp = totp(&secret, "ann@acme.test").unwrap_or_else(|_| panic!("a valid secret"));
        assert_eq!(totp.generate(59).to_string(), "287082");
        assert_eq!(totp.check("287082", 59 + 30), Some(1), "the code before the current one still counts");
        assert_eq!(totp.check("287082", 59 + 90), None, "two steps later it does not");
        assert!(totp.to_url().unwrap_or_default().starts_with("otpauth://totp/Bitrix24:ann%40acme.test?"));
    }

    #[test]
    fn the_challenge_cookie_is_short_lived_and_strict() {
        assert_eq!(challenge_cookie("abc", false), "login_step=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=300");
        assert!(challenge_cookie("abc", true).starts_with("__Host-login_step=abc;"));
        assert!(clearing_challenge_cookie(false).contains("Max-Age=0"));
    }
}
