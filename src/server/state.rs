use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;

use super::config::Config;
use crate::crypto::passwords::Passwords;
use crate::error::AppError;
use crate::live::server::LiveHub;

/// What every handler and server function can reach. Holds no state another app
/// instance would need: all of that lives in Postgres.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub passwords: Passwords,
    /// This instance's fan-out of Postgres NOTIFY events to open pages.
    pub live: LiveHub,
    /// TLS settings for connections to mail servers (Webmail).
    pub imap_tls: Arc<tokio_rustls::rustls::ClientConfig>,
}

/// The state inside a server function or a server-rendered component.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}
