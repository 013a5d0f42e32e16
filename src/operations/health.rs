//! `/healthz`: the process answers. `/readyz`: it can serve, so a load balancer may send
//! it traffic: Postgres answers, every migration of this build is applied, and the live
//! updates' LISTEN connection is up. Neither says more than which check failed.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::server::state::AppState;

/// How long the database may take to answer a readiness check.
const DATABASE_CHECK: Duration = Duration::from_secs(2);

pub async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = tokio::time::timeout(DATABASE_CHECK, crate::server::migrations::all_applied(&state.pool)).await;
    let problem = match database {
        Err(_) | Ok(Err(_)) => Some("database: not answering"),
        Ok(Ok(false)) => Some("database: migrations pending"),
        Ok(Ok(true)) if !state.live.is_listening() => Some("live updates: not listening"),
        Ok(Ok(true)) => None,
    };
    match problem {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(problem) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {problem}\n")).into_response(),
    }
}
