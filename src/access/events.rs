//! `GET /p/{slug}/live`: a portal's live events, for its active members only.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sqlx::PgPool;

use crate::auth::{guard, session};
use crate::crypto::tokens::hash_secret;
use crate::live::Topic;
use crate::live::server::event_stream;
use crate::server::AppState;

/// Every topic of the portal, as server-sent events. When someone's status or role
/// changes, and every half minute, the stream re-checks its own session's access, and
/// ends once it is gone (log-out, expiry, dismissal).
pub async fn portal_events(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let Some(token) = guard::token_from_headers(&headers, state.config.secure_cookies) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let portal_id = match member_portal(&state.pool, &token, &slug, true).await {
        Ok(portal_id) => portal_id,
        Err(status) => return status.into_response(),
    };
    let pool = state.pool.clone();
    // A session may keep a few pages open; the secret itself is not kept in memory.
    let holder: String = hash_secret(&token).iter().map(|b| format!("{b:02x}")).collect();
    event_stream(
        &state.live,
        &format!("session:{holder}"),
        portal_id,
        |_| true,
        Topic::Access,
        move || {
            let (pool, token, slug) = (pool.clone(), token.clone(), slug.clone());
            // Only a clear "no" ends the stream: a database hiccup must not close every page.
            async move {
                !matches!(
                    member_portal(&pool, &token, &slug, false).await,
                    Err(StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND | StatusCode::FORBIDDEN)
                )
            }
        },
    )
}

/// The portal whose events the session may hear: its account must be an active member.
/// 401 without a live session, 404 for anyone else (outsiders learn nothing).
/// `touch`: whether the lookup counts as the session's activity (opening the page does;
/// the stream's own re-checks do not).
async fn member_portal(pool: &PgPool, token: &str, slug: &str, touch: bool) -> Result<i64, StatusCode> {
    let found = session::find_in_portal(pool, token, Utc::now(), slug, touch).await.map_err(|error| {
        tracing::error!(%error, "live updates: session lookup failed");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let (account, seat) = found.ok_or(StatusCode::UNAUTHORIZED)?;
    if let Err(error) = account.require_portal_access() {
        return Err(StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::FORBIDDEN));
    }
    seat.map(|seat| seat.portal_id).ok_or(StatusCode::NOT_FOUND)
}
