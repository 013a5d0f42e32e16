use leptos::prelude::*;

use super::{WorkgroupDetail, WorkgroupSummary};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::access::{PortalCall, in_portal},
};

#[server(endpoint = "workgroups")]
pub async fn list_workgroups(slug: String) -> Result<Vec<WorkgroupSummary>, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::list(&state.pool, &caller).await }).await
}

#[server(endpoint = "create_workgroup")]
pub async fn create_workgroup(slug: String, name: String, description: String) -> Result<i64, AppError> {
    in_portal(
        slug,
        |PortalCall { state, caller, now, .. }| async move { service::create(&state.pool, &caller, &name, &description, now).await },
    )
    .await
}

#[server(endpoint = "workgroup")]
pub async fn load_workgroup(slug: String, workgroup_id: i64) -> Result<WorkgroupDetail, AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move { service::detail(&state.pool, &caller, workgroup_id).await }).await
}

/// `person` is an email (login or contact email) or a full name.
#[server(endpoint = "add_workgroup_member")]
pub async fn add_workgroup_member(slug: String, workgroup_id: i64, person: String) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::add_member(&state.pool, &caller, workgroup_id, &person, now).await
    })
    .await
}

#[server(endpoint = "remove_workgroup_member")]
pub async fn remove_workgroup_member(slug: String, workgroup_id: i64, account_id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, .. }| async move {
        service::remove_member(&state.pool, &caller, workgroup_id, account_id).await
    })
    .await
}
