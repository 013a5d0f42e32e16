use leptos::prelude::*;

use super::NetworkProfile;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::auth::guard::{SignedIn, signed_in},
    crate::auth::{api::portals_of, guard},
    crate::server::{Call, call},
};

#[server(endpoint = "network_profile")]
pub async fn load_network_profile() -> Result<NetworkProfile, AppError> {
    signed_in(|SignedIn { state, me, .. }| async move {
        let portals = portals_of(&state.pool, me.account_id).await?;
        Ok(NetworkProfile {
            login: me.login,
            first_name: me.first_name,
            last_name: me.last_name,
            portals,
            must_change_password: me.must_change_password,
        })
    })
    .await
}

#[server(endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<String, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        service::change_password(
            &state.pool,
            &state.passwords,
            &me,
            &current_password,
            &new_password,
            &guard::client_address(&state.config),
            now,
        )
        .await?;
        Ok("Your password was changed. Your other sessions were logged out.".to_string())
    })
    .await
}

#[server(endpoint = "change_login")]
pub async fn change_login(current_password: String, new_login: String) -> Result<String, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let new_login = service::request_login_change(
            &state.pool,
            &state.passwords,
            &state.config,
            &me,
            &current_password,
            &new_login,
            &guard::client_address(&state.config),
            now,
        )
        .await?;
        Ok(format!("We sent a confirmation link to {new_login}. Your login changes when you open it (within 24 hours)."))
    })
    .await
}

/// Anyone holding the link may confirm: the link itself proves the new address is theirs,
/// and the password was checked when the change was asked for.
#[server(endpoint = "confirm_login")]
pub async fn confirm_login(token: String) -> Result<String, AppError> {
    call(|Call { state, now }| async move { service::confirm_login_change(&state.pool, &token, now).await }).await
}
