//! Platform, server side: configuration, shared state, the server-function preamble,
//! cross-site refusal and migrations. Start-up lives in the composition root.
//! May depend on: `crypto`, `live`, `error`.

pub mod config;
pub mod migrations;
pub mod origin;
pub mod state;

pub use state::{AppState, app_state};

use crate::error::AppError;

/// Gives the HTTP response the status that belongs to the error (and `Retry-After` when
/// a throttle refused). Every server function ends with it, through the preambles
/// [`call`], `access::in_portal` and `auth::guard::signed_in`, so statuses stay the same
/// across functions.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
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
