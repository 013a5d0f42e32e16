use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::{SessionRow, TwoFactorState, letters};
use crate::auth::letters::account_brand;
use crate::auth::password_policy::check_new_password;
use crate::auth::service::{CODE_GUESSES_PER_CLIENT, CODE_GUESSES_PER_LOGIN, check_current_password, void_unused_tokens};
use crate::auth::session::{self, SessionAccount};
use crate::auth::sms_codes::{self, Checked, CodePurpose};
use crate::crypto::passwords::Passwords;
use crate::crypto::tokens::new_secret;
use crate::domain::phone::PhoneNumber;
use crate::domain::time::{Zone, moment};
use crate::domain::{Channel, Email};
use crate::error::AppError;
use crate::mail::outbox::{enqueue_email, enqueue_sms};
use crate::mail::quota;
use crate::server::config::Config;
use crate::throttle::{self, Limit};

pub const LOGIN_CHANGE_LINK_LIFETIME: Duration = Duration::hours(24);

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
    check_current_password(pool, passwords, me, current, client, now).await?;
    let hash = passwords.hash(new).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!("UPDATE accounts SET password_hash = $2, must_change_password = false WHERE id = $1", me.account_id, hash)
        .execute(&mut *tx)
        .await?;
    void_unused_tokens(&mut tx, me.account_id, now).await?;
    session::end_all_for_account(&mut *tx, me.account_id, Some(&me.token_hash)).await?;
    crate::audit::security_event(&mut *tx, Some(me.account_id), "password changed", "other sessions logged out", now).await?;
    if Email::parse(&me.login).is_ok() {
        let brand = account_brand(&mut tx, me.account_id).await?;
        let email = crate::auth::letters::password_changed(&crate::auth::letters::PasswordChanged { brand: &brand, by_reset_link: false })?;
        enqueue_email(&mut *tx, &me.login, &email, &[]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Login change requests one account may make per day (each mails a typed address).
pub const LOGIN_CHANGES_PER_ACCOUNT: Limit = Limit { bucket: "login-change", max: 5, window: Duration::days(1) };

/// A new login as typed: an e-mail address or a phone number.
enum NewLogin {
    Email(Email),
    Phone(PhoneNumber),
}

impl NewLogin {
    fn parse(raw: &str, region: Option<&str>) -> Result<NewLogin, AppError> {
        let typed = raw.trim();
        if typed.contains('@') {
            return Email::parse(typed).map(NewLogin::Email).map_err(|m| AppError::invalid("new_login", m));
        }
        if typed.chars().any(|c| c.is_ascii_digit()) {
            return PhoneNumber::parse(typed, region).map(NewLogin::Phone).map_err(|m| AppError::invalid("new_login", m));
        }
        Err(AppError::invalid("new_login", "Enter an e-mail address or a phone number."))
    }

    fn as_str(&self) -> &str {
        match self {
            NewLogin::Email(email) => email.as_str(),
            NewLogin::Phone(number) => number.as_str(),
        }
    }
}

/// A login change under way: where the proof went, and whether it is a code to type in
/// (a phone number) or a link to open (an e-mail address).
pub struct LoginChangeStarted {
    pub new_login: String,
    pub by_code: bool,
}

/// Starts a login change: a confirmation link to a new address, or a code by SMS to a new
/// number, and a notice to the old address. The login changes only when the link is
/// opened or the code typed in. If the new login already belongs to an account, its
/// owner is told so instead, and the answer here is the same: this form never reveals
/// which logins have accounts.
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
) -> Result<LoginChangeStarted, AppError> {
    let new_login = NewLogin::parse(raw_new_login, config.phone_region.as_deref())?;
    if new_login.as_str() == me.login {
        return Err(AppError::invalid("new_login", "This is already your login."));
    }
    check_current_password(pool, passwords, me, current_password, client, now).await?;
    // Each request messages a login the person typed: a few a day, within the caps.
    let _counted = throttle::take(pool, &[(LOGIN_CHANGES_PER_ACCOUNT, &me.account_id.to_string())], now).await?;

    let mut tx = pool.begin().await?;
    let channel = if matches!(new_login, NewLogin::Phone(_)) { Channel::Sms } else { Channel::Email };
    quota::spend(&mut tx, config, channel, None, 1, now).await?;
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
    sqlx::query!(
        "UPDATE sms_codes SET used_at = $2 WHERE account_id = $1 AND purpose = 'login_change' AND used_at IS NULL",
        me.account_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    match (&new_login, taken) {
        (NewLogin::Email(address), true) => {
            let email = letters::login_taken(&letters::LoginTaken { brand: "Your account", address: address.as_str() })?;
            enqueue_email(&mut *tx, address.as_str(), &email, &[]).await?;
        }
        (NewLogin::Phone(number), true) => {
            let text =
                "Someone asked to use this number as the login of another Bitrix24 account. It already has one, so nothing was changed.";
            enqueue_sms(&mut *tx, number.as_str(), "Login change not possible", text, &[]).await?;
        }
        (NewLogin::Email(address), false) => {
            let (token, hash) = new_secret();
            sqlx::query!(
                "INSERT INTO account_tokens (token_hash, account_id, purpose, new_login, created_at, expires_at)
                 VALUES ($1, $2, 'login_change', $3, $4, $5)",
                hash,
                me.account_id,
                address.as_str(),
                now,
                now + LOGIN_CHANGE_LINK_LIFETIME,
            )
            .execute(&mut *tx)
            .await?;
            let link = config.link(&format!("/network/confirm-login?token={token}"));
            let brand = account_brand(&mut tx, me.account_id).await?;
            let letter = letters::ConfirmLogin { brand: &brand, name: &me.full_name(), address: address.as_str(), link: &link };
            enqueue_email(&mut *tx, address.as_str(), &letters::confirm_login(&letter)?, &[&token]).await?;
        }
        (NewLogin::Phone(number), false) => {
            // The hourly share is part of the daily throttle above; `issue` adds its own.
            if let Some(code) = sms_codes::issue(&mut tx, me.account_id, CodePurpose::LoginChange, number.as_str(), now).await? {
                let text = format!("{code} is your Bitrix24 code to make this number your login. It works for 10 minutes.");
                enqueue_sms(&mut *tx, number.as_str(), "Login change code", &text, &[&code]).await?;
            }
        }
    }
    if Email::parse(&me.login).is_ok() {
        let proof =
            if channel == Channel::Sms { "code sent to the new number is entered" } else { "link sent to the new address is opened" };
        let brand = account_brand(&mut tx, me.account_id).await?;
        let letter = letters::LoginChange { brand: &brand, old: &me.login, new: new_login.as_str(), proof };
        enqueue_email(&mut *tx, &me.login, &letters::login_changing(&letter)?, &[]).await?;
    }
    let detail = format!("to {}", new_login.as_str());
    crate::audit::security_event(&mut *tx, Some(me.account_id), "login change requested", &detail, now).await?;
    tx.commit().await?;
    Ok(LoginChangeStarted { new_login: new_login.as_str().to_string(), by_code: channel == Channel::Sms })
}

/// Finishes a change to a phone login with the code texted to the new number. A wrong or
/// expired code gets one answer; guesses are throttled like reset codes.
pub async fn confirm_login_with_code(
    pool: &PgPool,
    me: &SessionAccount,
    code: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("code", "Enter the 6-digit code from the SMS."));
    }
    let _counted = throttle::take(pool, &[(CODE_GUESSES_PER_LOGIN, &me.login), (CODE_GUESSES_PER_CLIENT, client)], now).await?;
    let mut tx = pool.begin().await?;
    let Checked::Right { phone } = sms_codes::check(&mut tx, me.account_id, CodePurpose::LoginChange, code, now).await? else {
        // The try stays counted.
        tx.commit().await?;
        return Err(sms_codes::wrong_code());
    };
    apply_login_change(&mut tx, me.account_id, &phone, now).await?;
    tx.commit().await?;
    Ok(phone)
}

/// Opens a login change link: the login becomes the confirmed address.
pub async fn confirm_login_change(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let used = crate::auth::service::use_link(&mut tx, token, "login_change", now).await?;
    let (account_id, new_login) = (used.account_id, used.address.ok_or(AppError::LinkExpired)?);
    apply_login_change(&mut tx, account_id, &new_login, now).await?;
    tx.commit().await?;
    Ok(new_login)
}

/// The login becomes `new_login`, proven by a link or a code that reached it; the old
/// address hears of it, so a login moved by someone else does not go unnoticed.
async fn apply_login_change(tx: &mut PgConnection, account_id: i64, new_login: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let old_login = sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1 FOR UPDATE", account_id).fetch_one(&mut *tx).await?;
    // A link that reached an address proves it; a number leaves the address proof as it was.
    let proves_address = Email::parse(new_login).is_ok();
    sqlx::query!(
        "UPDATE accounts SET login = $2, email_confirmed_at = CASE WHEN $4 THEN $3 ELSE email_confirmed_at END WHERE id = $1",
        account_id,
        new_login,
        now,
        proves_address
    )
    .execute(&mut *tx)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            AppError::Conflict("This login became the login of another account in the meantime, so your login was not changed.".into())
        }
        _ => error.into(),
    })?;
    if Email::parse(&old_login).is_ok() {
        let brand = account_brand(&mut *tx, account_id).await?;
        let letter = letters::LoginChange { brand: &brand, old: &old_login, new: new_login, proof: "" };
        enqueue_email(&mut *tx, &old_login, &letters::login_changed(&letter)?, &[]).await?;
    }
    let detail = format!("from {old_login} to {new_login}");
    crate::audit::security_event(&mut *tx, Some(account_id), "login changed", &detail, now).await?;
    Ok(())
}

/// The account's two-factor state, with its date in the account's zone.
pub async fn two_factor_state(pool: &PgPool, me: &SessionAccount, now: DateTime<Utc>) -> Result<TwoFactorState, AppError> {
    let status = crate::auth::two_factor::status(pool, me.account_id).await?;
    let on_since = match status.on_since {
        Some(at) => {
            let zone = sqlx::query_scalar!("SELECT time_zone FROM accounts WHERE id = $1", me.account_id).fetch_one(pool).await?;
            Some(moment(at, Zone::from_stored(&zone), now))
        }
        None => None,
    };
    Ok(TwoFactorState { on_since, recovery_codes_left: status.recovery_codes_left })
}

/// The account's live sessions, this browser's first, with times in the account's zone.
pub async fn sessions(pool: &PgPool, me: &SessionAccount, now: DateTime<Utc>) -> Result<Vec<SessionRow>, AppError> {
    let zone = sqlx::query_scalar!("SELECT time_zone FROM accounts WHERE id = $1", me.account_id).fetch_one(pool).await?;
    let zone = Zone::from_stored(&zone);
    let live = session::live_sessions(pool, me.account_id, &me.token_hash, now).await?;
    Ok(live
        .into_iter()
        .map(|s| {
            let (browser, system) = browser_and_system(&s.user_agent);
            SessionRow {
                id: s.id,
                browser,
                system,
                client_address: if s.client_address.is_empty() { "unknown".into() } else { s.client_address },
                started: moment(s.created_at, zone, now),
                last_seen: moment(s.last_seen_at, zone, now),
                this_device: s.this_device,
            }
        })
        .collect())
}

/// Ends one of the account's sessions from the list; the browser holding it gets the
/// log-in page on its next request.
pub async fn end_session(pool: &PgPool, me: &SessionAccount, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    // Another account's session number ends nothing and reads as unknown; so does this
    // browser's own (it ends with "Log out").
    if !session::end_other_by_id(&mut *tx, me.account_id, id, &me.token_hash).await? {
        return Err(AppError::NotFound);
    }
    crate::audit::security_event(&mut *tx, Some(me.account_id), "session ended", "from the sessions list", now).await?;
    tx.commit().await?;
    Ok(())
}

/// "Log out everywhere else": every session of the account but the asking one ends.
/// Answers how many ended.
pub async fn end_other_sessions(pool: &PgPool, me: &SessionAccount, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut tx = pool.begin().await?;
    let ended = session::end_all_for_account(&mut *tx, me.account_id, Some(&me.token_hash)).await?;
    if ended > 0 {
        crate::audit::security_event(&mut *tx, Some(me.account_id), "logged out everywhere else", &format!("{ended} sessions ended"), now)
            .await?;
    }
    tx.commit().await?;
    Ok(ended)
}

/// "Chrome 131" and "Windows 10" from a User-Agent, or "Unknown browser" and "Unknown
/// system" where it says nothing recognisable.
pub fn browser_and_system(user_agent: &str) -> (String, String) {
    const UNKNOWN: &str = "UNKNOWN";
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let browser = match &parsed {
        Some(ua) if ua.name != UNKNOWN => match ua.version.split('.').next().filter(|v| !v.is_empty() && *v != UNKNOWN) {
            Some(major) => format!("{} {major}", ua.name),
            None => ua.name.to_string(),
        },
        _ => "Unknown browser".to_string(),
    };
    let system = match &parsed {
        Some(ua) if ua.os != UNKNOWN => match ua.os_version.as_ref() {
            // Windows names carry their version already ("Windows 10", then "NT 10.0").
            version if version.is_empty() || version == UNKNOWN || version.starts_with("NT ") => ua.os.to_string(),
            version => format!("{} {version}", ua.os),
        },
        _ => "Unknown system".to_string(),
    };
    (browser, system)
}

#[cfg(test)]
mod tests {
    use super::browser_and_system;

    #[test]
    fn user_agents_read_as_browser_and_system() {
        let chrome_on_windows =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser_and_system(chrome_on_windows), ("Chrome 131".into(), "Windows 10".into()));
        let firefox_on_linux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_and_system(firefox_on_linux), ("Firefox 133".into(), "Linux".into()));
        let safari_on_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let (browser, system) = browser_and_system(safari_on_iphone);
        assert_eq!(browser, "Safari 17");
        assert!(system.starts_with("iPhone"), "{system}");
        assert_eq!(browser_and_system(""), ("Unknown browser".into(), "Unknown system".into()));
        assert_eq!(browser_and_system("a-made-up-agent/1"), ("Unknown browser".into(), "Unknown system".into()));
        // Programs are named for what they are.
        assert_eq!(browser_and_system("curl/8.5.0").0, "HTTP Library curl");
    }
}
