use leptos::prelude::*;

use super::FeedPage;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::portals::service::current_caller,
    crate::server::{app_state, finish},
    chrono::Utc,
};

#[server(endpoint = "stream")]
pub async fn load_stream(slug: String, before: Option<i64>) -> Result<FeedPage, AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::stream(&state.pool, &caller, before).await
        }
        .await,
    )
}

#[server(endpoint = "publish_post")]
pub async fn publish_post(slug: String, text: String) -> Result<(), AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::post(&state.pool, &caller, &text, Utc::now()).await
        }
        .await,
    )
}

#[server(endpoint = "chat")]
pub async fn load_chat(slug: String, before: Option<i64>) -> Result<FeedPage, AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::chat(&state.pool, &caller, before).await
        }
        .await,
    )
}

#[server(endpoint = "send_message")]
pub async fn send_message(slug: String, text: String) -> Result<(), AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::send_message(&state.pool, &caller, &text, Utc::now()).await
        }
        .await,
    )
}
