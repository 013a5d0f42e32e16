use leptos::prelude::*;

use super::{WorkgroupDetail, WorkgroupSummary};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::portals::service::current_caller,
    crate::server::{app_state, finish},
    chrono::Utc,
};

#[server(endpoint = "workgroups")]
pub async fn list_workgroups(slug: String) -> Result<Vec<WorkgroupSummary>, AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::list(&state.pool, &caller).await
        }
        .await,
    )
}

#[server(endpoint = "create_workgroup")]
pub async fn create_workgroup(slug: String, name: String, description: String) -> Result<i64, AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::create(&state.pool, &caller, &name, &description, Utc::now()).await
        }
        .await,
    )
}

#[server(endpoint = "workgroup")]
pub async fn load_workgroup(slug: String, workgroup_id: i64) -> Result<WorkgroupDetail, AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::detail(&state.pool, &caller, workgroup_id).await
        }
        .await,
    )
}

/// `person` is an email (login or contact email) or a full name.
#[server(endpoint = "add_workgroup_member")]
pub async fn add_workgroup_member(slug: String, workgroup_id: i64, person: String) -> Result<(), AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::add_member(&state.pool, &caller, workgroup_id, &person, Utc::now()).await
        }
        .await,
    )
}

#[server(endpoint = "remove_workgroup_member")]
pub async fn remove_workgroup_member(slug: String, workgroup_id: i64, account_id: i64) -> Result<(), AppError> {
    finish(
        async {
            let state = app_state()?;
            let caller = current_caller(&state, &slug).await?;
            service::remove_member(&state.pool, &caller, workgroup_id, account_id).await
        }
        .await,
    )
}
