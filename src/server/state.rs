use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;

use super::config::Config;
use crate::crypto::passwords::Passwords;
use crate::error::AppError;
use crate::live::server::LiveHub;

/// What every handler and server function can reach. Holds no state another app
/// instance would need: all of that lives in Postgres. Handlers, middleware and server
/// functions each take a copy, several times per request: a copy is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

pub struct SharedState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub passwords: Passwords,
    /// This instance's fan-out of Postgres NOTIFY events to open pages.
    pub live: LiveHub,
    /// TLS settings for connections to mail servers (Webmail).
    pub imap_tls: Arc<tokio_rustls::rustls::ClientConfig>,
}

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// leptos_axum reads the site's options from the router's state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// The state inside a server function or a server-rendered component.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}
