use leptos::prelude::*;

use super::{AccountSummary, PortalLink, ResetRequested};
#[cfg(feature = "ssr")]
use crate::domain::{MembershipStatus, Role};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::Entry,
    super::{guard, service, session, two_factor},
    crate::auth::guard::{SignedIn, signed_in},
    crate::domain::time::Zone,
    crate::server::{Call, call},
};

#[server(endpoint = "login")]
pub async fn log_in(
    login: String,
    password: String,
    remember: Option<String>,
    #[server(default)] next: Option<String>,
    // The browser's zone, filled in by the page once it runs: times are shown in it.
    #[server(default)] time_zone: Option<String>,
) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        let remember = remember.is_some();
        let region = state.config.phone_region.as_deref();
        let outcome =
            service::log_in(&state.pool, &state.passwords, region, &login, &password, remember, &guard::session_origin(&state.config), now)
                .await?;
        if let Some(zone) = time_zone.as_deref().and_then(Zone::parse).filter(|zone| zone.name() != outcome.time_zone) {
            service::remember_time_zone(&state.pool, outcome.account_id, zone).await?;
        }
        // `next` (an invitation link, say) wins when it is a path on this site.
        let destination = next.filter(|n| super::is_local_path(n)).unwrap_or(outcome.destination);
        let secure = state.config.secure_cookies;
        match outcome.entry {
            Entry::Session(token) => {
                start_session(&state, &token, remember).await?;
                leptos_axum::redirect(&destination);
            }
            // Two-factor log-in: the code comes on the next page, which the cookie leads to.
            Entry::CodeNeeded => {
                let challenge = two_factor::start_log_in(&state.pool, outcome.account_id, remember, &destination, now).await?;
                guard::set_cookie(&two_factor::challenge_cookie(&challenge, secure));
                leptos_axum::redirect("/login/code");
            }
        }
        Ok(())
    })
    .await
}

/// A fresh session id on every log-in; the one the browser had (if any) ends.
#[cfg(feature = "ssr")]
async fn start_session(state: &crate::server::AppState, token: &str, remember: bool) -> Result<(), AppError> {
    if let Some(old) = guard::session_token(state.config.secure_cookies) {
        session::end(&state.pool, &crate::crypto::tokens::hash_secret(&old)).await?;
    }
    guard::set_cookie(&session::cookie(token, remember, state.config.secure_cookies));
    Ok(())
}

/// The second step of a log-in with two-factor log-in on: the code from the app, or a
/// recovery code. Throttled like passwords; a right code starts the session.
#[server(endpoint = "login_code")]
pub async fn log_in_with_code(code: String) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        let secure = state.config.secure_cookies;
        let challenge = guard::cookie_value(two_factor::challenge_cookie_name(secure)).ok_or(AppError::LogInExpired)?;
        let origin = guard::session_origin(&state.config);
        let accepted = two_factor::finish_log_in(&state.pool, &state.config, &challenge, &code, &origin, now).await?;
        start_session(&state, &accepted.session_token, accepted.remember).await?;
        guard::set_cookie(&two_factor::clearing_challenge_cookie(secure));
        leptos_axum::redirect(&accepted.destination);
        Ok(())
    })
    .await
}

/// The browser's time zone (an IANA name such as "Europe/Berlin"), kept with the account.
/// Answers the name kept.
#[server(endpoint = "remember_time_zone")]
pub async fn remember_time_zone(time_zone: String) -> Result<String, AppError> {
    signed_in(|SignedIn { state, me, .. }| async move {
        let zone = Zone::parse(&time_zone).ok_or_else(|| AppError::invalid("time_zone", "This is not a time zone."))?;
        service::remember_time_zone(&state.pool, me.account_id, zone).await?;
        Ok(zone.name().to_string())
    })
    .await
}

#[server(endpoint = "logout")]
pub async fn log_out() -> Result<(), AppError> {
    call(|Call { state, .. }| async move {
        if let Some(token) = guard::session_token(state.config.secure_cookies) {
            session::end(&state.pool, &crate::crypto::tokens::hash_secret(&token)).await?;
        }
        guard::set_cookie(&session::clearing_cookie(state.config.secure_cookies));
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// The logged-in person, or None.
#[server(endpoint = "current_account")]
pub async fn current_account() -> Result<Option<AccountSummary>, AppError> {
    call(|Call { state, .. }| async move {
        Ok(guard::current_session(&state).await?.map(|s| AccountSummary {
            login: s.login,
            first_name: s.first_name,
            last_name: s.last_name,
        }))
    })
    .await
}

/// The portals of the logged-in account.
#[server(endpoint = "my_portals")]
pub async fn my_portals() -> Result<Vec<PortalLink>, AppError> {
    signed_in(|SignedIn { state, me, .. }| async move { portals_of(&state.pool, me.account_id).await }).await
}

#[cfg(feature = "ssr")]
pub async fn portals_of(pool: &sqlx::PgPool, account_id: i64) -> Result<Vec<PortalLink>, AppError> {
    let rows = sqlx::query_as!(
        PortalLink,
        r#"SELECT p.slug, p.name, m.role AS "role: Role", m.status AS "status: MembershipStatus" FROM memberships m JOIN portals p ON p.id = m.portal_id
         WHERE m.account_id = $1 ORDER BY p.name"#,
        account_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// "Forgot password?": a link by e-mail for an e-mail login, a code by SMS for a phone
/// login. The answer depends only on what was typed, never on whether it has an account.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(login: String) -> Result<ResetRequested, AppError> {
    call(|Call { state, now }| async move {
        service::count_reset_request(&state.pool, &guard::client_address(&state.config), now).await?;
        let by = service::request_password_reset(&state.pool, &state.config, &login, now).await?;
        let login = crate::domain::phone::normalize_login_input(&login, state.config.phone_region.as_deref());
        Ok(match by {
            service::ResetBy::Link => ResetRequested {
                message: "If an account with this login exists, we have sent it a link to reset the password. The link works for one hour."
                    .into(),
                by_code: false,
                login,
            },
            service::ResetBy::Code => ResetRequested {
                message: "If an account with this number exists, we have sent it a 6-digit code by SMS. \
                          Enter it below with a new password. The code works for 10 minutes."
                    .into(),
                by_code: true,
                login,
            },
        })
    })
    .await
}

/// Sets a new password with the code texted to a phone login, then asks to log in.
#[server(endpoint = "reset_password_with_code")]
pub async fn reset_password_with_code(login: String, code: String, password: String) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        let client = guard::client_address(&state.config);
        service::reset_password_with_code(&state.pool, &state.passwords, &state.config, &login, &code, &password, &client, now).await?;
        guard::set_cookie(&session::clearing_cookie(state.config.secure_cookies));
        leptos_axum::redirect("/login?reset=done");
        Ok(())
    })
    .await
}

/// Whether a single-use link can still be used; `purpose` is `password_reset` or `login_change`.
#[server(endpoint = "link_status")]
pub async fn link_status(token: String, purpose: String) -> Result<bool, AppError> {
    call(|Call { state, now }| async move {
        if !["password_reset", "login_change", "email_confirm"].contains(&purpose.as_str()) {
            return Err(AppError::NotFound);
        }
        service::link_is_usable(&state.pool, &token, &purpose, now).await
    })
    .await
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        service::reset_password(&state.pool, &state.passwords, &token, &password, now).await?;
        guard::set_cookie(&session::clearing_cookie(state.config.secure_cookies));
        leptos_axum::redirect("/login?reset=done");
        Ok(())
    })
    .await
}

/// Opens an address confirmation link (anyone holding it: the link itself is the proof).
/// Answers the confirmed address.
#[server(endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<String, AppError> {
    call(|Call { state, now }| async move { super::email_confirmation::confirm(&state.pool, &token, now).await }).await
}

/// Sends the logged-in person a new address confirmation link.
#[server(endpoint = "resend_email_confirmation")]
pub async fn resend_email_confirmation() -> Result<String, AppError> {
    signed_in(|SignedIn { state, me, now }| async move { super::email_confirmation::resend(&state.pool, &state.config, &me, now).await })
        .await
}
