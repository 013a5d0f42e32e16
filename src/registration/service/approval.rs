//! Registrations awaiting approval: the administrators are told, and approve or deny.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::*;
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::domain::Email;
use crate::domain::MembershipStatus;
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::mail::outbox::enqueue_email;
use crate::membership::announce_joined;
use crate::server::config::Config;

/// Queues an email to every active administrator who logs in with an email address.
pub(super) async fn email_admins(tx: &mut PgConnection, portal_id: i64, email: &crate::mail::letter::Email) -> Result<(), AppError> {
    let logins = sqlx::query_scalar!(
        "SELECT a.login FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE m.portal_id = $1 AND m.role = 'admin' AND m.status = 'active' ORDER BY a.id",
        portal_id
    )
    .fetch_all(&mut *tx)
    .await?;
    for login in logins.into_iter().filter(|l| Email::parse(l).is_ok()) {
        enqueue_email(&mut *tx, &login, email, &[]).await?;
    }
    Ok(())
}

/// Approve or deny a registration awaiting approval (Employees > Pending confirmation).
pub async fn decide_registration(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    account_id: i64,
    approve: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: MembershipStatus" FROM memberships WHERE portal_id = $1 AND account_id = $2 FOR UPDATE"#,
        caller.portal_id,
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if status != MembershipStatus::PendingApproval {
        return Err(AppError::Conflict("This registration was already approved or denied.".into()));
    }
    let portal = portal_rules(&mut tx, caller.portal_id).await?;
    let person = sqlx::query!("SELECT login, first_name FROM accounts WHERE id = $1", account_id).fetch_one(&mut *tx).await?;
    if approve {
        sqlx::query!("UPDATE memberships SET status = 'active' WHERE portal_id = $1 AND account_id = $2", caller.portal_id, account_id)
            .execute(&mut *tx)
            .await?;
        // The invitation funnel: the registration that brought the person in is active now.
        sqlx::query!(
            "UPDATE registration_requests SET active_at = $3
             WHERE id = (SELECT id FROM registration_requests WHERE portal_id = $1 AND account_id = $2 AND used_at IS NOT NULL
                         ORDER BY used_at DESC LIMIT 1)
               AND active_at IS NULL",
            caller.portal_id,
            account_id,
            now
        )
        .execute(&mut *tx)
        .await?;
        announce_joined(&mut tx, caller.portal_id, account_id, now).await?;
        crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "approved registration", Some(account_id), &person.login, now)
            .await?;
    } else {
        // The audit entry first, while the person is still a member it can name.
        crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "denied registration", Some(account_id), &person.login, now)
            .await?;
        sqlx::query!("DELETE FROM memberships WHERE portal_id = $1 AND account_id = $2", caller.portal_id, account_id)
            .execute(&mut *tx)
            .await?;
        // Came through an invite link: its use comes back, so whoever holds a Moderated
        // link cannot use it up with people the administrators turn away.
        let given_back = sqlx::query!(
            "WITH latest AS (SELECT registration_code FROM registration_requests
                             WHERE portal_id = $1 AND email = $2 AND used_at IS NOT NULL ORDER BY used_at DESC LIMIT 1)
             UPDATE invite_links SET uses = uses - 1
             WHERE portal_id = $1 AND code = (SELECT registration_code FROM latest) AND uses > 0",
            caller.portal_id,
            person.login
        )
        .execute(&mut *tx)
        .await?;
        if given_back.rows_affected() > 0 {
            notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
        }
    }
    if Email::parse(&person.login).is_ok() {
        let link = config.link("/login");
        let letter = letters::Decision { brand: &portal.name, first_name: &person.first_name, link: &link };
        enqueue_email(&mut *tx, &person.login, &letters::decided(&letter, approve)?, &[]).await?;
    }
    // Every administrator's "asks to join" about this person is settled.
    crate::notices::server::settle(&mut tx, caller.portal_id, crate::notices::NoticeKind::JoinRequest, account_id, now).await?;
    for topic in [Topic::People, Topic::Structure, Topic::Access] {
        notify(&mut *tx, caller.portal_id, topic).await?;
    }
    tx.commit().await?;
    Ok(())
}
