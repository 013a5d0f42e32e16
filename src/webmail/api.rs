//! Webmail server functions. Each acts on the caller's own mailbox in the portal, unless
//! an administrator names an employee (Manage Email Accounts). None returns a password.

// The connect function takes one argument per form field; the lint fires in the code the
// #[server] macro generates, where an attribute on the function misses it.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::{Mailbox, MailboxAccount};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{self, ConnectForm, Owner},
    crate::access::{PortalCall, in_portal},
};

#[server(endpoint = "mailbox")]
pub async fn load_mailbox(slug: String) -> Result<Option<Mailbox>, AppError> {
    in_portal(
        slug,
        |PortalCall { state, caller, now, .. }| async move { service::mailbox(&state.pool, &caller, Owner::of(&caller), now).await },
    )
    .await
}

/// Manage Email Accounts: the portal's connected mailboxes (administrators).
#[server(endpoint = "mailbox_accounts")]
pub async fn load_mailbox_accounts(slug: String) -> Result<Vec<MailboxAccount>, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::accounts(&state.pool, &caller, now).await }).await
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
    // An administrator connecting an employee's mailbox names them by login.
    #[server(default)] employee: Option<String>,
) -> Result<u32, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let owner = match employee.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(login) => service::employee_owner(&state.pool, &caller, login, state.config.phone_region.as_deref()).await?,
            None => Owner::of(&caller),
        };
        let form = ConnectForm { address, imap_host, imap_port, security, username, password };
        service::connect(&state, &caller, owner, &form, now).await.map(|(_, messages)| messages)
    })
    .await
}

/// Disconnects the caller's mailbox, or (administrators) the one of `account_id`.
#[server(endpoint = "mailbox_disconnect")]
pub async fn disconnect_mailbox(slug: String, #[server(default)] account_id: Option<i64>) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let owner = Owner { portal_id: caller.portal_id, account_id: account_id.unwrap_or(caller.account_id) };
        service::disconnect(&state.pool, &caller, owner, now).await
    })
    .await
}

/// Logs in with the saved settings and counts the messages in the INBOX.
#[server(endpoint = "mailbox_inbox")]
pub async fn inbox_count(slug: String) -> Result<u32, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::inbox_count(&state, &caller, now).await }).await
}
