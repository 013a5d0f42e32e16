//! Server-only plumbing: configuration, shared state, start-up, request guards.

pub mod config;
pub mod origin;
pub mod startup;
pub mod state;

pub use state::{AppState, app_state};

use crate::error::AppError;

/// Gives the HTTP response the status that belongs to the error. Every server function
/// ends with it so statuses stay the same across functions.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(error.status_code())
    {
        response.set_status(status);
    }
    result
}
