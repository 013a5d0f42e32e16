//! Who calls a portal's server function, with which role, and the portal locks that
//! keep portal-wide rules true under concurrent requests.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::auth::guard;
use crate::auth::session::{self, PortalSeat, SessionAccount};
use crate::domain::time::Zone;
use crate::domain::{Plan, Role};
use crate::error::AppError;
use crate::server::{AppState, Call, call};

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

/// The caller for an account (by its id) in the portal at `slug`: 404 unless the account
/// is an active member. Requests find their caller with their session instead
/// ([`current_caller`]); this is for code that starts from an account.
pub async fn portal_caller(pool: &PgPool, account_id: i64, slug: &str) -> Result<PortalCaller, AppError> {
    let seat = sqlx::query_as!(
        PortalSeat,
        r#"SELECT seat.portal_id AS "portal_id!", seat.role AS "role!: Role", a.time_zone, seat.portal_name AS "portal_name!",
                  seat.plan AS "plan!: Plan", seat.everyone_can_invite AS "everyone_can_invite!",
                  seat.admin_needs_two_factor AS "admin_needs_two_factor!"
           FROM portal_seats seat JOIN accounts a ON a.id = seat.account_id
           WHERE seat.slug = $1 AND seat.account_id = $2"#,
        slug,
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(caller_in_seat(account_id, seat))
}

fn caller_in_seat(account_id: i64, seat: PortalSeat) -> PortalCaller {
    PortalCaller {
        account_id,
        portal_id: seat.portal_id,
        is_admin: seat.role == Role::Admin && !seat.admin_needs_two_factor,
        zone: Zone::from_stored(&seat.time_zone),
        portal_name: seat.portal_name,
        plan: seat.plan,
        everyone_can_invite: seat.everyone_can_invite,
        admin_needs_two_factor: seat.admin_needs_two_factor,
    }
}

/// The caller of a request from its session: the account (401 without a live session),
/// allowed into portals (a mailed first password changed), and its active membership of
/// the portal (404 without one, so outsiders learn nothing).
fn caller_of_session(me: &SessionAccount, seat: Option<PortalSeat>) -> Result<PortalCaller, AppError> {
    me.require_portal_access()?;
    Ok(caller_in_seat(me.account_id, seat.ok_or(AppError::NotFound)?))
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

/// The caller of the request in context (a server function's, a rendered page's).
async fn look_up_caller(state: &AppState, slug: &str) -> Result<PortalCaller, AppError> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>().ok_or(AppError::Unauthorized)?;
    caller_of_request(state, &parts, slug).await
}

/// The caller of a request, with the same checks whether it is a server function or a
/// plain HTTP route (a file download). A GET under `/p/` was checked by the log-in gate,
/// which read the membership with the session; any other request reads both in one
/// statement.
pub async fn caller_of_request(state: &AppState, parts: &axum::http::request::Parts, slug: &str) -> Result<PortalCaller, AppError> {
    if let Some((me, seat)) = guard::checked_for_portal(parts, slug) {
        return caller_of_session(&me, seat);
    }
    caller_of_token(state, guard::token_from_headers(&parts.headers, state.config.secure_cookies), slug).await
}

/// The session and the caller's membership, read in one statement.
async fn caller_of_token(state: &AppState, token: Option<String>, slug: &str) -> Result<PortalCaller, AppError> {
    let token = token.ok_or(AppError::Unauthorized)?;
    let (me, seat) = session::find_in_portal(&state.pool, &token, Utc::now(), slug, true).await?.ok_or(AppError::Unauthorized)?;
    caller_of_session(&me, seat)
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
        r#"SELECT EXISTS (SELECT 1 FROM portal_seats
           WHERE portal_id = $1 AND account_id = $2 AND role = 'admin' AND NOT admin_needs_two_factor) AS "admin!""#,
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
