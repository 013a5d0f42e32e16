//! Sending invitations. A request is checked row by row but written in bulk, in one
//! transaction with its links, outbox messages and audit entries: a request of 256
//! addresses with 3 bad ones invites 253 and reports the 3.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::*;
use crate::access::PortalCaller;
use crate::access::invite::{InviterScope, portal_may_send, require_confirmed_sender, require_inviter};
use crate::crypto::tokens::new_secret;
use crate::domain::{Channel, NamedId};
use crate::error::AppError;
use crate::invitations::{
    InviteDialog, InviteReport, MAX_MESSAGE_CHARS, MAX_ROWS_PER_REQUEST, default_message, parse_address_list, plan_allows_custom_message,
};
use crate::live::{Topic, server::notify};
use crate::mail::quota;
use crate::membership::EMAIL_TAKEN;
use crate::server::config::Config;
use crate::structure::service::department_choices;

pub async fn dialog(pool: &PgPool, config: &Config, caller: &PortalCaller, now: DateTime<Utc>) -> Result<InviteDialog, AppError> {
    let mut db = pool.acquire().await?;
    let scope = require_inviter(&mut db, caller).await?;
    let facts = portal_facts(&mut db, caller.portal_id, false).await?;
    let used = sent_today(&mut db, caller.portal_id, now).await?;
    let workgroups = sqlx::query_as!(
        NamedId,
        "SELECT id, name FROM workgroups w WHERE portal_id = $1
           AND ($2 OR EXISTS (SELECT 1 FROM workgroup_members wm WHERE wm.workgroup_id = w.id AND wm.account_id = $3))
         ORDER BY lower(name)",
        caller.portal_id,
        scope.is_admin,
        caller.account_id
    )
    .fetch_all(&mut *db)
    .await?;
    let mut departments = department_choices(pool, caller.portal_id).await?;
    if !scope.is_admin {
        departments.retain(|d| d.id == scope.own_department);
    }
    let sms_preview = sms_text(&inviter_name(&mut db, caller.account_id).await?, &facts.name, "<link>");
    let may_send = portal_may_send(&mut db, caller.portal_id).await?;
    let address_to_confirm = if may_send {
        None
    } else {
        sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1 AND email_confirmed_at IS NULL", caller.account_id)
            .fetch_optional(&mut *db)
            .await?
            .filter(|login| crate::domain::Email::parse(login).is_ok())
    };
    Ok(InviteDialog {
        may_send,
        address_to_confirm,
        sms_text: sms_preview,
        default_message: default_message(&facts.name),
        message_editable: plan_allows_custom_message(facts.plan),
        invitations_left_today: (config.invites_per_day(facts.plan) - used).max(0),
        plan: facts.plan,
        portal_name: facts.name,
        departments,
        workgroups,
        can_register: caller.is_admin,
    })
}

/// An invite request as sent: e-mail addresses, or phone numbers for SMS, in `addresses`.
#[derive(Debug, Clone, Default)]
pub struct InviteRequest {
    pub addresses: String,
    pub department_id: Option<i64>,
    pub workgroup_ids: Vec<i64>,
    /// None: the default text. Only plans that allow it may send their own.
    pub message: Option<String>,
}

/// The department chosen, or the inviter's own when they may choose no other.
async fn allowed_department(
    db: &mut PgConnection,
    caller: &PortalCaller,
    scope: InviterScope,
    department_id: Option<i64>,
) -> Result<i64, AppError> {
    if scope.is_admin {
        return checked_department(db, caller, department_id).await;
    }
    match department_id {
        None => Ok(scope.own_department),
        Some(id) if id == scope.own_department => Ok(id),
        Some(_) => Err(AppError::invalid("department_id", "You can invite people into your own department only.")),
    }
}

pub(super) async fn checked_department(db: &mut PgConnection, caller: &PortalCaller, department_id: Option<i64>) -> Result<i64, AppError> {
    let top = sqlx::query_scalar!("SELECT id FROM departments WHERE portal_id = $1 AND parent_id IS NULL", caller.portal_id)
        .fetch_one(&mut *db)
        .await?;
    let Some(id) = department_id else { return Ok(top) };
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM departments WHERE portal_id = $1 AND id = $2) AS "exists!""#,
        caller.portal_id,
        id
    )
    .fetch_one(&mut *db)
    .await?;
    if !exists {
        return Err(AppError::invalid("department_id", "Choose a department."));
    }
    Ok(id)
}

/// Administrators may add invitees to any workgroup; other inviters to their own.
async fn checked_workgroups(db: &mut PgConnection, caller: &PortalCaller, scope: InviterScope, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let found = sqlx::query_scalar!(
        "SELECT id FROM workgroups w WHERE portal_id = $1 AND id = ANY($2)
           AND ($3 OR EXISTS (SELECT 1 FROM workgroup_members wm WHERE wm.workgroup_id = w.id AND wm.account_id = $4))
         ORDER BY id",
        caller.portal_id,
        ids,
        scope.is_admin,
        caller.account_id
    )
    .fetch_all(&mut *db)
    .await?;
    if found.len() != ids.iter().collect::<HashSet<_>>().len() {
        return Err(AppError::invalid("workgroup_ids", "Choose workgroups of this portal."));
    }
    Ok(found)
}

fn checked_message(raw: Option<&str>, facts: &PortalFacts) -> Result<String, AppError> {
    let default = default_message(&facts.name);
    let Some(raw) = raw.map(str::trim).filter(|m| !m.is_empty() && *m != default) else { return Ok(default) };
    if !plan_allows_custom_message(facts.plan) {
        return Err(AppError::invalid(
            "message",
            format!(
                "Message text can be edited only by Bitrix24 CRM+, Project+, Standard and Professional plan subscribers; this portal is on {}.",
                facts.plan.name()
            ),
        ));
    }
    if raw.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("message", format!("The text is too long (at most {MAX_MESSAGE_CHARS} characters).")));
    }
    Ok(raw.to_string())
}

/// Invites every good address (or resends its pending invitation) and reports the rest.
pub async fn invite_by_email(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    request: &InviteRequest,
    now: DateTime<Utc>,
) -> Result<InviteReport, AppError> {
    require_inviter(&mut *pool.acquire().await?, caller).await?;
    let (emails, bad) = parse_address_list(&request.addresses);
    let targets = emails.iter().map(|e| e.as_str().to_string()).collect();
    invite(pool, config, caller, Channel::Email, targets, bad, request, now).await
}

/// "Invite using SMS": one or more phone numbers in `request.addresses`, into a
/// department and workgroups; the text is fixed.
pub async fn invite_by_sms(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    request: &InviteRequest,
    now: DateTime<Utc>,
) -> Result<InviteReport, AppError> {
    require_inviter(&mut *pool.acquire().await?, caller).await?;
    let (numbers, bad) = crate::domain::phone::parse_phone_list(&request.addresses, config.phone_region.as_deref());
    let request = InviteRequest { message: None, ..request.clone() };
    invite(pool, config, caller, Channel::Sms, numbers, bad, &request, now).await
}

/// What invitations need to know of a channel.
trait InviteChannel {
    fn taken(self) -> &'static str;
    fn field(self) -> &'static str;
}

impl InviteChannel for Channel {
    fn taken(self) -> &'static str {
        match self {
            Channel::Email => EMAIL_TAKEN,
            Channel::Sms => "A user with this phone number already exists",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Channel::Email => "addresses",
            Channel::Sms => "numbers",
        }
    }
}

/// One invitation as it is queued: an e-mail has an HTML part, an SMS only its text
/// (its subject is the dev Outbox's title).
pub(super) struct Outgoing {
    subject: String,
    text: String,
    html: Option<String>,
}

pub(super) fn message_for(
    channel: Channel,
    inviter: &str,
    portal: &str,
    message: &str,
    link: &str,
    expires: DateTime<Utc>,
) -> Result<Outgoing, AppError> {
    Ok(match channel {
        Channel::Email => {
            let email = letters::invitation_email(inviter, portal, message, link, expires)?;
            Outgoing { subject: email.subject, text: email.text, html: Some(email.html) }
        }
        Channel::Sms => {
            Outgoing { subject: format!("SMS invitation to {portal}"), text: letters::sms_text(inviter, portal, link), html: None }
        }
    })
}

#[allow(clippy::too_many_arguments)] // the checked parts of one request
async fn invite(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    channel: Channel,
    targets: Vec<String>,
    bad: Vec<(String, String)>,
    request: &InviteRequest,
    now: DateTime<Utc>,
) -> Result<InviteReport, AppError> {
    let field = channel.field();
    if targets.is_empty() && bad.is_empty() {
        let what = if channel == Channel::Email { "an e-mail address" } else { "a phone number" };
        return Err(AppError::invalid(field, format!("Enter at least {what}.")));
    }
    if targets.len() + bad.len() > MAX_ROWS_PER_REQUEST {
        return Err(AppError::invalid(
            field,
            format!("At most {MAX_ROWS_PER_REQUEST} in one go; this list has {}.", targets.len() + bad.len()),
        ));
    }
    let mut report = InviteReport { refused: bad, ..InviteReport::default() };

    let mut tx = pool.begin().await?;
    // One invite request of a portal at a time: the daily cap and "one pending
    // invitation per address" are checked and written without a race.
    let facts = portal_facts(&mut tx, caller.portal_id, true).await?;
    let message = match channel {
        Channel::Email => checked_message(request.message.as_deref(), &facts)?,
        Channel::Sms => String::new(),
    };
    // Checked again under the portal's lock: "Allow everyone to invite" may have just
    // been switched off.
    let scope = require_inviter(&mut tx, caller).await?;
    let department = allowed_department(&mut tx, caller, scope, request.department_id).await?;
    let workgroups = checked_workgroups(&mut tx, caller, scope, &request.workgroup_ids).await?;

    let all: Vec<String> = targets;
    let in_use = super::members_among(&mut tx, caller.portal_id, &all).await?;
    let to_send: Vec<String> = all.iter().filter(|e| !in_use.contains(*e)).cloned().collect();
    for target in &all {
        if in_use.contains(target) {
            report.refused.push((target.clone(), channel.taken().to_string()));
        }
    }
    if to_send.is_empty() {
        return Ok(report);
    }
    let left = config.invites_per_day(facts.plan) - sent_today(&mut tx, caller.portal_id, now).await?;
    if to_send.len() as i64 > left {
        return Err(AppError::invalid(
            field,
            format!(
                "This portal may send {} invitations a day on the {} plan; {} are left today, and this list needs {}.",
                config.invites_per_day(facts.plan),
                facts.plan.name(),
                left.max(0),
                to_send.len()
            ),
        ));
    }

    let pending: HashMap<String, i64> = sqlx::query!(
        "SELECT id, target FROM invitations WHERE portal_id = $1 AND status = 'pending' AND target = ANY($2)",
        caller.portal_id,
        &to_send
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.target, r.id))
    .collect();
    let expires = now + Duration::days(config.invitation_days);
    let fresh: Vec<String> = to_send.iter().filter(|t| !pending.contains_key(*t)).cloned().collect();
    let mut ids: HashMap<String, i64> = sqlx::query!(
        r#"INSERT INTO invitations (portal_id, channel, target, department_id, workgroup_ids, message, invited_by, created_at, sent_at, expires_at)
           SELECT $1, $9, t, $3, $4, $5, $6, $7, $7, $8 FROM unnest($2::text[]) AS t
           RETURNING id, target"#,
        caller.portal_id,
        &fresh,
        department,
        &workgroups,
        message,
        caller.account_id,
        now,
        expires,
        channel as Channel
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.target, r.id))
    .collect();
    // Pending ones are sent again: a new link, and the expiry starts over.
    let resend_ids: Vec<i64> = pending.values().copied().collect();
    sqlx::query!("UPDATE invitations SET sent_at = $2, expires_at = $3 WHERE id = ANY($1)", &resend_ids, now, expires)
        .execute(&mut *tx)
        .await?;
    ids.extend(pending.clone());

    let inviter = inviter_name(&mut tx, caller.account_id).await?;
    let targets: Vec<String> = to_send.clone();
    let invitation_ids: Vec<i64> = targets.iter().map(|t| ids.get(t).copied().unwrap_or_default()).collect();
    let mut hashes = Vec::with_capacity(targets.len());
    let mut messages = Vec::with_capacity(targets.len());
    let mut tokens = Vec::with_capacity(targets.len());
    for _ in &targets {
        let (token, hash) = new_secret();
        hashes.push(hash);
        messages.push(message_for(channel, &inviter, &facts.name, &message, &config.link(&format!("/invite?token={token}")), expires)?);
        tokens.push(token);
    }
    write_sends(&mut tx, config, caller, channel, &invitation_ids, &targets, &hashes, &messages, &tokens, now).await?;
    let how = if channel == Channel::Email { "by e-mail" } else { "by SMS" };
    let details: Vec<String> = targets.iter().map(|t| format!("{how} to {t}")).collect();
    let actions: Vec<&str> = targets.iter().map(|t| if pending.contains_key(t) { "resent invitation" } else { "invited" }).collect();
    sqlx::query!(
        "INSERT INTO audit_log (portal_id, actor_id, action, subject_id, detail, at)
         SELECT $1, $2, a, NULL, d, $5 FROM unnest($3::text[], $4::text[]) AS x(a, d)",
        caller.portal_id,
        caller.account_id,
        &actions.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        &details,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    for target in targets {
        if pending.contains_key(&target) { report.resent.push(target) } else { report.invited.push(target) }
    }
    Ok(report)
}

/// Links, outbox messages and each invitation's pointer to its latest message, in bulk.
/// Each message's link token is its secret, removed from the stored body once sent.
/// Every invitation message passes here, so here the portal must have a confirmed
/// administrator and the messages must fit the day's caps.
#[allow(clippy::too_many_arguments)] // parallel arrays of one bulk write
pub(super) async fn write_sends(
    tx: &mut PgConnection,
    config: &Config,
    caller: &PortalCaller,
    channel: Channel,
    invitation_ids: &[i64],
    recipients: &[String],
    hashes: &[Vec<u8>],
    messages: &[Outgoing],
    tokens: &[String],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    require_confirmed_sender(&mut *tx, caller.portal_id).await?;
    let subjects: Vec<String> = messages.iter().map(|m| m.subject.clone()).collect();
    let bodies: Vec<String> = messages.iter().map(|m| m.text.clone()).collect();
    let htmls: Vec<Option<String>> = messages.iter().map(|m| m.html.clone()).collect();
    quota::spend(&mut *tx, config, channel, Some(caller.portal_id), recipients.len(), now).await?;
    sqlx::query!(
        "INSERT INTO invitation_links (token_hash, invitation_id, portal_id, created_at)
         SELECT h, i, $3, $4 FROM unnest($1::bytea[], $2::bigint[]) AS x(h, i)",
        hashes,
        invitation_ids,
        caller.portal_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "WITH sent AS (
           INSERT INTO outbox (channel, recipient, subject, body, html, secrets)
           SELECT $5, r, s, b, h, ARRAY[t] FROM unnest($2::text[], $3::text[], $4::text[], $7::text[], $6::text[]) AS x(r, s, b, h, t)
           RETURNING id, recipient)
         UPDATE invitations i SET outbox_id = sent.id
         FROM sent, unnest($1::bigint[], $2::text[]) AS pair(invitation_id, recipient)
         WHERE i.id = pair.invitation_id AND sent.recipient = pair.recipient",
        invitation_ids,
        recipients,
        &subjects,
        &bodies,
        channel as Channel,
        tokens,
        &htmls as &[Option<String>]
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
