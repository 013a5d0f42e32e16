use leptos::prelude::*;

use super::{WorkgroupDetail, WorkgroupSummary};
use crate::error::AppError;
use crate::structure::MemberBrief;

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

/// People who could be added to the group, by name, contact e-mail or position.
#[server(endpoint = "workgroup_candidates")]
pub async fn workgroup_candidates(
    slug: String,
    workgroup_id: i64,
    #[server(default)] search: String,
) -> Result<Vec<MemberBrief>, AppError> {
    in_portal(
        slug,
        |PortalCall { state, caller, .. }| async move { service::candidates(&state.pool, &caller, workgroup_id, &search).await },
    )
    .await
}

/// Adds a person picked from the candidates.
#[server(endpoint = "add_workgroup_member")]
pub async fn add_workgroup_member(slug: String, workgroup_id: i64, account_id: i64) -> Result<(), AppError> {
    in_portal(slug, |PortalCall { state, caller, now, .. }| async move {
        service::add_member(&state.pool, &caller, workgroup_id, account_id, now).await
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
