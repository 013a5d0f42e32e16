use leptos::prelude::*;

use super::FeedPage;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::access::{PortalCall, in_portal},
};

#[server(endpoint = "stream")]
pub async fn load_stream(slug: String, before: Option<i64>) -> Result<FeedPage, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::stream(&state.pool, &caller, before, now).await }).await
}

#[server(endpoint = "publish_post")]
pub async fn publish_post(slug: String, text: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::post(&state.pool, &caller, &text, now).await }).await
}

#[server(endpoint = "chat")]
pub async fn load_chat(slug: String, before: Option<i64>) -> Result<FeedPage, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::chat(&state.pool, &caller, before, now).await }).await
}

#[server(endpoint = "send_message")]
pub async fn send_message(slug: String, text: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::send_message(&state.pool, &caller, &text, now).await })
        .await
}
