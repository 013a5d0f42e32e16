//! `GET /join/{code}/live`: the settings events of the portal whose current quick
//! registration link this is, for its (anonymous) registration page. Only the topic
//! name travels, so the stream tells nothing a visitor of the page could not see.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::service::portal_of_link;
use crate::live::Topic;
use crate::live::server::event_stream;
use crate::server::AppState;

pub async fn registration_events(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    // Anonymous pages: a few streams per client address.
    let forwarded = crate::auth::guard::forwarded_for(&headers);
    let holder = format!("client:{}", state.config.client_address(peer.ip(), forwarded.as_deref()));
    let portal_id = match portal_of_link(&state.pool, &code).await {
        Ok(Some(portal_id)) => portal_id,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "live updates: registration link lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let pool = state.pool.clone();
    // Regenerated: the page is told, and the stream of the dead link ends.
    event_stream(
        &state.live,
        &holder,
        portal_id,
        |topic| topic == Topic::Settings,
        Topic::Settings,
        move || {
            let (pool, code) = (pool.clone(), code.clone());
            async move {
                match portal_of_link(&pool, &code).await {
                    Ok(Some(id)) => id == portal_id,
                    Ok(None) => false,
                    // A database hiccup is not a closed link: only a clear "no" ends the stream.
                    Err(_) => true,
                }
            }
        },
    )
}
