//! Named invite links (Settings > Invite links): administrators create several, each
//! with a limit of uses, an expiry date, a department and Public or Moderated; each shows
//! its uses so far; revoking closes it at once. People join through them exactly as
//! through the quick registration link (`joining`), which counts each use.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use super::link_path;
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::crypto::tokens::new_secret;
use crate::domain::DisplayText;
use crate::domain::time::{end_of_day, today};
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::registration::{InviteLinkRow, LinkState, MAX_LINK_NAME_CHARS, MAX_LINK_USES, MAX_OPEN_LINKS};
use crate::server::config::Config;

pub const USED_UP: &str = "This invite link has been used as many times as it allows. Ask the person who sent it for a new one.";

/// The portal's invite links, newest first, with their uses so far.
pub async fn invite_links(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    now: DateTime<Utc>,
) -> Result<Vec<InviteLinkRow>, AppError> {
    caller.require_admin()?;
    let rows = sqlx::query!(
        "SELECT l.id, l.name, l.code, l.uses, l.max_uses, l.expires_at, l.moderated, l.revoked_at, d.name AS \"department?\"
         FROM invite_links l LEFT JOIN departments d ON d.id = l.department_id
         WHERE l.portal_id = $1 ORDER BY l.created_at DESC, l.id DESC",
        caller.portal_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let state = if row.revoked_at.is_some() {
                LinkState::Revoked
            } else if row.expires_at.is_some_and(|at| at <= now) {
                LinkState::Expired
            } else if row.max_uses.is_some_and(|max| row.uses >= max) {
                LinkState::UsedUp
            } else {
                LinkState::Open
            };
            InviteLinkRow {
                id: row.id,
                name: row.name,
                link: config.link(&link_path(&row.code)),
                uses: row.uses,
                max_uses: row.max_uses,
                // The day it ends is the last day it works.
                expires_on: row.expires_at.map(|at| today(caller.zone, at - Duration::seconds(1)).format("%-d %b %Y").to_string()),
                department: row.department,
                moderated: row.moderated,
                state,
            }
        })
        .collect())
}

/// The "Create link" form as sent. Empty fields mean no limit, no expiry and the top
/// department.
#[derive(Debug, Clone, Default)]
pub struct InviteLinkForm {
    pub name: String,
    pub max_uses: String,
    /// `YYYY-MM-DD`, the last day it works, in the admin's zone.
    pub expires_on: String,
    pub department_id: String,
    /// "public" or "moderated".
    pub link_type: String,
}

pub async fn create_invite_link(pool: &PgPool, caller: &PortalCaller, form: &InviteLinkForm, now: DateTime<Utc>) -> Result<(), AppError> {
    caller.require_admin()?;
    let name = DisplayText::parse(&form.name, "a name for the link", MAX_LINK_NAME_CHARS).map_err(|m| AppError::invalid("name", m))?;
    let max_uses = match form.max_uses.trim() {
        "" => None,
        typed => match typed.parse::<i32>() {
            Ok(n) if (1..=MAX_LINK_USES).contains(&n) => Some(n),
            _ => return Err(AppError::invalid("max_uses", format!("Enter a whole number from 1 to {MAX_LINK_USES}, or leave it empty."))),
        },
    };
    let expires_at = match form.expires_on.trim() {
        "" => None,
        typed => match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
            Ok(date) if date >= today(caller.zone, now) => Some(end_of_day(date, caller.zone)),
            Ok(_) => return Err(AppError::invalid("expires_on", "Choose today or a later day.")),
            Err(_) => return Err(AppError::invalid("expires_on", "Enter a date, like 2027-01-31.")),
        },
    };
    let moderated = match form.link_type.as_str() {
        "public" => false,
        "moderated" => true,
        _ => return Err(AppError::invalid("link_type", "Choose Public or Moderated.")),
    };
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let department_id = match form.department_id.trim() {
        "" => None,
        typed => {
            let id = typed.parse::<i64>().ok();
            let found = sqlx::query_scalar!("SELECT id FROM departments WHERE id = $1 AND portal_id = $2", id, caller.portal_id)
                .fetch_optional(&mut *tx)
                .await?;
            Some(found.ok_or_else(|| AppError::invalid("department_id", "Choose a department of this portal."))?)
        }
    };
    let open = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM invite_links
           WHERE portal_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
             AND (max_uses IS NULL OR uses < max_uses)"#,
        caller.portal_id,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    if open >= MAX_OPEN_LINKS {
        return Err(AppError::Conflict(format!("A portal keeps at most {MAX_OPEN_LINKS} open links. Revoke one first.")));
    }
    let (code, _) = new_secret();
    sqlx::query!(
        "INSERT INTO invite_links (portal_id, name, code, max_uses, expires_at, department_id, moderated, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        caller.portal_id,
        name.as_str(),
        code,
        max_uses,
        expires_at,
        department_id,
        moderated,
        caller.account_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "created an invite link", None, name.as_str(), now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// Closes a link at once: its page says so, and registrations through it that are not
/// confirmed yet cannot be.
pub async fn revoke_invite_link(pool: &PgPool, caller: &PortalCaller, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let name = sqlx::query_scalar!(
        "UPDATE invite_links SET revoked_at = $3 WHERE id = $1 AND portal_id = $2 AND revoked_at IS NULL RETURNING name",
        id,
        caller.portal_id,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "revoked an invite link", None, &name, now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}
