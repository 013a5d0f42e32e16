// The invite function takes one argument per form field; the lint fires in the code the
// #[server] macro generates, where an attribute on the function misses it.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::InvitedShow;
use super::funnel::Funnel;
use super::{BulkPreview, BulkSent, InvitationPage, InviteDialog, InviteReport, InvitedPage, RegistrationCompletion};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{self, InviteRequest, NewPerson},
    crate::access::{PortalCall, in_portal},
    crate::auth::guard::{SignedIn, signed_in},
    crate::auth::{guard, session},
    crate::server::{Call, call},
};

#[server(endpoint = "invite_dialog")]
pub async fn load_invite_dialog(slug: String) -> Result<InviteDialog, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::dialog(&state.pool, &state.config, &caller, now).await })
        .await
}

/// "Invite using e-mail". `workgroup_ids` come as `workgroup_ids[0]=…` form fields.
#[server(endpoint = "invite_by_email")]
pub async fn invite_by_email(
    slug: String,
    addresses: String,
    #[server(default)] department_id: Option<i64>,
    #[server(default)] workgroup_ids: Vec<i64>,
    #[server(default)] message: Option<String>,
) -> Result<InviteReport, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let request = InviteRequest { addresses, department_id, workgroup_ids, message };
        service::invite_by_email(&state.pool, &state.config, &caller, &request, now).await
    })
    .await
}

/// Employees > Invited > Funnel: `by` is a [`super::funnel::FunnelGrouping`] key, `page`
/// (of the rows) counts from 1.
#[server(endpoint = "invitation_funnel")]
pub async fn load_invitation_funnel(slug: String, #[server(default)] by: String, #[server(default)] page: i64) -> Result<Funnel, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::funnel::funnel(&state.pool, &caller, super::funnel::FunnelGrouping::from_key(&by), page, now).await
    })
    .await
}

/// Employees > Invited: `show` is an [`InvitedShow`] key, `page` counts from 1.
#[server(endpoint = "invitations")]
pub async fn list_invitations(
    slug: String,
    #[server(default)] show: String,
    #[server(default)] search: String,
    #[server(default)] page: i64,
) -> Result<InvitedPage, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::list(&state.pool, &state.config, &caller, InvitedShow::from_key(&show), &search, page, now).await
    })
    .await
}

/// Answers what to tell the person: sent again, or sent with the standard text.
#[server(endpoint = "resend_invitation")]
pub async fn resend_invitation(slug: String, invitation_id: i64) -> Result<String, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::resend(&state.pool, &state.config, &caller, invitation_id, now).await
    })
    .await
}

#[server(endpoint = "cancel_invitation")]
pub async fn cancel_invitation(slug: String, invitation_id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::cancel(&state.pool, &caller, invitation_id, now).await })
        .await
}

/// What the invitation link shows. Anyone holding the link may read it.
#[server(endpoint = "invitation")]
pub async fn load_invitation(token: String) -> Result<InvitationPage, AppError> {
    call(|Call { state, now }| async move {
        let me = guard::current_session(&state).await?;
        service::page(&state.pool, &token, me.as_ref(), now).await
    })
    .await
}

/// Accepts with a new account, logs the person in and opens the portal.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String, first_name: String, last_name: String, password: String) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        let person = NewPerson { first_name, last_name, password };
        let (account_id, slug) = service::accept_new(&state.pool, &state.passwords, &state.config, &token, &person, now).await?;
        log_in_and_open(&state, account_id, &slug, now).await
    })
    .await
}

/// A person who just joined or set their first password: a fresh session (the one the
/// browser had, if any, ends), and the portal opens.
#[cfg(feature = "ssr")]
async fn log_in_and_open(
    state: &crate::server::AppState,
    account_id: i64,
    slug: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    if let Some(old) = guard::session_token(state.config.secure_cookies) {
        session::end(&state.pool, &crate::crypto::tokens::hash_secret(&old)).await?;
    }
    let session_token = session::create(&state.pool, account_id, false, &guard::session_origin(&state.config), now).await?;
    guard::set_cookie(&session::cookie(&session_token, false, state.config.secure_cookies));
    leptos_axum::redirect(&format!("/p/{slug}"));
    Ok(())
}

/// Accepts as the logged-in account (the invited address's own).
#[server(endpoint = "join_portal")]
pub async fn join_portal(token: String) -> Result<(), AppError> {
    signed_in(|SignedIn { state, me, now }| async move {
        let slug = service::accept_existing(&state.pool, &state.config, &token, &me, now).await?;
        leptos_axum::redirect(&format!("/p/{slug}"));
        Ok(())
    })
    .await
}

#[server(endpoint = "ask_for_new_invitation")]
pub async fn ask_for_new_invitation(token: String) -> Result<(), AppError> {
    call(|Call { state, now }| async move { service::ask_for_new(&state.pool, &state.config, &token, now).await }).await
}

/// "Register": adds a person directly (administrators).
#[server(endpoint = "register_user")]
pub async fn register_user(
    slug: String,
    email: String,
    first_name: String,
    last_name: String,
    #[server(default)] position: String,
    #[server(default)] department_id: Option<i64>,
    #[server(default)] without_confirmation: Option<String>,
) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let form = service::Registration {
            email,
            first_name,
            last_name,
            position,
            department_id,
            without_confirmation: without_confirmation.is_some(),
        };
        service::register(&state.pool, &state.passwords, &state.config, &caller, &form, now).await.map(|_| ())
    })
    .await
}

/// What "Complete your registration" shows. Anyone holding the link may read it.
#[server(endpoint = "registration_completion")]
pub async fn load_registration_completion(token: String) -> Result<RegistrationCompletion, AppError> {
    call(|Call { state, now }| async move { service::completion(&state.pool, &token, now).await }).await
}

/// Sets the registered person's first password, logs them in and opens the portal.
#[server(endpoint = "complete_registration")]
pub async fn complete_registration(token: String, password: String) -> Result<(), AppError> {
    call(|Call { state, now }| async move {
        let (account_id, slug) = service::complete(&state.pool, &state.passwords, &token, &password, now).await?;
        log_in_and_open(&state, account_id, &slug, now).await
    })
    .await
}

/// "Invite using SMS": phone numbers, one per line (or comma separated), into a
/// department and workgroups like an e-mail invitation.
#[server(endpoint = "invite_by_sms")]
pub async fn invite_by_sms(
    slug: String,
    numbers: String,
    #[server(default)] department_id: Option<i64>,
    #[server(default)] workgroup_ids: Vec<i64>,
) -> Result<InviteReport, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let request = InviteRequest { addresses: numbers, department_id, workgroup_ids, message: None };
        service::invite_by_sms(&state.pool, &state.config, &caller, &request, now).await
    })
    .await
}

/// "Invite from a list": every row of the pasted or uploaded list with its status. Nothing
/// is sent. For administrators.
#[server(endpoint = "preview_bulk_invitations")]
pub async fn preview_bulk_invitations(slug: String, rows: String) -> Result<BulkPreview, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::bulk::preview(&state.pool, &state.config, &caller, &rows, now).await
    })
    .await
}

/// "Send": invites the list's ready rows (checked again), in one transaction.
#[server(endpoint = "send_bulk_invitations")]
pub async fn send_bulk_invitations(slug: String, rows: String) -> Result<BulkSent, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::bulk::send(&state.pool, &state.config, &caller, &rows, now).await
    })
    .await
}
