// The editor's server function takes one argument per form field; the lint fires in
// the code the #[server] macro generates, where an attribute on the function misses it.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::ProfileEditor;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{self, ProfileChanges},
    crate::access::{PortalCall, in_portal},
};

/// The editor's data: for the person themselves and the portal's administrators only.
#[server(endpoint = "profile_editor")]
pub async fn load_profile_editor(slug: String, account_id: i64) -> Result<ProfileEditor, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::editor(&state.pool, &caller, account_id).await }).await
}

/// Saves the editor. There is no login and no password here: those belong to the
/// person's Network profile.
#[server(endpoint = "profile_save")]
pub async fn save_profile(
    slug: String,
    account_id: i64,
    #[server(default)] first_name: Option<String>,
    #[server(default)] last_name: Option<String>,
    position: String,
    phone: String,
    contact_email: String,
    #[server(default)] department_id: Option<i64>,
) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let changes = ProfileChanges { first_name, last_name, position, phone, contact_email, department_id };
        service::save(&state.pool, &caller, account_id, &changes, now).await
    })
    .await
}
