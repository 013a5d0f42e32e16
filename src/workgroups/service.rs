use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{WorkgroupDetail, WorkgroupSummary};
use crate::access::{PortalCaller, lock_portal};
use crate::domain::DisplayText;
use crate::error::AppError;
use crate::live::Topic;
use crate::live::server::notify;
use crate::structure::MemberBrief;

pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_WORKGROUPS: i64 = 5000;

pub async fn list(pool: &PgPool, caller: &PortalCaller) -> Result<Vec<WorkgroupSummary>, AppError> {
    let rows = sqlx::query_as!(
        WorkgroupSummary,
        r#"SELECT w.id, w.name, w.description,
                  (SELECT count(*) FROM workgroup_members wm WHERE wm.workgroup_id = w.id) AS "member_count!",
                  EXISTS (SELECT 1 FROM workgroup_members wm WHERE wm.workgroup_id = w.id AND wm.account_id = $2) AS "i_am_member!"
           FROM workgroups w WHERE w.portal_id = $1 ORDER BY lower(w.name), w.id"#,
        caller.portal_id,
        caller.account_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

pub async fn create(pool: &PgPool, caller: &PortalCaller, name: &str, description: &str, now: DateTime<Utc>) -> Result<i64, AppError> {
    let name = DisplayText::parse(name, "the group name", 100).map_err(|m| AppError::invalid("name", m))?;
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid("description", format!("This is too long (at most {MAX_DESCRIPTION_CHARS} characters).")));
    }
    let mut tx = pool.begin().await?;
    // Creations sent at once are counted one after another, so together they cannot pass
    // the limit (each would otherwise count the groups committed before any of them).
    lock_portal(&mut tx, caller.portal_id).await?;
    let count = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM workgroups WHERE portal_id = $1"#, caller.portal_id)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_WORKGROUPS {
        return Err(AppError::Conflict(format!("A portal can have at most {MAX_WORKGROUPS} workgroups.")));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO workgroups (portal_id, name, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        caller.portal_id,
        name.as_str(),
        description,
        caller.account_id,
        now
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("workgroups_unique_name") => {
            AppError::invalid("name", "A workgroup with this name already exists.")
        }
        _ => e.into(),
    })?;
    sqlx::query!(
        "INSERT INTO workgroup_members (workgroup_id, portal_id, account_id, added_at) VALUES ($1, $2, $3, $4)",
        id,
        caller.portal_id,
        caller.account_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, caller.portal_id, Topic::Workgroups).await?;
    tx.commit().await?;
    Ok(id)
}

struct GroupRow {
    name: String,
    description: String,
    created_by: Option<i64>,
}

async fn group(pool: &PgPool, caller: &PortalCaller, id: i64) -> Result<GroupRow, AppError> {
    sqlx::query_as!(GroupRow, "SELECT name, description, created_by FROM workgroups WHERE portal_id = $1 AND id = $2", caller.portal_id, id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

fn can_manage(caller: &PortalCaller, group: &GroupRow) -> bool {
    caller.is_admin || group.created_by == Some(caller.account_id)
}

pub async fn detail(pool: &PgPool, caller: &PortalCaller, id: i64) -> Result<WorkgroupDetail, AppError> {
    let group = group(pool, caller, id).await?;
    let members = sqlx::query!(
        "SELECT m.account_id, a.first_name, a.last_name, m.position
         FROM workgroup_members wm
         JOIN memberships m ON m.portal_id = wm.portal_id AND m.account_id = wm.account_id
         JOIN accounts a ON a.id = m.account_id
         WHERE wm.workgroup_id = $1 AND m.status = 'active'
         ORDER BY m.sort_name, m.account_id",
        id
    )
    .fetch_all(pool)
    .await?;
    let members: Vec<MemberBrief> = members
        .into_iter()
        .map(|m| MemberBrief { account_id: m.account_id, name: format!("{} {}", m.first_name, m.last_name), position: m.position })
        .collect();
    Ok(WorkgroupDetail {
        id,
        can_manage: can_manage(caller, &group),
        i_am_member: members.iter().any(|m| m.account_id == caller.account_id),
        name: group.name,
        description: group.description,
        members,
        my_account_id: caller.account_id,
    })
}

/// Candidates for a group, picked from a list: active employees of the portal who are
/// not members yet, found by name, contact e-mail or position (never by login: logins
/// are private, and may be phone numbers). At most [`CANDIDATES`].
pub async fn candidates(pool: &PgPool, caller: &PortalCaller, id: i64, search: &str) -> Result<Vec<MemberBrief>, AppError> {
    let group = group(pool, caller, id).await?;
    if !can_manage(caller, &group) {
        return Err(AppError::Forbidden);
    }
    crate::domain::check_search(search).map_err(|m| AppError::invalid("search", m))?;
    let pattern = format!("%{}%", search.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    Ok(sqlx::query_as!(
        MemberBrief,
        r#"SELECT m.account_id, a.first_name || ' ' || a.last_name AS "name!", m.position
           FROM memberships m JOIN accounts a ON a.id = m.account_id
           WHERE m.portal_id = $1 AND m.status = 'active' AND m.search_public LIKE $3
             AND NOT EXISTS (SELECT 1 FROM workgroup_members w WHERE w.workgroup_id = $2 AND w.account_id = m.account_id)
           ORDER BY m.sort_name, m.account_id LIMIT $4"#,
        caller.portal_id,
        id,
        pattern,
        CANDIDATES
    )
    .fetch_all(pool)
    .await?)
}

/// Candidates listed at once in the "Add a member" picker.
pub const CANDIDATES: i64 = 20;

/// Adds the person picked from [`candidates`]: an active employee of the portal.
pub async fn add_member(pool: &PgPool, caller: &PortalCaller, id: i64, account_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let group = group(pool, caller, id).await?;
    if !can_manage(caller, &group) {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let active = crate::access::is_active_member(&mut tx, caller.portal_id, account_id).await?;
    if !active {
        return Err(AppError::invalid("account_id", "Pick an active employee of this portal."));
    }
    let added = sqlx::query!(
        "INSERT INTO workgroup_members (workgroup_id, portal_id, account_id, added_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        id,
        caller.portal_id,
        account_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(AppError::invalid("account_id", "This person is already a member."));
    }
    notify(&mut *tx, caller.portal_id, Topic::Workgroups).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member: the creator and administrators remove anyone, others only leave.
pub async fn remove_member(pool: &PgPool, caller: &PortalCaller, id: i64, account_id: i64) -> Result<(), AppError> {
    let group = group(pool, caller, id).await?;
    if !can_manage(caller, &group) && account_id != caller.account_id {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "DELETE FROM workgroup_members WHERE workgroup_id = $1 AND portal_id = $2 AND account_id = $3",
        id,
        caller.portal_id,
        account_id
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, caller.portal_id, Topic::Workgroups).await?;
    tx.commit().await?;
    Ok(())
}
