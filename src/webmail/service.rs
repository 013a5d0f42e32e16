//! Connecting, reading and disconnecting a mailbox: the caller's own, or, for an
//! administrator in Manage Email Accounts, an employee's. The IMAP check runs
//! before any transaction opens (a slow mail server must not hold database locks), and
//! the row is written only after it succeeded: a failed check leaves nothing behind.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use super::imap_client::{self, ImapLogin, ImapProblem};
use super::targets::ImapTargets;
use super::{Mailbox, MailboxAccount, Security, parse_host, parse_port};
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::crypto::sealing::{MailboxKey, owner_tag};
use crate::domain::Email;
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::server::AppState;
use crate::throttle::{self, Limit};

/// Mailbox checks allowed per account in 15 minutes, counted before each check runs (a
/// right password gives its place back): enough for typos, too few to guess a password
/// or to use the server as a probe.
pub const FAILED_CHECKS: Limit = Limit { bucket: "mailbox-check", max: 10, window: Duration::minutes(15) };

/// The "Connect mailbox" form as typed.
#[derive(Debug, Clone, Default)]
pub struct ConnectForm {
    pub address: String,
    pub imap_host: String,
    pub imap_port: String,
    pub security: String,
    pub username: String,
    pub password: String,
}

/// Checks each field; the first problem is reported beside its field.
pub fn validate(form: &ConnectForm) -> Result<(Email, ImapLogin), AppError> {
    let address = Email::parse(&form.address).map_err(|m| AppError::invalid("address", m))?;
    let host = parse_host(&form.imap_host).map_err(|m| AppError::invalid("imap_host", m))?;
    let port = parse_port(&form.imap_port).map_err(|m| AppError::invalid("imap_port", m))?;
    let security = Security::parse(&form.security).ok_or_else(|| AppError::invalid("security", "Choose SSL/TLS or STARTTLS."))?;
    let username = form.username.trim();
    if username.is_empty() {
        return Err(AppError::invalid("username", "Enter the user name of the mailbox (often the address itself)."));
    }
    if username.chars().count() > 254 || username.chars().any(char::is_control) {
        return Err(AppError::invalid("username", "This user name is not valid."));
    }
    if form.password.is_empty() {
        return Err(AppError::invalid("password", "Enter the mailbox password."));
    }
    if form.password.chars().count() > 1024 || form.password.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(AppError::invalid("password", "This password is not valid."));
    }
    Ok((address, ImapLogin { host, port, security, username: username.to_string(), password: form.password.clone() }))
}

/// The message beside the field the problem concerns. Every failure to reach a mail
/// server reads the same, so the answers cannot be used to tell open, closed, filtered
/// and forbidden addresses apart; the log keeps the detail.
pub fn problem_to_error(problem: &ImapProblem, login: &ImapLogin) -> AppError {
    match problem {
        ImapProblem::LoginRefused => AppError::invalid("password", "The mail server refused this user name or password."),
        _ => AppError::invalid(
            "imap_host",
            format!(
                "Could not connect to a mail server at {}:{}. Check the server name, the port and the security choice (SSL/TLS is usually port 993, STARTTLS port 143).",
                login.host, login.port
            ),
        ),
    }
}

/// Whose mailbox a call acts on.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub portal_id: i64,
    pub account_id: i64,
}

impl Owner {
    pub fn of(caller: &PortalCaller) -> Owner {
        Owner { portal_id: caller.portal_id, account_id: caller.account_id }
    }
}

/// An employee's mailbox, for an administrator: the employee is named by their login
/// (an e-mail address or phone number) and must be an active member of the portal.
pub async fn employee_owner(pool: &PgPool, caller: &PortalCaller, login: &str, region: Option<&str>) -> Result<Owner, AppError> {
    caller.require_admin()?;
    let login = crate::domain::phone::normalize_login_input(login, region);
    let account_id = sqlx::query_scalar!(
        "SELECT a.id FROM accounts a JOIN memberships m ON m.account_id = a.id
         WHERE a.login = $1 AND m.portal_id = $2 AND m.status = 'active'",
        login,
        caller.portal_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::invalid("employee", "No employee of this portal logs in with this."))?;
    Ok(Owner { portal_id: caller.portal_id, account_id })
}

/// Manage Email Accounts: every connected mailbox of the portal, for administrators.
pub async fn accounts(pool: &PgPool, caller: &PortalCaller, now: DateTime<Utc>) -> Result<Vec<MailboxAccount>, AppError> {
    caller.require_admin()?;
    let rows = sqlx::query!(
        r#"SELECT mb.account_id, a.first_name || ' ' || a.last_name AS "name!", a.login, mb.address, mb.imap_host, mb.imap_port,
                  mb.security, mb.last_checked_at
           FROM mailboxes mb JOIN accounts a ON a.id = mb.account_id
           JOIN memberships m ON m.portal_id = mb.portal_id AND m.account_id = mb.account_id
           WHERE mb.portal_id = $1 AND m.status = 'active'
           ORDER BY m.sort_name, mb.account_id"#,
        caller.portal_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MailboxAccount {
            account_id: r.account_id,
            name: r.name,
            login: r.login,
            address: r.address,
            server: format!("{}:{} ({})", r.imap_host, r.imap_port, Security::parse(&r.security).unwrap_or(Security::Tls).label()),
            last_checked: r.last_checked_at.map(|at| crate::domain::time::moment(at, caller.zone, now)),
        })
        .collect())
}

fn key_of(state: &AppState) -> Result<&MailboxKey, AppError> {
    state.config.mailbox_key.as_ref().ok_or_else(|| {
        AppError::Conflict("Webmail is not set up on this server yet: its administrator must configure MAILBOX_KEY_FILE.".into())
    })
}

pub async fn mailbox(pool: &PgPool, caller: &PortalCaller, owner: Owner, now: DateTime<Utc>) -> Result<Option<Mailbox>, AppError> {
    let row = sqlx::query!(
        "SELECT address, imap_host, imap_port, security, username, connected_at FROM mailboxes
         WHERE portal_id = $1 AND account_id = $2",
        owner.portal_id,
        owner.account_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Mailbox {
        address: r.address,
        imap_host: r.imap_host,
        imap_port: u16::try_from(r.imap_port).unwrap_or_default(),
        security: Security::parse(&r.security).unwrap_or(Security::Tls),
        username: r.username,
        connected_at: crate::domain::time::moment(r.connected_at, caller.zone, now),
    }))
}

/// Proves the settings with an IMAP log-in, then saves them (replacing a mailbox
/// connected before). Answers the saved mailbox and the INBOX message count.
/// Proves the settings with an IMAP log-in, then saves them as `owner`'s mailbox. The
/// caller's own account pays the check throttle, whoever the mailbox is for.
pub async fn connect(
    state: &AppState,
    caller: &PortalCaller,
    owner: Owner,
    form: &ConnectForm,
    now: DateTime<Utc>,
) -> Result<(Mailbox, u32), AppError> {
    let (address, login) = validate(form)?;
    let targets = ImapTargets::from_config(&state.config);
    if !targets.allows_port(login.port) {
        return Err(AppError::invalid("imap_port", targets.port_hint()));
    }
    let key = key_of(state)?;
    let pool = &state.pool;
    // Taken before the check, so checks sent in parallel are counted before any runs.
    let account = caller.account_id.to_string();
    let attempt = throttle::take(pool, &[(FAILED_CHECKS, &account)], now).await?;
    let messages = match imap_client::check_mailbox(&login, state.imap_tls.clone(), &targets).await {
        Ok(messages) => messages,
        Err(problem) => {
            tracing::info!(account = caller.account_id, host = %login.host, port = login.port, ?problem, "mailbox check failed");
            return Err(problem_to_error(&problem, &login));
        }
    };

    let sealed = key.seal(&login.password, &owner_tag(owner.portal_id, owner.account_id)).map_err(|e| {
        tracing::error!("sealing a mailbox password: {e}");
        AppError::Internal
    })?;
    let mut tx = pool.begin().await?;
    // The check can take seconds: an administrator saving someone else's mailbox may have
    // lost the role meanwhile, so it is checked again under the portal's lock.
    if owner.account_id != caller.account_id {
        lock_portal_as_admin(&mut tx, caller).await?;
    }
    // The owner may have been dismissed while the check ran; the foreign key to an
    // existing membership holds, so re-check the status under this transaction.
    let still_active = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE portal_id = $1 AND account_id = $2 AND status = 'active') AS "active!""#,
        owner.portal_id,
        owner.account_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !still_active {
        return Err(AppError::NotFound);
    }
    sqlx::query!(
        "INSERT INTO mailboxes (portal_id, account_id, address, imap_host, imap_port, security, username, sealed_password, key_id, connected_at, last_checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (portal_id, account_id) DO UPDATE SET
           address = EXCLUDED.address, imap_host = EXCLUDED.imap_host, imap_port = EXCLUDED.imap_port,
           security = EXCLUDED.security, username = EXCLUDED.username, sealed_password = EXCLUDED.sealed_password,
           key_id = EXCLUDED.key_id, connected_at = EXCLUDED.connected_at, last_checked_at = EXCLUDED.last_checked_at",
        owner.portal_id,
        owner.account_id,
        address.as_str(),
        login.host,
        i32::from(login.port),
        login.security.key(),
        login.username,
        sealed,
        key.id(),
        now
    )
    .execute(&mut *tx)
    .await?;
    if owner.account_id != caller.account_id {
        crate::audit::record(
            &mut tx,
            caller.portal_id,
            caller.account_id,
            "connected a mailbox",
            Some(owner.account_id),
            address.as_str(),
            now,
        )
        .await?;
    }
    // Profiles show the mailbox address.
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    // Saved: the account's failed checks are forgotten, this attempt's place included.
    throttle::forgive(pool, attempt, FAILED_CHECKS, &account).await?;
    let saved = mailbox(pool, caller, owner, now).await?.ok_or(AppError::Internal)?;
    Ok((saved, messages))
}

/// Removes `owner`'s mailbox (and with it the sealed password).
pub async fn disconnect(pool: &PgPool, caller: &PortalCaller, owner: Owner, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    // Someone else's mailbox: the role as it is now, under the portal's lock.
    if owner.account_id != caller.account_id {
        lock_portal_as_admin(&mut tx, caller).await?;
    }
    let removed = sqlx::query_scalar!(
        "DELETE FROM mailboxes WHERE portal_id = $1 AND account_id = $2 RETURNING address",
        owner.portal_id,
        owner.account_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(address) = removed.filter(|_| owner.account_id != caller.account_id) {
        crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "disconnected a mailbox", Some(owner.account_id), &address, now)
            .await?;
    }
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(())
}

/// Logs in with the saved settings and counts the INBOX: what the Webmail page shows.
pub async fn inbox_count(state: &AppState, caller: &PortalCaller, now: DateTime<Utc>) -> Result<u32, AppError> {
    let key = key_of(state)?;
    let row = sqlx::query!(
        "SELECT imap_host, imap_port, security, username, sealed_password, key_id FROM mailboxes
         WHERE portal_id = $1 AND account_id = $2",
        caller.portal_id,
        caller.account_id
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.key_id != key.id() {
        return Err(AppError::Conflict("This mailbox was saved under another server key. Disconnect it and connect it again.".into()));
    }
    let password = key.open(&row.sealed_password, &owner_tag(caller.portal_id, caller.account_id)).map_err(|e| {
        tracing::error!(account = caller.account_id, "opening a mailbox password: {e}");
        AppError::Internal
    })?;
    let login = ImapLogin {
        host: row.imap_host,
        port: u16::try_from(row.imap_port).unwrap_or_default(),
        security: Security::parse(&row.security).unwrap_or(Security::Tls),
        username: row.username,
        password,
    };
    // The rule of today applies to mailboxes saved before it changed.
    let targets = ImapTargets::from_config(&state.config);
    let messages = imap_client::check_mailbox(&login, state.imap_tls.clone(), &targets).await.map_err(|problem| {
        tracing::info!(account = caller.account_id, ?problem, "mailbox inbox check failed");
        let error = problem_to_error(&problem, &login);
        AppError::Conflict(error.to_string())
    })?;
    sqlx::query!(
        "UPDATE mailboxes SET last_checked_at = $3 WHERE portal_id = $1 AND account_id = $2",
        caller.portal_id,
        caller.account_id,
        now
    )
    .execute(&state.pool)
    .await?;
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ConnectForm {
        ConnectForm {
            address: "Ann@Example.com".into(),
            imap_host: "imap.example.com".into(),
            imap_port: "993".into(),
            security: "tls".into(),
            username: "ann".into(),
            password: "secret pass".into(),
        }
    }

    #[test]
    fn a_good_form_validates_to_a_login() {
        let (address, login) = validate(&form()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(address.as_str(), "ann@example.com");
        assert_eq!((login.host.as_str(), login.port, login.security), ("imap.example.com", 993, Security::Tls));
        assert_eq!(login.password, "secret pass", "passwords are kept exactly as typed");
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut ConnectForm);
        let cases: [(Spoil, &str); 6] = [
            (|f| f.address = "not an address".into(), "address"),
            (|f| f.imap_host = "bad host".into(), "imap_host"),
            (|f| f.imap_port = "99999".into(), "imap_port"),
            (|f| f.security = "plain".into(), "security"),
            (|f| f.username = " ".into(), "username"),
            (|f| f.password = String::new(), "password"),
        ];
        for (spoil, field) in cases {
            let mut bad = form();
            spoil(&mut bad);
            let error = validate(&bad).err();
            assert!(error.as_ref().and_then(|e| e.for_field(field)).is_some(), "{field}: {error:?}");
        }
    }

    #[test]
    fn a_refused_password_is_named_and_every_connection_failure_reads_the_same() {
        let (_, login) = validate(&form()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(problem_to_error(&ImapProblem::LoginRefused, &login).for_field("password").is_some());
        let generic = problem_to_error(&ImapProblem::TimedOut, &login);
        assert!(generic.for_field("imap_host").is_some());
        for problem in [
            ImapProblem::Unreachable("refused".into()),
            ImapProblem::Secure("x".into()),
            ImapProblem::NoGreeting,
            ImapProblem::Protocol("y".into()),
            ImapProblem::Forbidden("z".into()),
        ] {
            assert_eq!(problem_to_error(&problem, &login), generic, "{problem:?}");
        }
    }
}
