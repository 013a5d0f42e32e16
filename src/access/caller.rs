//! Who calls a portal's server function, with which role, and the portal locks that
//! keep portal-wide rules true under concurrent requests.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::auth::guard;
use crate::domain::time::Zone;
use crate::domain::{Plan, Role};
use crate::error::AppError;
use crate::server::{AppState, Call, call};

/// The caller's active membership in the portal, or NotFound: outsiders cannot even
/// learn that the portal exists.
pub struct Member {
    pub portal_id: i64,
    pub role: Role,
}

pub async fn require_active_member(pool: &PgPool, account_id: i64, slug: &str) -> Result<Member, AppError> {
    sqlx::query_as!(
        Member,
        r#"SELECT m.portal_id, m.role AS "role: Role" FROM memberships m JOIN portals p ON p.id = m.portal_id
         WHERE p.slug = $1 AND m.account_id = $2 AND m.status = 'active'"#,
        slug,
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Whether the account is an active member of the portal (the person an action names,
/// as opposed to the caller).
pub async fn is_active_member(db: &mut sqlx::PgConnection, portal_id: i64, account_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE portal_id = $1 AND account_id = $2 AND status = 'active') AS "active!""#,
        portal_id,
        account_id
    )
    .fetch_one(&mut *db)
    .await?)
}

/// Who calls a portal's server function: an active member of that portal.
#[derive(Debug, Clone)]
pub struct PortalCaller {
    pub account_id: i64,
    pub portal_id: i64,
    pub is_admin: bool,
    /// The caller's time zone: times on their pages are shown in it.
    pub zone: Zone,
    /// The portal's name, plan and invitation rule, read in the same query: the portal
    /// frame shows them on every page.
    pub portal_name: String,
    pub plan: Plan,
    pub everyone_can_invite: bool,
    /// An administrator of a portal that requires two-factor log-in for administrators,
    /// who has not set it up: until they do, they act as an employee (`is_admin` is
    /// false) and the administrator pages say why.
    pub admin_needs_two_factor: bool,
}

impl PortalCaller {
    pub fn require_admin(&self) -> Result<(), AppError> {
        match (self.is_admin, self.admin_needs_two_factor) {
            (true, _) => Ok(()),
            (false, true) => Err(AppError::TwoFactorRequired),
            (false, false) => Err(AppError::Forbidden),
        }
    }
}

pub async fn portal_caller(pool: &PgPool, account_id: i64, slug: &str) -> Result<PortalCaller, AppError> {
    let row = sqlx::query!(
        r#"SELECT m.portal_id, m.role AS "role: Role", a.time_zone, p.name, p.plan AS "plan: Plan", p.everyone_can_invite,
                  p.admins_need_two_factor AND m.role = 'admin'
                    AND NOT EXISTS (SELECT 1 FROM two_factor t WHERE t.account_id = m.account_id AND t.enabled_at IS NOT NULL)
                    AS "admin_needs_two_factor!"
           FROM memberships m JOIN portals p ON p.id = m.portal_id JOIN accounts a ON a.id = m.account_id
           WHERE p.slug = $1 AND m.account_id = $2 AND m.status = 'active'"#,
        slug,
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(PortalCaller {
        account_id,
        portal_id: row.portal_id,
        is_admin: row.role == Role::Admin && !row.admin_needs_two_factor,
        zone: Zone::from_stored(&row.time_zone),
        portal_name: row.name,
        plan: row.plan,
        everyone_can_invite: row.everyone_can_invite,
        admin_needs_two_factor: row.admin_needs_two_factor,
    })
}

/// The first step of every portal server function: the logged-in account (401 if none)
/// and its active membership of the portal (404 if none, so outsiders learn nothing).
/// Within one request it is looked up once: a server-rendered page runs several server
/// functions (the frame, the bell, the page's own data), and they share the answer.
pub async fn current_caller(state: &AppState, slug: &str) -> Result<PortalCaller, AppError> {
    let Some(once) =
        leptos::prelude::use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<CallerOnce>().cloned())
    else {
        return look_up_caller(state, slug).await;
    };
    let (shared_slug, caller) =
        once.0.get_or_try_init(|| async { Ok::<_, AppError>((slug.to_string(), look_up_caller(state, slug).await?)) }).await?;
    // A request names one portal; a second one (never seen) is looked up on its own.
    if shared_slug == slug { Ok(caller.clone()) } else { look_up_caller(state, slug).await }
}

async fn look_up_caller(state: &AppState, slug: &str) -> Result<PortalCaller, AppError> {
    let me = guard::require_account(state).await?;
    me.require_portal_access()?;
    portal_caller(&state.pool, me.account_id, slug).await
}

/// The caller of a plain HTTP route (a file download), from the request's session
/// cookie: the same checks as a server function's.
pub async fn caller_from_headers(state: &AppState, headers: &axum::http::HeaderMap, slug: &str) -> Result<PortalCaller, AppError> {
    let token = guard::token_from_headers(headers, state.config.secure_cookies).ok_or(AppError::Unauthorized)?;
    let me = crate::auth::session::find(&state.pool, &token, Utc::now()).await?.ok_or(AppError::Unauthorized)?;
    me.require_portal_access()?;
    portal_caller(&state.pool, me.account_id, slug).await
}

/// The request's slot for its caller, filled by the first [`current_caller`]. Errors are
/// not kept: a later call in the same request asks again.
#[derive(Clone, Default)]
struct CallerOnce(std::sync::Arc<tokio::sync::OnceCell<(String, PortalCaller)>>);

/// Gives every request an empty [`CallerOnce`]; the request's copies of its headers and
/// extensions (one per server function) then share it.
pub async fn share_caller_per_request(mut request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    request.extensions_mut().insert(CallerOnce::default());
    next.run(request).await
}

/// Serializes the writes of one portal that check a portal-wide rule (the last admin,
/// the department tree), so two concurrent edits cannot both pass the check.
///
/// `FOR NO KEY UPDATE`, the lock an UPDATE takes, and not `FOR UPDATE`: the writers above
/// still wait for each other, but a row that merely refers to the portal (a membership,
/// a registration request) can be inserted meanwhile. With `FOR UPDATE` such an insert
/// waited for the lock, and a transaction holding another lock that the lock's holder
/// wanted next (an address, a day's quota) deadlocked with it.
pub async fn lock_portal(tx: &mut sqlx::PgConnection, portal_id: i64) -> Result<(), AppError> {
    sqlx::query!("SELECT id FROM portals WHERE id = $1 FOR NO KEY UPDATE", portal_id).fetch_one(&mut *tx).await?;
    Ok(())
}

/// Locks the portal and re-checks, under the lock, that the caller is still an active
/// administrator (another admin may have demoted them a moment ago, or switched on the
/// two-factor rule they do not meet).
pub async fn lock_portal_as_admin(tx: &mut sqlx::PgConnection, caller: &PortalCaller) -> Result<(), AppError> {
    caller.require_admin()?;
    lock_portal(tx, caller.portal_id).await?;
    let still_admin = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships m JOIN portals p ON p.id = m.portal_id
           WHERE m.portal_id = $1 AND m.account_id = $2 AND m.status = 'active' AND m.role = 'admin'
             AND NOT (p.admins_need_two_factor
                      AND NOT EXISTS (SELECT 1 FROM two_factor t WHERE t.account_id = m.account_id AND t.enabled_at IS NOT NULL))
           ) AS "admin!""#,
        caller.portal_id,
        caller.account_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if still_admin { Ok(()) } else { Err(AppError::Forbidden) }
}

/// What a portal server function works with: the app, the caller, the portal's address,
/// and the time the request is handled at (passed down so rules about expiry are testable).
pub struct PortalCall {
    pub state: AppState,
    pub caller: PortalCaller,
    pub slug: String,
    pub now: DateTime<Utc>,
}

/// The preamble of every portal server function: the app state, the logged-in caller's
/// active membership (401 without a session, 404 outside the portal), the time, and
/// the HTTP status of the error. The function's body is only its rule:
/// `in_portal(slug, |PortalCall { state, caller, .. }| async move { service::x(&state.pool, &caller).await }).await`.
pub async fn in_portal<T, Work, Done>(slug: String, work: Work) -> Result<T, AppError>
where
    Work: FnOnce(PortalCall) -> Done,
    Done: Future<Output = Result<T, AppError>>,
{
    call(|Call { state, now }| async move {
        let caller = current_caller(&state, &slug).await?;
        work(PortalCall { state, caller, slug, now }).await
    })
    .await
}
