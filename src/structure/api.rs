use leptos::prelude::*;

use super::{DepartmentMembers, Structure};
use crate::domain::NamedId;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::access::{PortalCall, in_portal},
};

#[server(endpoint = "structure")]
pub async fn load_structure(slug: String) -> Result<Structure, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::load(&state.pool, &caller).await }).await
}

/// The portal's departments as choices for a select, indented by depth (any member).
#[server(endpoint = "department_choices")]
pub async fn load_department_choices(slug: String) -> Result<Vec<NamedId>, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::department_choices(&state.pool, caller.portal_id).await })
        .await
}

#[server(endpoint = "department_members")]
pub async fn load_department_members(slug: String, department_id: i64) -> Result<DepartmentMembers, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::members(&state.pool, &caller, department_id).await }).await
}

#[server(endpoint = "add_department")]
pub async fn add_department(slug: String, name: String, parent_id: i64) -> Result<i64, AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move { service::add(&state.pool, &caller, &name, parent_id, now).await })
        .await
}

#[server(endpoint = "rename_department")]
pub async fn rename_department(slug: String, department_id: i64, name: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::rename(&state.pool, &caller, department_id, &name, now).await
    })
    .await
}

#[server(endpoint = "move_department")]
pub async fn move_department(slug: String, department_id: i64, parent_id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::move_under(&state.pool, &caller, department_id, parent_id, now).await
    })
    .await
}

#[server(endpoint = "delete_department")]
pub async fn delete_department(slug: String, department_id: i64, move_people: Option<String>) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::delete(&state.pool, &caller, department_id, move_people.is_some(), now).await
    })
    .await
}

/// `head_id` empty clears the head.
#[server(endpoint = "set_department_head")]
pub async fn set_department_head(slug: String, department_id: i64, head_id: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        let head = match head_id.trim() {
            "" => None,
            id => Some(id.parse::<i64>().map_err(|_| AppError::invalid("head_id", "Choose an employee."))?),
        };
        service::set_head(&state.pool, &caller, department_id, head, now).await
    })
    .await
}

#[server(endpoint = "move_person")]
pub async fn move_person(slug: String, account_id: i64, department_id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::move_person(&state.pool, &caller, account_id, department_id, now).await
    })
    .await
}
