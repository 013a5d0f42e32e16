//! Employees > Invited: the portal's invitations with their delivery status, resend and
//! cancel.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::sending::{message_for, write_sends};
use super::*;
use crate::access::PortalCaller;
use crate::access::invite::require_inviter;
use crate::crypto::tokens::new_secret;
use crate::domain::time::moment;
use crate::domain::{Channel, DeliveryStatus, InvitationStatus};
use crate::error::AppError;
use crate::invitations::{INVITED_PAGE_SIZE, InvitationRow, InvitedPage, InvitedShow};
use crate::invitations::{default_message, plan_allows_custom_message};
use crate::live::{Topic, server::notify};
use crate::server::config::Config;

/// Employees > Invited, one page, newest first. Administrators see every invitation;
/// other people the ones they sent. `search` finds an address or number.
pub async fn list(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    show: InvitedShow,
    search: &str,
    page: i64,
    now: DateTime<Utc>,
) -> Result<InvitedPage, AppError> {
    crate::domain::check_search(search).map_err(|m| AppError::invalid("search", m))?;
    let pattern = crate::domain::search_pattern(search);
    let status = match show {
        InvitedShow::Waiting => Some(InvitationStatus::Pending),
        InvitedShow::Accepted => Some(InvitationStatus::Accepted),
        InvitedShow::Cancelled => Some(InvitationStatus::Cancelled),
        InvitedShow::All => None,
    };
    let page = page.max(1);
    let rows = sqlx::query!(
        r#"SELECT i.id, i.channel AS "channel: Channel", i.target, i.status AS "status: InvitationStatus", i.sent_at, i.expires_at, i.invited_by,
                  coalesce(d.name, top.name) AS "department!",
                  coalesce(a.first_name || ' ' || a.last_name, '—') AS "inviter!",
                  o.status AS "delivery?: DeliveryStatus", o.last_error,
                  count(*) OVER () AS "total!"
           FROM invitations i
           LEFT JOIN departments d ON d.id = i.department_id
           JOIN departments top ON top.portal_id = i.portal_id AND top.parent_id IS NULL
           LEFT JOIN accounts a ON a.id = i.invited_by
           LEFT JOIN outbox o ON o.id = i.outbox_id
           WHERE i.portal_id = $1 AND ($2 OR i.invited_by = $3)
             AND ($4::invitation_status IS NULL OR i.status = $4)
             AND ($5::text IS NULL OR i.target LIKE $5)
           ORDER BY i.id DESC LIMIT $6 OFFSET $7"#,
        caller.portal_id,
        caller.is_admin,
        caller.account_id,
        status as Option<InvitationStatus>,
        pattern,
        INVITED_PAGE_SIZE,
        (page - 1) * INVITED_PAGE_SIZE
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let rows = rows
        .into_iter()
        .map(|r| {
            let delivery = match (r.status, r.delivery) {
                (InvitationStatus::Accepted, _) => "accepted".to_string(),
                (InvitationStatus::Cancelled, _) => "cancelled".to_string(),
                (_, _) if r.expires_at <= now => "expired".to_string(),
                (_, Some(DeliveryStatus::Failed)) => format!("failed: {}", r.last_error.unwrap_or_default()),
                (_, Some(DeliveryStatus::Queued)) if !config.delivers(r.channel) => match r.channel {
                    Channel::Email => "waiting for a mail server".to_string(),
                    Channel::Sms => "waiting for an SMS gateway".to_string(),
                },
                (_, Some(DeliveryStatus::Queued)) if r.last_error.is_some() => format!("retrying: {}", r.last_error.unwrap_or_default()),
                (_, Some(DeliveryStatus::Sent)) => "sent".to_string(),
                _ => "queued".to_string(),
            };
            InvitationRow {
                id: r.id,
                channel: if r.channel == Channel::Sms { "SMS".into() } else { "E-mail".into() },
                target: r.target,
                department: r.department,
                invited_by: r.inviter,
                sent_at: moment(r.sent_at, caller.zone, now),
                expires_at: moment(r.expires_at, caller.zone, now),
                can_manage: r.status == InvitationStatus::Pending && (caller.is_admin || r.invited_by == Some(caller.account_id)),
                delivery,
            }
        })
        .collect();
    Ok(InvitedPage { rows, total, page, pages: (total + INVITED_PAGE_SIZE - 1) / INVITED_PAGE_SIZE })
}

/// A pending invitation the caller may manage (its inviter or an admin), locked.
async fn managed_invitation(tx: &mut PgConnection, caller: &PortalCaller, id: i64) -> Result<(String, Option<i64>), AppError> {
    let row = sqlx::query!(
        r#"SELECT target, invited_by, status AS "status: InvitationStatus" FROM invitations WHERE id = $1 AND portal_id = $2 FOR UPDATE"#,
        id,
        caller.portal_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !(caller.is_admin || row.invited_by == Some(caller.account_id)) {
        return Err(AppError::Forbidden);
    }
    if row.status != InvitationStatus::Pending {
        return Err(AppError::Conflict("This invitation was already accepted or cancelled.".into()));
    }
    Ok((row.target, row.invited_by))
}

/// What "Resend" says when the stored text could not go out again.
pub const STANDARD_TEXT_INSTEAD: &str =
    "Invitation sent again with the standard text: this portal's plan no longer allows its own message text.";
pub const RESENT: &str = "Invitation sent again.";

/// Sends the invitation again with a new link; earlier links stay valid. A text of the
/// inviter's own goes out again only while the portal's plan allows one; otherwise the
/// standard text replaces it, and the answer says so.
pub async fn resend(pool: &PgPool, config: &Config, caller: &PortalCaller, id: i64, now: DateTime<Utc>) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let facts = portal_facts(&mut tx, caller.portal_id, true).await?;
    require_inviter(&mut tx, caller).await?;
    let (target, _) = managed_invitation(&mut tx, caller, id).await?;
    if sent_today(&mut tx, caller.portal_id, now).await? >= config.invites_per_day(facts.plan) {
        return Err(AppError::Conflict(format!(
            "This portal has sent its {} invitations for today. Try again tomorrow.",
            config.invites_per_day(facts.plan)
        )));
    }
    let expires = now + Duration::days(config.invitation_days);
    let standard = default_message(&facts.name);
    let sent = sqlx::query!(
        r#"UPDATE invitations i
           SET sent_at = $2, expires_at = $3,
               message = CASE WHEN i.channel = 'email' AND NOT $4 THEN $5 ELSE i.message END
           FROM (SELECT message FROM invitations WHERE id = $1) AS before
           WHERE i.id = $1
           RETURNING i.message, i.channel AS "channel: Channel", (i.channel = 'email' AND NOT $4 AND before.message <> $5) AS "replaced!""#,
        id,
        now,
        expires,
        plan_allows_custom_message(facts.plan),
        standard
    )
    .fetch_one(&mut *tx)
    .await?;
    let channel = sent.channel;
    let inviter = inviter_name(&mut tx, caller.account_id).await?;
    let (token, hash) = new_secret();
    let message = message_for(channel, &inviter, &facts.name, &sent.message, &config.link(&format!("/invite?token={token}")), expires)?;
    write_sends(&mut tx, config, caller, channel, &[id], std::slice::from_ref(&target), &[hash], &[message], &[token], now).await?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "resent invitation", None, &format!("to {target}"), now).await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(if sent.replaced { STANDARD_TEXT_INSTEAD } else { RESENT }.to_string())
}

/// Kills every link of the invitation at once.
pub async fn cancel(pool: &PgPool, caller: &PortalCaller, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let (target, _) = managed_invitation(&mut tx, caller, id).await?;
    sqlx::query!("UPDATE invitations SET status = 'cancelled' WHERE id = $1", id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM invitation_links WHERE invitation_id = $1", id).execute(&mut *tx).await?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "cancelled invitation", None, &format!("to {target}"), now).await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(())
}
