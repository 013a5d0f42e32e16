use leptos::prelude::*;

use super::{ConfirmationPage, Confirmed, InviteLinkRow, Outcome, QuickRegistration, RegistrationPage, RegistrationSettings};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{self, InviteLinkForm, RegistrationForm, SettingsForm},
    crate::access::{PortalCall, in_portal},
    crate::auth::{guard, session},
    crate::server::{Call, call},
};

/// The registration settings (administrators).
#[server(endpoint = "registration_settings")]
pub async fn load_registration_settings(slug: String) -> Result<RegistrationSettings, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::settings(&state.pool, &state.config, &caller).await }).await
}

/// "Additional settings". A checkbox sends `enabled=on` only when ticked.
#[server(endpoint = "save_registration_settings")]
pub async fn save_registration_settings(
    slug: String,
    #[server(default)] enabled: Option<String>,
    registration_type: String,
    #[server(default)] trusted_domains: String,
    #[server(default)] greeting: String,
) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let form = SettingsForm { enabled: enabled.is_some(), registration_type, trusted_domains, greeting };
        service::save_settings(&state.pool, &caller, &form, now).await
    })
    .await
}

#[server(endpoint = "regenerate_registration_link")]
pub async fn regenerate_registration_link(slug: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::regenerate_link(&state.pool, &caller, now).await }).await
}

/// Settings > Invite links (administrators).
#[server(endpoint = "invite_links")]
pub async fn load_invite_links(slug: String) -> Result<Vec<InviteLinkRow>, AppError> {
    in_portal(
        slug,
        |PortalCall { state, caller, now, .. }| async move { service::invite_links(&state.pool, &state.config, &caller, now).await },
    )
    .await
}

/// "Create link". Empty fields: no limit of uses, no expiry, the top department.
#[server(endpoint = "create_invite_link")]
pub async fn create_invite_link(
    slug: String,
    name: String,
    #[server(default)] max_uses: String,
    #[server(default)] expires_on: String,
    #[server(default)] department_id: String,
    link_type: String,
) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let form = InviteLinkForm { name, max_uses, expires_on, department_id, link_type };
        service::create_invite_link(&state.pool, &caller, &form, now).await
    })
    .await
}

#[server(endpoint = "revoke_invite_link")]
pub async fn revoke_invite_link(slug: String, id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::revoke_invite_link(&state.pool, &caller, id, now).await })
        .await
}

/// "Allow everyone to invite new users to this Bitrix24 account".
#[server(endpoint = "set_everyone_can_invite")]
pub async fn set_everyone_can_invite(slug: String, #[server(default)] allowed: Option<String>) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::set_everyone_can_invite(&state.pool, &caller, allowed.is_some(), now).await
    })
    .await
}

/// "Check an address": what would happen if it registered through the link now.
#[server(endpoint = "check_registration_address")]
pub async fn check_registration_address(slug: String, email: String) -> Result<Outcome, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::check_address(&state.pool, &caller, &email).await }).await
}

/// The invite dialog's "Quick registration" tab.
#[server(endpoint = "quick_registration")]
pub async fn load_quick_registration(slug: String) -> Result<QuickRegistration, AppError> {
    in_portal(
        slug,
        |PortalCall { state, caller, .. }| async move { service::quick_registration(&state.pool, &state.config, &caller).await },
    )
    .await
}

/// Approve (`decision=approve`) or deny (`deny`) a registration awaiting approval.
#[server(endpoint = "decide_registration")]
pub async fn decide_registration(slug: String, account_id: i64, decision: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let approve = match decision.as_str() {
            "approve" => true,
            "deny" => false,
            _ => return Err(AppError::invalid("decision", "Choose Approve or Deny.")),
        };
        service::decide_registration(&state.pool, &state.config, &caller, account_id, approve, now).await
    })
    .await
}

/// The quick registration page (anyone with the link).
#[server(endpoint = "registration_page")]
pub async fn load_registration_page(code: String) -> Result<RegistrationPage, AppError> {
    call(|Call { state, .. }| async move { service::page(&state.pool, &code).await }).await
}

/// Sends the confirmation link; answers the address it went to.
#[server(endpoint = "register_by_link")]
pub async fn register_by_link(
    code: String,
    email: String,
    first_name: String,
    last_name: String,
    password: String,
) -> Result<String, AppError> {
    call(|Call { state, now }| async move {
        let form = RegistrationForm { email, first_name, last_name, password };
        let client = guard::client_address(&state.config);
        service::request(&state.pool, &state.passwords, &state.config, &code, &form, &client, now).await
    })
    .await
}

#[server(endpoint = "registration_confirmation")]
pub async fn load_confirmation(token: String) -> Result<ConfirmationPage, AppError> {
    call(|Call { state, now }| async move { service::confirmation(&state.pool, &token, now).await }).await
}

/// Confirms the address (with the password chosen at registration). A new account that
/// is in at once is logged in.
#[server(endpoint = "confirm_registration")]
pub async fn confirm_registration(token: String, password: String) -> Result<Confirmed, AppError> {
    call(|Call { state, now }| async move {
        let confirmed = service::confirm(&state.pool, &state.passwords, &state.config, &token, &password, now).await?;
        if confirmed.outcome == Outcome::Active && !confirmed.existing_account {
            let account_id = confirmed.account_id;
            if let Some(old) = guard::session_token(state.config.secure_cookies) {
                session::end(&state.pool, &crate::crypto::tokens::hash_secret(&old)).await?;
            }
            let token = session::create(&state.pool, account_id, false, &guard::session_origin(&state.config), now).await?;
            guard::set_cookie(&session::cookie(&token, false, state.config.secure_cookies));
        }
        Ok(confirmed)
    })
    .await
}
