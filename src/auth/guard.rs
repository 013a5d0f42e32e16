//! Who is calling: the session behind the request's cookie, and the client's address.
//! Every server function starts here.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, header, request::Parts};
use chrono::Utc;
use leptos::prelude::use_context;

use super::session::{self, PortalSeat, SessionAccount};
use crate::error::AppError;
use crate::server::config::Config;
use crate::server::{AppState, Call, call};

fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

pub fn session_token(secure: bool) -> Option<String> {
    token_from_headers(&request_parts()?.headers, secure)
}

/// The value of the request's cookie of this name.
pub fn cookie_value(name: &str) -> Option<String> {
    request_parts()?
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|header| session::cookie_from_header(header, name))
        .map(str::to_string)
}

/// The session secret in a request's Cookie headers (also for plain axum handlers).
pub fn token_from_headers(headers: &axum::http::HeaderMap, secure: bool) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|header| session::token_from_cookie_header(header, secure))
        .map(str::to_string)
}

/// The session a page request was already checked against, by [`log_in_first`]: the
/// resources of that page reuse it rather than looking it up again.
#[derive(Clone)]
struct CheckedSession(SessionAccount);

/// The portal page's membership, read by [`log_in_first`] with the session: the portal
/// named by the page's address, and the account's active membership of it, if any.
#[derive(Clone)]
struct CheckedSeat {
    slug: String,
    seat: Option<PortalSeat>,
}

/// What [`log_in_first`] found for this request, when it checked it for the portal at
/// `slug`: the session, and the account's active membership of that portal (None: none).
pub fn checked_for_portal(parts: &Parts, slug: &str) -> Option<(SessionAccount, Option<PortalSeat>)> {
    let checked = parts.extensions.get::<CheckedSeat>().filter(|checked| checked.slug == slug)?;
    let CheckedSession(me) = parts.extensions.get::<CheckedSession>()?;
    Some((me.clone(), checked.seat.clone()))
}

pub async fn current_session(state: &AppState) -> Result<Option<SessionAccount>, AppError> {
    if let Some(CheckedSession(me)) = request_parts().and_then(|parts| parts.extensions.get::<CheckedSession>().cloned()) {
        return Ok(Some(me));
    }
    let Some(token) = session_token(state.config.secure_cookies) else { return Ok(None) };
    Ok(session::find(&state.pool, &token, Utc::now()).await?)
}

/// A portal page opened without a live session goes to the log-in page, which brings
/// the person back afterwards (`next`). Server functions keep answering 401 as before;
/// this is for people arriving at a bookmarked or shared portal address.
pub async fn log_in_first(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = request.uri().path();
    let is_portal_page = request.method() == axum::http::Method::GET && path.starts_with("/p/") && !path.ends_with("/live");
    if !is_portal_page {
        return next.run(request).await;
    }
    // The portal's address as the page's route reads it (`/p/:slug/...`).
    let slug = path.strip_prefix("/p/").and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string();
    let token = token_from_headers(request.headers(), state.config.secure_cookies);
    let found = match token {
        Some(token) => match session::find_in_portal(&state.pool, &token, Utc::now(), &slug, true).await {
            Ok(found) => found,
            // The page itself will show the error; the gate does not guess.
            Err(_) => return next.run(request).await,
        },
        None => None,
    };
    match found {
        Some((me, seat)) => {
            request.extensions_mut().insert(CheckedSession(me));
            request.extensions_mut().insert(CheckedSeat { slug, seat });
            next.run(request).await
        }
        None => {
            let back = request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
            let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("next", back).finish();
            let location = format!("/login?{query}");
            axum::response::Redirect::to(&location).into_response()
        }
    }
}

pub async fn require_account(state: &AppState) -> Result<SessionAccount, AppError> {
    current_session(state).await?.ok_or(AppError::Unauthorized)
}

/// What a server function of a logged-in person works with.
pub struct SignedIn {
    pub state: AppState,
    pub me: SessionAccount,
    pub now: chrono::DateTime<Utc>,
}

/// The preamble of a server function for any logged-in person, in no particular portal
/// (network profile, joining a portal): the app state, the session's account (401
/// without one), the time, and the error's HTTP status.
pub async fn signed_in<T, Work, Done>(work: Work) -> Result<T, AppError>
where
    Work: FnOnce(SignedIn) -> Done,
    Done: Future<Output = Result<T, AppError>>,
{
    call(|Call { state, now }| async move {
        let me = require_account(&state).await?;
        work(SignedIn { state, me, now }).await
    })
    .await
}

/// Every `X-Forwarded-For` line, joined: a proxy may add its own line instead of
/// appending to the one the client sent, and the newest hops are at the end either way.
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<String> {
    let lines: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    (!lines.is_empty()).then(|| lines.join(","))
}

/// The client's IP address, for per-client limits: the peer's, or behind a proxy listed
/// in `TRUSTED_PROXIES`, the one it forwarded.
pub fn client_address(config: &Config) -> String {
    let Some(parts) = request_parts() else { return "unknown".into() };
    let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip()) else { return "unknown".into() };
    config.client_address(peer, forwarded_for(&parts.headers).as_deref()).to_string()
}

/// Where this request comes from, for a session it starts: the client's address and its
/// browser's User-Agent.
pub fn session_origin(config: &Config) -> super::session::Origin {
    let user_agent = request_parts()
        .and_then(|parts| parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string))
        .unwrap_or_default();
    super::session::Origin::new(&client_address(config), &user_agent)
}

pub fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(value)) {
        response.append_header(header::SET_COOKIE, value);
    }
}
