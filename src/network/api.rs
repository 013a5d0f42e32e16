use leptos::prelude::*;

use super::{LoginChangeAnswer, NetworkProfile, SessionRow, TwoFactorSetup};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::auth::guard::{SignedIn, signed_in},
    crate::auth::{api::portals_of, guard, two_factor},
    crate::server::{Call, call},
};

#[server(endpoint = "network_profile")]
pub async fn load_network_profile() -> Result<NetworkProfile, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let portals = portals_of(&state.pool, me.account_id).await?;
        let sessions = service::sessions(&state.pool, &me, now).await?;
        let two_factor = service::two_factor_state(&state.pool, &me, now).await?;
        Ok(NetworkProfile {
            sessions,
            two_factor,
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

/// "Change login": to an e-mail address (confirmed by a link) or a phone number
/// (confirmed by a code sent by SMS).
#[server(endpoint = "change_login")]
pub async fn change_login(current_password: String, new_login: String) -> Result<LoginChangeAnswer, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let started = service::request_login_change(
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
        let new_login = started.new_login;
        Ok(if started.by_code {
            LoginChangeAnswer {
                message: format!("We sent a 6-digit code by SMS to {new_login}. Enter it below within 10 minutes to make it your login."),
                by_code: true,
            }
        } else {
            LoginChangeAnswer {
                message: format!("We sent a confirmation link to {new_login}. Your login changes when you open it (within 24 hours)."),
                by_code: false,
            }
        })
    })
    .await
}

/// The code texted to the new number: the login becomes that number.
#[server(endpoint = "confirm_login_code")]
pub async fn confirm_login_code(code: String) -> Result<String, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let client = guard::client_address(&state.config);
        let login = service::confirm_login_with_code(&state.pool, &me, &code, &client, now).await?;
        Ok(format!("Your login is now {login}."))
    })
    .await
}

/// Anyone holding the link may confirm: the link itself proves the new address is theirs,
/// and the password was checked when the change was asked for.
#[server(endpoint = "confirm_login")]
pub async fn confirm_login(token: String) -> Result<String, AppError> {
    call(|Call { state, now }| async move { service::confirm_login_change(&state.pool, &token, now).await }).await
}

/// Ends one of the account's own sessions, by its number in the list. Answers the list as
/// it now stands.
#[server(endpoint = "end_session")]
pub async fn end_session(id: i64) -> Result<Vec<SessionRow>, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        service::end_session(&state.pool, &me, id, now).await?;
        service::sessions(&state.pool, &me, now).await
    })
    .await
}

/// "Log out everywhere else". Answers the list as it now stands: this session alone.
#[server(endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<Vec<SessionRow>, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        service::end_other_sessions(&state.pool, &me, now).await?;
        service::sessions(&state.pool, &me, now).await
    })
    .await
}

/// "Set up two-factor log-in": a new secret for the authenticator app, shown as a QR code
/// and as text. Not in force until a code from the app confirms it.
#[server(endpoint = "begin_two_factor_setup")]
pub async fn begin_two_factor_setup() -> Result<TwoFactorSetup, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let started = two_factor::begin_setup(&state.pool, &state.config, &me, now).await?;
        Ok(TwoFactorSetup { secret: started.secret, qr_svg: started.qr_svg })
    })
    .await
}

/// Turns two-factor log-in on with a code from the app and the password. Answers the ten
/// recovery codes, shown this once.
#[server(endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(current_password: String, code: String) -> Result<Vec<String>, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let client = guard::client_address(&state.config);
        two_factor::confirm_setup(&state.pool, &state.passwords, &state.config, &me, &current_password, &code, &client, now).await
    })
    .await
}

/// Ten new recovery codes for a code from the app; the old ones stop working.
#[server(endpoint = "renew_recovery_codes")]
pub async fn renew_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let client = guard::client_address(&state.config);
        two_factor::renew_recovery_codes(&state.pool, &state.config, &me, &code, &client, now).await
    })
    .await
}

/// Turns two-factor log-in off, for a code from the app or a recovery code.
#[server(endpoint = "turn_off_two_factor")]
pub async fn turn_off_two_factor(code: String) -> Result<(), AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let client = guard::client_address(&state.config);
        two_factor::turn_off(&state.pool, &state.config, &me, &code, &client, now).await
    })
    .await
}
