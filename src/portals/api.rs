use leptos::prelude::*;

use crate::audit::AuditEntry;
use crate::components::PortalHome;
use crate::error::AppError;
use crate::notices::Notices;

#[cfg(feature = "ssr")]
use {
    super::service::{self, SignUpForm},
    crate::access::{PortalCall, in_portal},
    crate::auth::guard::{SignedIn, signed_in},
    crate::auth::{guard, session},
    crate::domain::Role,
    crate::server::{Call, call},
};

/// "Create your Bitrix24". A logged-in person creates the portal with their account;
/// otherwise the account is created too and logged in.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    company_name: String,
    slug: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    password: Option<String>,
) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        let me = guard::current_session(&state).await?;
        service::count_sign_up(&state.pool, &state.config, &guard::client_address(&state.config), now).await?;
        let form = SignUpForm { company_name, slug, first_name, last_name, email, password };
        let done = service::sign_up(&state.pool, &state.passwords, &state.config, &form, me.map(|m| m.account_id), now).await?;
        if done.new_account {
            let token = session::create(&state.pool, done.account_id, false, &guard::session_origin(&state.config), now).await?;
            guard::set_cookie(&session::cookie(&token, false, state.config.secure_cookies));
        }
        leptos_axum::redirect(&format!("/p/{}", done.slug));
        Ok(())
    })
    .await
}

#[server(endpoint = "portal_home")]
pub async fn load_portal_home(slug: String) -> Result<PortalHome, AppError> {
    signed_in(|SignedIn { state, me, .. }| async move {
        me.require_portal_access()?;
        let caller = crate::access::current_caller(&state, &slug).await?;
        Ok(PortalHome {
            can_invite: crate::access::invite::may_invite(caller.is_admin, caller.everyone_can_invite),
            slug,
            name: caller.portal_name.clone(),
            plan: caller.plan,
            my_role: if caller.is_admin { Role::Admin } else { Role::Employee },
            my_name: me.full_name(),
            my_account_id: me.account_id,
            my_time_zone: caller.zone.name().to_string(),
            admin_needs_two_factor: caller.admin_needs_two_factor,
        })
    })
    .await
}

/// The bell: the caller's newest notices in this portal and how many are unread.
#[server(endpoint = "notices")]
pub async fn load_notices(slug: String) -> Result<Notices, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        Ok(crate::notices::server::list(&state.pool, caller.portal_id, caller.account_id, caller.zone, now).await?)
    })
    .await
}

/// Marks one of the caller's notices read, or with no `notice_id` all of them.
#[server(endpoint = "mark_notices_read")]
pub async fn mark_notices_read(slug: String, #[server(default)] notice_id: Option<i64>) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        Ok(crate::notices::server::mark_read(&state.pool, caller.portal_id, caller.account_id, notice_id, now).await?)
    })
    .await
}

/// The audit log's newest entries (older ones with `before`), for administrators.
#[server(endpoint = "audit_log")]
pub async fn load_audit_log(slug: String, before: Option<i64>) -> Result<Vec<AuditEntry>, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::audit_log(&state.pool, &caller, before, now).await })
        .await
}

/// Whether administrators must use two-factor log-in here (administrators only).
#[server(endpoint = "two_factor_rule")]
pub async fn load_two_factor_rule(slug: String) -> Result<bool, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::two_factor_rule(&state.pool, &caller).await }).await
}

/// "Require two-factor log-in for administrators", on (`required` sent) or off.
#[server(endpoint = "set_two_factor_rule")]
pub async fn set_two_factor_rule(slug: String, #[server(default)] required: Option<String>) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::set_two_factor_rule(&state.pool, &caller, required.is_some(), now).await
    })
    .await
}
