use leptos::prelude::*;

use super::{EmployeePage, PersonProfile};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::EmployeeFilter,
    super::service::{self, Cursor, PersonAction},
    crate::access::{PortalCall, in_portal},
};

/// One page of the Employees list. `after` / `before` are the cursors of the previous
/// answer; `filter` is a key of [`EmployeeFilter`].
#[server(endpoint = "employees")]
pub async fn list_employees(
    slug: String,
    filter: String,
    search: String,
    after: Option<i64>,
    before: Option<i64>,
) -> Result<EmployeePage, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move {
        let cursor = match (after, before) {
            (Some(id), _) => Cursor::After(id),
            (None, Some(id)) => Cursor::Before(id),
            (None, None) => Cursor::First,
        };
        service::list_employees(&state.pool, &caller, EmployeeFilter::from_key(&filter), &search, cursor).await
    })
    .await
}

#[server(endpoint = "person")]
pub async fn load_person(slug: String, account_id: i64) -> Result<PersonProfile, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::profile(&state.pool, &caller, account_id).await }).await
}

/// An administrator's action on a person: `make_admin`, `remove_admin`, `dismiss`, `hire`.
#[server(endpoint = "person_action")]
pub async fn act_on_person(slug: String, account_id: i64, action: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let action = PersonAction::parse(&action)?;
        service::act_on_person(&state.pool, &caller, account_id, action, now).await
    })
    .await
}

/// An administrator resets a person's two-factor log-in (they lost their phone).
#[server(endpoint = "reset_two_factor")]
pub async fn reset_two_factor(slug: String, account_id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::reset_two_factor(&state.pool, &caller, account_id, now).await
    })
    .await
}
