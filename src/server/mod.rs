//! Platform, server side: configuration, shared state, the server-function preamble,
//! cross-site refusal, migrations and the versioned browser files. Start-up lives in the composition root.
//! May depend on: `crypto`, `live`, `error`.

pub mod assets;
pub mod config;
pub mod http1;
pub mod input;
pub mod migrations;
pub mod origin;
pub mod page_policy;
pub mod state;

pub use state::{AppState, app_state};

use crate::error::AppError;

/// Gives the HTTP response the status that belongs to the error (and `Retry-After` when
/// a throttle refused). Every server function ends with it, through the preambles
/// [`call`], `access::in_portal` and `auth::guard::signed_in`, so statuses stay the same
/// across functions. A plain form post is the exception: it is sent back to its page.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        log_refusal(error);
    }
    if let Err(error) = &result
        && !posted_by_a_plain_form()
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(error.status_code())
    {
        response.set_status(status);
        if let Some(seconds) = error.retry_after() {
            response.insert_header(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
    }
    result
}

/// A form the browser posted by itself, as it does before the page's WASM runs or
/// without it: Leptos answers it with a redirect back to the form's page, the refusal in
/// the address, and the page shows it beside the form. An error status would replace that
/// redirect, and the person would see the refusal's raw JSON instead of the page. The
/// test is server_fn's own (`form-redirects`: a POST that accepts text/html). The refusal
/// is still logged as a security event, with the status it would have had.
fn posted_by_a_plain_form() -> bool {
    use axum::http::{Method, header};
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|request| {
        request.method == Method::POST
            && request.uri.path().starts_with("/api/")
            && request.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Refused requests (not logged in, not allowed, cross-site, throttled, closed) are
/// security events: one log line each, with the function's path and the client's peer.
fn log_refusal(error: &AppError) {
    let refused = matches!(
        error,
        AppError::Unauthorized
            | AppError::Forbidden
            | AppError::CrossSite
            | AppError::TooManyAttempts { .. }
            | AppError::AccessClosed
            | AppError::PasswordChangeRequired
    );
    if !refused {
        return;
    }
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    let path = parts.as_ref().map(|p| p.uri.path().to_string()).unwrap_or_default();
    let peer = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>())
        .map(|info| info.0.ip().to_string())
        .unwrap_or_default();
    tracing::warn!(target: "security", event = "request refused", code = error.code(), status = error.status_code(), path, peer);
}

/// What any server function works with: the app, and the time the request is handled at.
pub struct Call {
    pub state: AppState,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The preamble of a server function that needs no logged-in caller (log-in, sign-up,
/// links from emails): the app state, the time and the error's HTTP status.
pub async fn call<T, Work, Done>(work: Work) -> Result<T, AppError>
where
    Work: FnOnce(Call) -> Done,
    Done: Future<Output = Result<T, AppError>>,
{
    finish(
        async {
            let state = app_state()?;
            work(Call { state, now: chrono::Utc::now() }).await
        }
        .await,
    )
}
