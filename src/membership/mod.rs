//! Membership: the one path every join takes into a portal ([`admit`]: invitation
//! acceptance, Register, quick registration), its announcement, and the rule that a
//! contact e-mail address belongs to one member of a portal at a time.
//! May depend on: `live`, `domain`, `error`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::{Email, MembershipStatus};
use crate::error::AppError;
use crate::live::Topic;
use crate::live::server::notify;

/// Shown beside an address field when the address belongs to another member.
pub const EMAIL_TAKEN: &str = "A user with this email already exists";

/// Who joins which portal, and how.
#[derive(Debug, Clone, Copy)]
pub struct Admission<'a> {
    pub portal_id: i64,
    pub account_id: i64,
    /// Active at once, or waiting for an administrator's approval.
    pub active: bool,
    /// None: the portal's top department.
    pub department_id: Option<i64>,
    pub position: Option<&'a str>,
    /// The address the person was invited or registered with, kept as their contact email.
    pub contact_email: Option<&'a Email>,
    pub workgroup_ids: &'a [i64],
}

/// Makes the account a member of the portal as `admission` says, in the caller's
/// transaction: the membership (an earlier invited or pending one is taken over), the
/// contact email, the workgroups, the "joined" announcement and the live events.
/// Answers whether the person became an active employee just now.
pub async fn admit(tx: &mut PgConnection, admission: Admission<'_>, now: DateTime<Utc>) -> Result<bool, AppError> {
    let status = if admission.active { MembershipStatus::Active } else { MembershipStatus::PendingApproval };
    let changed = sqlx::query!(
        "INSERT INTO memberships (portal_id, account_id, status, role, department_id, position, created_at)
         VALUES ($1, $2, $3, 'employee',
                 COALESCE($4, (SELECT id FROM departments WHERE portal_id = $1 AND parent_id IS NULL)), COALESCE($5, ''), $6)
         ON CONFLICT (portal_id, account_id) DO UPDATE SET status = EXCLUDED.status
         WHERE memberships.status IN ('invited', 'pending_approval')",
        admission.portal_id,
        admission.account_id,
        status as MembershipStatus,
        admission.department_id,
        admission.position,
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if let Some(email) = admission.contact_email {
        // Someone may have taken the address as their contact email since the person was
        // invited; they then join without one rather than not at all.
        match set_contact_email(tx, admission.portal_id, admission.account_id, Some(email)).await {
            Ok(()) | Err(AppError::Invalid { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    if !admission.workgroup_ids.is_empty() {
        sqlx::query!(
            "INSERT INTO workgroup_members (workgroup_id, portal_id, account_id, added_at)
             SELECT id, portal_id, $3, $4 FROM workgroups WHERE portal_id = $1 AND id = ANY($2)
             ON CONFLICT DO NOTHING",
            admission.portal_id,
            admission.workgroup_ids,
            admission.account_id,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    let joined = changed && admission.active;
    if joined {
        announce_joined(tx, admission.portal_id, admission.account_id, now).await?;
    }
    // A person waiting for approval changes only the Employees lists; an active one
    // changes the structure, workgroups and who may open the portal's pages.
    let topics: &[Topic] =
        if admission.active { &[Topic::People, Topic::Structure, Topic::Workgroups, Topic::Access] } else { &[Topic::People] };
    for topic in topics {
        notify(&mut *tx, admission.portal_id, *topic).await?;
    }
    Ok(joined)
}

/// Announces a person who just became an active employee: "<name> joined the portal" in
/// the Activity Stream and the General chat. Call it in the transaction that makes them
/// active, so the notice exists if and only if the change does.
pub async fn announce_joined(tx: &mut PgConnection, portal_id: i64, account_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let name = sqlx::query_scalar!(r#"SELECT first_name || ' ' || last_name AS "name!" FROM accounts WHERE id = $1"#, account_id)
        .fetch_one(&mut *tx)
        .await?;
    let body = format!("{name} joined the portal");
    sqlx::query!(
        "INSERT INTO stream_posts (portal_id, author_id, kind, body, created_at) VALUES ($1, NULL, 'joined', $2, $3)",
        portal_id,
        body,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO chat_messages (portal_id, author_id, kind, body, created_at) VALUES ($1, NULL, 'joined', $2, $3)",
        portal_id,
        body,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, portal_id, Topic::Stream).await?;
    notify(&mut *tx, portal_id, Topic::Chat).await?;
    notify(&mut *tx, portal_id, Topic::People).await?;
    Ok(())
}
/// Sets (or clears) a member's contact email. Refused when the address is another
/// member's login or contact email in the same portal. The check and the write happen
/// under a lock on that address in that portal, so two people cannot take it at once.
/// Invitation acceptance calls this with the invited address.
pub async fn set_contact_email(tx: &mut PgConnection, portal_id: i64, account_id: i64, email: Option<&Email>) -> Result<(), AppError> {
    if let Some(email) = email {
        lock_address(tx, portal_id, email).await?;
        if email_in_use(tx, portal_id, email, Some(account_id)).await? {
            return Err(AppError::invalid("contact_email", EMAIL_TAKEN));
        }
    }
    sqlx::query!(
        "UPDATE memberships SET contact_email = $3 WHERE portal_id = $1 AND account_id = $2",
        portal_id,
        account_id,
        email.map(Email::as_str)
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Holds, until the transaction ends, the right to give `email` to someone in the portal.
pub async fn lock_address(tx: &mut PgConnection, portal_id: i64, email: &Email) -> Result<(), AppError> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended('member-email:' || $2, $1))", portal_id, email.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Is `email` the login or the contact email of a member of the portal (other than
/// `except`)? Members of every status count: an invited or dismissed person still has it.
pub async fn email_in_use(tx: &mut PgConnection, portal_id: i64, email: &Email, except: Option<i64>) -> Result<bool, AppError> {
    let except = except.unwrap_or(0);
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM accounts a JOIN memberships m ON m.account_id = a.id AND m.portal_id = $1
                          WHERE a.login = $2 AND a.id <> $3)
               OR EXISTS (SELECT 1 FROM memberships WHERE portal_id = $1 AND lower(contact_email) = $2 AND account_id <> $3)
           AS "taken!""#,
        portal_id,
        email.as_str(),
        except
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(taken)
}
