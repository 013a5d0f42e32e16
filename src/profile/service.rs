//! Reading and saving the portal profile editor, and the contact email rule that
//! invitations share: within one portal, an address is nobody else's login or contact
//! email.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{MAX_NAME_CHARS, ProfileEditor, parse_phone, parse_position};
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::domain::NamedId;
use crate::domain::{DisplayText, Email};
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::membership::set_contact_email;
use crate::structure::service::{department_choices, department_in_portal, not_found_as_invalid};

/// The owner, or an administrator of the person's portal.
fn require_editor(caller: &PortalCaller, account_id: i64) -> Result<(), AppError> {
    if caller.account_id == account_id || caller.is_admin { Ok(()) } else { Err(AppError::Forbidden) }
}

pub async fn editor(pool: &PgPool, caller: &PortalCaller, account_id: i64) -> Result<ProfileEditor, AppError> {
    require_editor(caller, account_id)?;
    let row = sqlx::query!(
        "SELECT a.first_name, a.last_name, a.login, m.position, m.phone, m.contact_email,
                d.id AS department_id, d.name AS department_name, mb.address AS \"mailbox_email?\"
         FROM memberships m
         JOIN accounts a ON a.id = m.account_id
         JOIN departments d ON d.id = m.department_id
         LEFT JOIN mailboxes mb ON mb.portal_id = m.portal_id AND mb.account_id = m.account_id
         WHERE m.portal_id = $1 AND m.account_id = $2",
        caller.portal_id,
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let department_choices = if caller.is_admin { department_choices(pool, caller.portal_id).await? } else { Vec::new() };
    Ok(ProfileEditor {
        account_id,
        first_name: row.first_name,
        last_name: row.last_name,
        login: row.login,
        position: row.position,
        phone: row.phone,
        contact_email: row.contact_email,
        mailbox_email: row.mailbox_email,
        department: NamedId { id: row.department_id, name: row.department_name },
        department_choices,
        is_me: caller.account_id == account_id,
        viewer_is_admin: caller.is_admin,
    })
}

/// The editor's form as sent. Names come only from the owner's editor and the
/// department only from an administrator's.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub position: String,
    pub phone: String,
    pub contact_email: String,
    pub department_id: Option<i64>,
}

struct CheckedChanges {
    names: Option<(DisplayText, DisplayText)>,
    position: String,
    phone: String,
    contact_email: Option<Email>,
}

fn check(changes: &ProfileChanges) -> Result<CheckedChanges, AppError> {
    let names = match (&changes.first_name, &changes.last_name) {
        (None, None) => None,
        (first, last) => Some((
            DisplayText::parse(first.as_deref().unwrap_or_default(), "a first name", MAX_NAME_CHARS)
                .map_err(|m| AppError::invalid("first_name", m))?,
            DisplayText::parse(last.as_deref().unwrap_or_default(), "a last name", MAX_NAME_CHARS)
                .map_err(|m| AppError::invalid("last_name", m))?,
        )),
    };
    let position = parse_position(&changes.position).map_err(|m| AppError::invalid("position", m))?;
    let phone = parse_phone(&changes.phone).map_err(|m| AppError::invalid("phone", m))?;
    let contact_email = if changes.contact_email.trim().is_empty() {
        None
    } else {
        Some(Email::parse(&changes.contact_email).map_err(|m| AppError::invalid("contact_email", m))?)
    };
    Ok(CheckedChanges { names, position, phone, contact_email })
}

/// Saves the editor in one transaction. Administrators' edits of other people are
/// written to the audit log with the names of the fields they changed.
pub async fn save(
    pool: &PgPool,
    caller: &PortalCaller,
    account_id: i64,
    changes: &ProfileChanges,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    require_editor(caller, account_id)?;
    let is_me = caller.account_id == account_id;
    if changes.first_name.is_some() && !is_me || changes.department_id.is_some() && !caller.is_admin {
        return Err(AppError::Forbidden);
    }
    let checked = check(changes)?;

    let mut tx = pool.begin().await?;
    if !is_me {
        // Re-checks the caller's admin role under the portal lock.
        lock_portal_as_admin(&mut tx, caller).await?;
    }
    let before = sqlx::query!(
        "SELECT a.first_name, a.last_name, m.position, m.phone, m.contact_email, m.department_id
         FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE m.portal_id = $1 AND m.account_id = $2 FOR UPDATE OF m",
        caller.portal_id,
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;

    let mut changed: Vec<&str> = Vec::new();
    if let Some((first, last)) = &checked.names
        && (first.as_str() != before.first_name || last.as_str() != before.last_name)
    {
        sqlx::query!("UPDATE accounts SET first_name = $2, last_name = $3 WHERE id = $1", account_id, first.as_str(), last.as_str())
            .execute(&mut *tx)
            .await?;
        changed.push("name");
    }
    if checked.position != before.position || checked.phone != before.phone {
        sqlx::query!(
            "UPDATE memberships SET position = $3, phone = $4 WHERE portal_id = $1 AND account_id = $2",
            caller.portal_id,
            account_id,
            checked.position,
            checked.phone
        )
        .execute(&mut *tx)
        .await?;
        if checked.position != before.position {
            changed.push("position");
        }
        if checked.phone != before.phone {
            changed.push("phone");
        }
    }
    let new_contact = checked.contact_email.as_ref().map(Email::as_str);
    if new_contact != before.contact_email.as_deref().map(str::to_lowercase).as_deref() {
        set_contact_email(&mut tx, caller.portal_id, account_id, checked.contact_email.as_ref()).await?;
        changed.push("contact email");
    }
    let mut moved = false;
    if let Some(department_id) = changes.department_id
        && department_id != before.department_id
    {
        department_in_portal(&mut *tx, caller.portal_id, department_id).await.map_err(|e| not_found_as_invalid(e, "department_id"))?;
        sqlx::query!(
            "UPDATE memberships SET department_id = $3 WHERE portal_id = $1 AND account_id = $2",
            caller.portal_id,
            account_id,
            department_id
        )
        .execute(&mut *tx)
        .await?;
        changed.push("department");
        moved = true;
    }
    if changed.is_empty() {
        return Ok(());
    }
    if !is_me {
        crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "edited profile", Some(account_id), &changed.join(", "), now)
            .await?;
    }
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    if moved {
        notify(&mut *tx, caller.portal_id, Topic::Structure).await?;
    }
    tx.commit().await?;
    Ok(())
}
