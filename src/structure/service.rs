use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::{Department, DepartmentMembers, MemberBrief, Structure, natural_cmp};
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::domain::DisplayText;
use crate::domain::NamedId;
use crate::error::AppError;
use crate::live::Topic;
use crate::live::server::notify;

pub const MAX_DEPARTMENTS: i64 = 5000;

/// The whole tree with heads and head counts, parents before children.
pub async fn load(pool: &PgPool, caller: &PortalCaller) -> Result<Structure, AppError> {
    let departments = all_departments(pool, caller.portal_id).await?.into_iter().map(|(department, _)| department).collect();
    Ok(Structure { departments, viewer_is_admin: caller.is_admin })
}

/// Every department of the portal in tree order (parents first, siblings by name), with
/// its depth. One indexed read; the order is worked out here rather than by a recursive
/// query, which costs a lookup per department.
async fn all_departments(pool: &PgPool, portal_id: i64) -> Result<Vec<(Department, usize)>, AppError> {
    let rows = sqlx::query_as!(
        Department,
        r#"SELECT d.id, d.parent_id, d.name, d.head_account_id AS head_id,
                  h.first_name || ' ' || h.last_name AS "head_name?",
                  d.active_members::bigint AS "member_count!"
           FROM departments d LEFT JOIN accounts h ON h.id = d.head_account_id
           WHERE d.portal_id = $1"#,
        portal_id
    )
    .fetch_all(pool)
    .await?;
    Ok(tree_order(rows))
}

/// Sorts departments depth-first from the top one; siblings by name, then id.
pub fn tree_order(mut departments: Vec<Department>) -> Vec<(Department, usize)> {
    departments.sort_by(|a, b| natural_cmp(&a.name, &b.name).then(a.id.cmp(&b.id)));
    let mut children: std::collections::HashMap<Option<i64>, Vec<Department>> = std::collections::HashMap::new();
    for department in departments {
        children.entry(department.parent_id).or_default().push(department);
    }
    let mut ordered = Vec::new();
    // A stack of (department, depth), siblings pushed in reverse so they come out in order.
    let mut stack: Vec<(Department, usize)> = children.remove(&None).unwrap_or_default().into_iter().rev().map(|d| (d, 0)).collect();
    while let Some((department, depth)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(department.id)) {
            stack.extend(kids.into_iter().rev().map(|d| (d, depth + 1)));
        }
        ordered.push((department, depth));
    }
    ordered
}

/// Every department as a choice for a select, indented by depth, in tree order.
pub async fn department_choices(pool: &PgPool, portal_id: i64) -> Result<Vec<NamedId>, AppError> {
    Ok(all_departments(pool, portal_id)
        .await?
        .into_iter()
        .map(|(d, depth)| NamedId { id: d.id, name: format!("{}{}", "\u{a0}\u{a0}".repeat(depth), d.name) })
        .collect())
}

pub const MEMBERS_SHOWN: i64 = 100;

pub async fn members(pool: &PgPool, caller: &PortalCaller, department_id: i64) -> Result<DepartmentMembers, AppError> {
    department_in_portal(pool, caller.portal_id, department_id).await?;
    let members = sqlx::query!(
        "SELECT m.account_id, a.first_name, a.last_name, m.position
         FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE m.portal_id = $1 AND m.department_id = $2 AND m.status = 'active'
         ORDER BY m.sort_name, m.account_id LIMIT $3",
        caller.portal_id,
        department_id,
        MEMBERS_SHOWN
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM memberships WHERE portal_id = $1 AND department_id = $2 AND status = 'active'"#,
        caller.portal_id,
        department_id
    )
    .fetch_one(pool)
    .await?;
    Ok(DepartmentMembers {
        members: members
            .into_iter()
            .map(|m| MemberBrief { account_id: m.account_id, name: format!("{} {}", m.first_name, m.last_name), position: m.position })
            .collect(),
        total,
    })
}

pub(crate) async fn department_in_portal(db: impl sqlx::PgExecutor<'_>, portal_id: i64, id: i64) -> Result<Option<i64>, AppError> {
    // Returns the parent (None for the top department); NotFound outside the portal.
    let parent = sqlx::query_scalar!("SELECT parent_id FROM departments WHERE portal_id = $1 AND id = $2", portal_id, id)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(parent)
}

/// A department id from a form that names no department of this portal is bad input
/// for that field; other errors stay what they are.
pub(crate) fn not_found_as_invalid(error: AppError, field: &str) -> AppError {
    match error {
        AppError::NotFound => AppError::invalid(field, "Choose a department."),
        other => other,
    }
}

fn department_name(raw: &str) -> Result<DisplayText, AppError> {
    DisplayText::parse(raw, "the department name", 100).map_err(|m| AppError::invalid("name", m))
}

/// Starts the transaction of a tree edit: admins only, the portal locked.
async fn begin_edit(pool: &PgPool, caller: &PortalCaller) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    Ok(tx)
}

async fn finish_edit(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    caller: &PortalCaller,
    audit: &str,
    subject: Option<i64>,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, audit, subject, detail, now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Structure).await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add(pool: &PgPool, caller: &PortalCaller, name: &str, parent_id: i64, now: DateTime<Utc>) -> Result<i64, AppError> {
    let name = department_name(name)?;
    let mut tx = begin_edit(pool, caller).await?;
    department_in_portal(&mut *tx, caller.portal_id, parent_id).await.map_err(|e| not_found_as_invalid(e, "parent_id"))?;
    let count = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM departments WHERE portal_id = $1"#, caller.portal_id)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_DEPARTMENTS {
        return Err(AppError::Conflict(format!("A portal can have at most {MAX_DEPARTMENTS} departments.")));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO departments (portal_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        caller.portal_id,
        parent_id,
        name.as_str(),
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    finish_edit(tx, caller, "added department", None, name.as_str(), now).await?;
    Ok(id)
}

pub async fn rename(pool: &PgPool, caller: &PortalCaller, id: i64, name: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let name = department_name(name)?;
    let mut tx = begin_edit(pool, caller).await?;
    department_in_portal(&mut *tx, caller.portal_id, id).await?;
    sqlx::query!("UPDATE departments SET name = $3 WHERE portal_id = $1 AND id = $2", caller.portal_id, id, name.as_str())
        .execute(&mut *tx)
        .await?;
    finish_edit(tx, caller, "renamed department", None, name.as_str(), now).await
}

/// Moves a department under another. Refused for the top department and for a new
/// parent inside the moved department's own subtree; the portal lock makes the check
/// and the move one step, so two concurrent moves cannot build a cycle.
pub async fn move_under(pool: &PgPool, caller: &PortalCaller, id: i64, new_parent: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = begin_edit(pool, caller).await?;
    if department_in_portal(&mut *tx, caller.portal_id, id).await?.is_none() {
        return Err(AppError::invalid("parent_id", "The top department cannot be moved."));
    }
    department_in_portal(&mut *tx, caller.portal_id, new_parent).await.map_err(|e| not_found_as_invalid(e, "parent_id"))?;
    let would_cycle = sqlx::query_scalar!(
        r#"WITH RECURSIVE up AS (
               SELECT id, parent_id FROM departments WHERE id = $1
               UNION ALL
               SELECT d.id, d.parent_id FROM departments d JOIN up ON d.id = up.parent_id
           )
           SELECT EXISTS (SELECT 1 FROM up WHERE id = $2) AS "cycle!""#,
        new_parent,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if would_cycle {
        return Err(AppError::invalid("parent_id", "A department cannot be moved under itself or one of its own sub-departments."));
    }
    let name = sqlx::query_scalar!(
        "UPDATE departments SET parent_id = $3 WHERE portal_id = $1 AND id = $2 RETURNING name",
        caller.portal_id,
        id,
        new_parent
    )
    .fetch_one(&mut *tx)
    .await?;
    finish_edit(tx, caller, "moved department", None, &name, now).await
}

/// Deletes an empty department. With `move_people`, its members go to its parent first;
/// sub-departments must be moved or deleted before.
pub async fn delete(pool: &PgPool, caller: &PortalCaller, id: i64, move_people: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = begin_edit(pool, caller).await?;
    let Some(parent) = department_in_portal(&mut *tx, caller.portal_id, id).await? else {
        return Err(AppError::Conflict("The top department cannot be deleted.".into()));
    };
    let has_children =
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM departments WHERE parent_id = $1) AS "any!""#, id).fetch_one(&mut *tx).await?;
    if has_children {
        return Err(AppError::Conflict("This department has sub-departments. Move or delete them first.".into()));
    }
    // Everyone counts here, dismissed people too: their data is kept.
    let people = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM memberships WHERE portal_id = $1 AND department_id = $2"#,
        caller.portal_id,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if people > 0 && !move_people {
        return Err(AppError::Conflict(format!(
            "This department has {people} people. Tick \"Move its people to the parent department\" to delete it anyway."
        )));
    }
    sqlx::query!("UPDATE memberships SET department_id = $3 WHERE portal_id = $1 AND department_id = $2", caller.portal_id, id, parent)
        .execute(&mut *tx)
        .await?;
    let name = sqlx::query_scalar!("DELETE FROM departments WHERE portal_id = $1 AND id = $2 RETURNING name", caller.portal_id, id)
        .fetch_one(&mut *tx)
        .await?;
    finish_edit(tx, caller, "deleted department", None, &name, now).await
}

/// Sets (or with None clears) the head. The head must be an active member of the portal.
pub async fn set_head(pool: &PgPool, caller: &PortalCaller, id: i64, head: Option<i64>, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = begin_edit(pool, caller).await?;
    department_in_portal(&mut *tx, caller.portal_id, id).await?;
    if let Some(head) = head {
        require_active(&mut tx, caller.portal_id, head, "head_id").await?;
    }
    let name = sqlx::query_scalar!(
        "UPDATE departments SET head_account_id = $3 WHERE portal_id = $1 AND id = $2 RETURNING name",
        caller.portal_id,
        id,
        head
    )
    .fetch_one(&mut *tx)
    .await?;
    finish_edit(tx, caller, "set department head", head, &name, now).await
}

async fn require_active(tx: &mut PgConnection, portal_id: i64, account_id: i64, field: &str) -> Result<(), AppError> {
    let active = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE portal_id = $1 AND account_id = $2 AND status = 'active') AS "active!""#,
        portal_id,
        account_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if active { Ok(()) } else { Err(AppError::invalid(field, "Choose an active employee of this portal.")) }
}

/// Moves a person (of any status: their data is kept) to another department.
pub async fn move_person(
    pool: &PgPool,
    caller: &PortalCaller,
    account_id: i64,
    department_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = begin_edit(pool, caller).await?;
    department_in_portal(&mut *tx, caller.portal_id, department_id).await.map_err(|e| not_found_as_invalid(e, "department_id"))?;
    let name = sqlx::query_scalar!(
        "UPDATE memberships m SET department_id = $3 FROM departments d
         WHERE m.portal_id = $1 AND m.account_id = $2 AND d.id = $3 RETURNING d.name",
        caller.portal_id,
        account_id,
        department_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    finish_edit(tx, caller, "moved to department", Some(account_id), &name, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn department(id: i64, parent_id: Option<i64>, name: &str) -> Department {
        Department { id, parent_id, name: name.into(), head_id: None, head_name: None, member_count: 0 }
    }

    #[test]
    fn tree_order_puts_parents_first_and_siblings_by_name() {
        let list = vec![
            department(4, Some(2), "b-team"),
            department(2, Some(1), "Sales"),
            department(3, Some(1), "Engineering"),
            department(1, None, "Acme"),
            department(5, Some(2), "A-team"),
        ];
        let order: Vec<(i64, usize)> = tree_order(list).into_iter().map(|(d, depth)| (d.id, depth)).collect();
        assert_eq!(order, [(1, 0), (3, 1), (2, 1), (5, 2), (4, 2)]);
    }
}
