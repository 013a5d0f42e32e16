//! Webmail server functions. Each acts on the caller's own mailbox in the portal: no
//! function takes an account id, so nobody can reach another person's mailbox, and none
//! returns the password.

use leptos::prelude::*;

use super::Mailbox;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{self, ConnectForm},
    crate::access::{PortalCall, in_portal},
};

#[server(endpoint = "mailbox")]
pub async fn load_mailbox(slug: String) -> Result<Option<Mailbox>, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::mailbox(&state.pool, &caller, now).await }).await
}

/// Checks the settings with a real IMAP log-in and saves them. Answers the INBOX count.
#[server(endpoint = "mailbox_connect")]
pub async fn connect_mailbox(
    slug: String,
    address: String,
    imap_host: String,
    imap_port: String,
    security: String,
    username: String,
    password: String,
) -> Result<u32, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let form = ConnectForm { address, imap_host, imap_port, security, username, password };
        service::connect(&state, &caller, &form, now).await.map(|(_, messages)| messages)
    })
    .await
}

#[server(endpoint = "mailbox_disconnect")]
pub async fn disconnect_mailbox(slug: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::disconnect(&state.pool, &caller).await }).await
}

/// Logs in with the saved settings and counts the messages in the INBOX.
#[server(endpoint = "mailbox_inbox")]
pub async fn inbox_count(slug: String) -> Result<u32, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::inbox_count(&state, &caller).await }).await
}
