//! Server-side sessions. The cookie holds a random secret; Postgres holds its hash, the
//! account, and two clocks: an idle time-out and an absolute one ("Remember me" makes
//! both longer). A new secret is issued on every log-in.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::crypto::tokens::{hash_secret, new_secret};
use crate::domain::{Plan, Role};

pub const COOKIE_NAME: &str = "sid";
/// Over HTTPS the cookie carries the `__Host-` prefix: browsers then accept it only with
/// `Secure`, `Path=/` and no `Domain`, so a neighbouring subdomain cannot plant a session.
pub const SECURE_COOKIE_NAME: &str = "__Host-sid";

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE_NAME } else { COOKIE_NAME }
}

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

pub fn lifetimes(remember: bool) -> Lifetimes {
    if remember {
        Lifetimes { idle: Duration::days(14), absolute: Duration::days(30) }
    } else {
        Lifetimes { idle: Duration::hours(8), absolute: Duration::hours(24) }
    }
}

/// The account behind a live session.
#[derive(Debug, Clone)]
pub struct SessionAccount {
    pub account_id: i64,
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    pub token_hash: Vec<u8>,
    /// The password was generated and sent by e-mail; portals wait until it is changed.
    pub must_change_password: bool,
}

impl SessionAccount {
    /// Portals wait until a mailed first password is changed: every way into a portal
    /// (its functions, its home, its live stream) asks this.
    pub fn require_portal_access(&self) -> Result<(), crate::error::AppError> {
        if self.must_change_password { Err(crate::error::AppError::PasswordChangeRequired) } else { Ok(()) }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Where a session began: the account's sessions list shows it, so a person can tell
/// their own devices from someone else's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub client_address: String,
    pub user_agent: String,
}

/// The longest User-Agent a session keeps; browsers send about 150 characters.
pub const MAX_USER_AGENT_CHARS: usize = 400;

impl Origin {
    pub fn new(client_address: &str, user_agent: &str) -> Origin {
        Origin { client_address: client_address.to_string(), user_agent: user_agent.chars().take(MAX_USER_AGENT_CHARS).collect() }
    }

    /// A session started by a program (tests, benchmarks) rather than a browser.
    pub fn at(client_address: &str) -> Origin {
        Origin::new(client_address, "")
    }
}

/// Starts a session and returns the secret for the cookie.
pub async fn create(
    db: impl PgExecutor<'_>,
    account_id: i64,
    remember: bool,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let (token, hash) = new_secret();
    let life = lifetimes(remember);
    sqlx::query!(
        "INSERT INTO sessions (token_hash, account_id, remember, created_at, last_seen_at, idle_timeout_secs, expires_at, client_address, user_agent)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
        hash,
        account_id,
        remember,
        now,
        life.idle.num_seconds(),
        now + life.absolute,
        origin.client_address,
        origin.user_agent,
    )
    .execute(db)
    .await?;
    Ok(token)
}

/// [`create`] and the "logged in" security event (`audit::security_event`'s entry in
/// each of the account's portals) in one statement: the log-in is a hot path.
pub async fn create_logged_in(
    db: impl PgExecutor<'_>,
    account_id: i64,
    remember: bool,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let (token, hash) = new_secret();
    let life = lifetimes(remember);
    let detail = format!("from {}", origin.client_address);
    sqlx::query!(
        "WITH session AS (
           INSERT INTO sessions (token_hash, account_id, remember, created_at, last_seen_at, idle_timeout_secs, expires_at, client_address, user_agent)
           VALUES ($1, $2, $3, $4, $4, $5, $6, $8, $9))
         INSERT INTO audit_log (portal_id, actor_id, action, subject_id, detail, at)
         SELECT portal_id, $2, 'logged in', $2, $7, $4 FROM memberships WHERE account_id = $2 AND status = 'active'",
        hash,
        account_id,
        remember,
        now,
        life.idle.num_seconds(),
        now + life.absolute,
        detail,
        origin.client_address,
        origin.user_agent,
    )
    .execute(db)
    .await?;
    tracing::info!(target: "security", event = "logged in", account = account_id, detail, "security event");
    Ok(token)
}

/// The account of a live session, or None for unknown, idle or expired sessions.
pub async fn find(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<Option<SessionAccount>, sqlx::Error> {
    Ok(lookup(pool, token, now, true, None).await?.map(|(account, _)| account))
}

/// Like [`find`], without counting as activity: an open page re-checking its access must
/// not keep an idle session alive.
pub async fn peek(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<Option<SessionAccount>, sqlx::Error> {
    Ok(lookup(pool, token, now, false, None).await?.map(|(account, _)| account))
}

/// The account's active membership of one portal, read in the same statement as its
/// session by [`find_in_portal`].
#[derive(Debug, Clone)]
pub struct PortalSeat {
    pub portal_id: i64,
    pub role: Role,
    /// The account's time zone: times on its portal pages are shown in it.
    pub time_zone: String,
    pub portal_name: String,
    pub plan: Plan,
    pub everyone_can_invite: bool,
    /// An administrator of a portal that requires two-factor log-in, without it.
    pub admin_needs_two_factor: bool,
}

/// [`find`], and the account's active membership of the portal at `slug` (None when it
/// has none), in one statement. A portal request needs both, and on a signed-in page a
/// statement costs more than its query does: the round trip, the pool, and waking
/// Postgres's backend on a busy machine. Each one of the Employees page's statements took
/// about a tenth of its throughput (scripts/bench pages).
pub async fn find_in_portal(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
    slug: &str,
    touch: bool,
) -> Result<Option<(SessionAccount, Option<PortalSeat>)>, sqlx::Error> {
    lookup(pool, token, now, touch, Some(slug)).await
}

async fn lookup(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
    touch: bool,
    slug: Option<&str>,
) -> Result<Option<(SessionAccount, Option<PortalSeat>)>, sqlx::Error> {
    let hash = hash_secret(token);
    // The one query that decides whether a session is live; with no slug, the membership
    // part finds nothing.
    let row = sqlx::query!(
        r#"SELECT s.account_id, s.last_seen_at, a.login, a.first_name, a.last_name, a.must_change_password, a.time_zone,
                  seat.portal_id AS "portal_id?", seat.role AS "role?: Role", seat.portal_name AS "portal_name?",
                  seat.plan AS "plan?: Plan", seat.everyone_can_invite AS "everyone_can_invite?",
                  seat.admin_needs_two_factor AS "admin_needs_two_factor?"
           FROM sessions s JOIN accounts a ON a.id = s.account_id
           LEFT JOIN portal_seats seat ON seat.slug = $3 AND seat.account_id = a.id
           WHERE s.token_hash = $1 AND s.expires_at > $2
             AND s.last_seen_at + make_interval(secs => s.idle_timeout_secs) > $2
             -- The account by its key. With the join alone, stale statistics of the small
             -- sessions table led the planner to a merge join that walked the accounts
             -- index from its start: 140 ms for an account a million ids in.
             AND a.id = (SELECT account_id FROM sessions WHERE token_hash = $1)"#,
        hash,
        now,
        slug,
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    // Writing on every request would cost a row update per page; a minute's precision
    // is plenty for an idle time-out measured in hours.
    if touch && now - row.last_seen_at > Duration::minutes(1) {
        sqlx::query!("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1", hash, now).execute(pool).await?;
    }
    let seat = match (row.portal_id, row.role, row.portal_name, row.plan, row.everyone_can_invite, row.admin_needs_two_factor) {
        (Some(portal_id), Some(role), Some(portal_name), Some(plan), Some(everyone_can_invite), Some(admin_needs_two_factor)) => {
            Some(PortalSeat { portal_id, role, time_zone: row.time_zone, portal_name, plan, everyone_can_invite, admin_needs_two_factor })
        }
        _ => None,
    };
    let account = SessionAccount {
        account_id: row.account_id,
        login: row.login,
        first_name: row.first_name,
        last_name: row.last_name,
        token_hash: hash,
        must_change_password: row.must_change_password,
    };
    Ok(Some((account, seat)))
}

pub async fn end(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash).execute(db).await?;
    Ok(())
}

/// Ends every session of the account, except the one given (the person's current one),
/// and every log-in of it still waiting for its two-factor code.
pub async fn end_all_for_account(db: impl PgExecutor<'_>, account_id: i64, keep: Option<&[u8]>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "WITH waiting AS (DELETE FROM login_challenges WHERE account_id = $1)
         DELETE FROM sessions WHERE account_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)",
        account_id,
        keep,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// One of an account's live sessions, for its sessions list.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub id: i64,
    pub client_address: String,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session of the request asking.
    pub this_device: bool,
}

/// The account's sessions that still let someone in: the asking one first, then the most
/// recently seen.
pub async fn live_sessions(pool: &PgPool, account_id: i64, current: &[u8], now: DateTime<Utc>) -> Result<Vec<LiveSession>, sqlx::Error> {
    sqlx::query_as!(
        LiveSession,
        r#"SELECT id, client_address, user_agent, created_at, last_seen_at, token_hash = $2 AS "this_device!"
           FROM sessions
           WHERE account_id = $1 AND expires_at > $3 AND last_seen_at + make_interval(secs => idle_timeout_secs) > $3
           ORDER BY token_hash = $2 DESC, last_seen_at DESC, id DESC"#,
        account_id,
        current,
        now,
    )
    .fetch_all(pool)
    .await
}

/// Ends one other session of the account, found by its number. False when the account
/// has no such session (another account's number ends nothing), or when it is `current`
/// (that one ends with "Log out").
pub async fn end_other_by_id(db: impl PgExecutor<'_>, account_id: i64, id: i64, current: &[u8]) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM sessions WHERE id = $1 AND account_id = $2 AND token_hash <> $3", id, account_id, current)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The Set-Cookie value for a new session. Without "Remember me" it is a browser-session
/// cookie; with it, it outlives the browser until the absolute time-out.
pub fn cookie(token: &str, remember: bool, secure: bool) -> String {
    let max_age = if remember { format!("; Max-Age={}", lifetimes(true).absolute.num_seconds()) } else { String::new() };
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{max_age}{secure}")
}

pub fn clearing_cookie(secure: bool) -> String {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session secret in a Cookie header, if any: only the cookie of the name this site
/// sets (over HTTPS, a plain `sid` may have been planted and is ignored).
pub fn token_from_cookie_header(header: &str, secure: bool) -> Option<&str> {
    cookie_from_header(header, cookie_name(secure))
}

/// The value of the cookie of this name in a Cookie header, if any and not empty.
pub fn cookie_from_header<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').map(str::trim).find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_has_the_safe_attributes() {
        let plain = cookie("abc", false, false);
        assert_eq!(plain, "sid=abc; Path=/; HttpOnly; SameSite=Lax");
        let remembered = cookie("abc", true, true);
        assert!(remembered.contains("Max-Age=2592000"));
        assert!(remembered.ends_with("; Secure"));
        assert!(remembered.starts_with("__Host-sid=abc; Path=/;"), "{remembered}");
        assert!(clearing_cookie(true).starts_with("__Host-sid=;"));
    }

    #[test]
    fn token_is_read_from_the_cookie_header() {
        assert_eq!(token_from_cookie_header("a=1; sid=xyz; b=2", false), Some("xyz"));
        assert_eq!(token_from_cookie_header("sidx=1", false), None);
        assert_eq!(token_from_cookie_header("sid=", false), None);
        assert_eq!(token_from_cookie_header("sid=planted; __Host-sid=real", true), Some("real"));
        assert_eq!(token_from_cookie_header("sid=planted", true), None);
    }

    #[test]
    fn remember_me_extends_both_clocks() {
        assert!(lifetimes(true).absolute > lifetimes(false).absolute);
        assert!(lifetimes(true).idle > lifetimes(false).idle);
    }
}
