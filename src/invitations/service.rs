//! Invitation rules. An invite request is checked row by row but written in bulk, in one
//! transaction with its links, outbox messages and audit entries: a request of 256
//! addresses with 3 bad ones invites 253 and reports the 3.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::{
    InvitationPage, InvitationRow, InvitationState, InviteDialog, InviteReport, MAX_MESSAGE_CHARS, MAX_ROWS_PER_REQUEST, default_message,
    parse_address_list, plan_allows_custom_message,
};
use crate::activity::service::announce_joined;
use crate::auth::passwords::{Passwords, check_new_password};
use crate::auth::service::create_account;
use crate::auth::session::SessionAccount;
use crate::auth::tokens::{hash_secret, new_secret};
use crate::domain::{DisplayText, Email};
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::mail::outbox::enqueue_email;
use crate::people::NamedId;
use crate::people::service::record_audit;
use crate::portals::service::PortalCaller;
use crate::profile::service::{EMAIL_TAKEN, set_contact_email};
use crate::server::config::Config;
use crate::structure::service::department_choices;

/// Where an inviter may put the people they invite.
#[derive(Debug, Clone, Copy)]
pub struct InviterScope {
    pub is_admin: bool,
    /// The inviter's own department: the only one a non-administrator may choose.
    pub own_department: i64,
}

/// The invite rule itself: administrators always, everyone else while the portal's
/// "Allow everyone to invite new users" is on.
pub fn may_invite(is_admin: bool, everyone_can_invite: bool) -> bool {
    is_admin || everyone_can_invite
}

/// Who may invite: administrators, and every active employee while the portal's "Allow
/// everyone to invite new users" is on (into their own department and workgroups).
/// Read from the database on every call, so switching it off takes effect at once.
pub async fn require_inviter(db: &mut PgConnection, caller: &PortalCaller) -> Result<InviterScope, AppError> {
    let row = sqlx::query!(
        "SELECT p.everyone_can_invite, m.department_id, m.role FROM portals p
         JOIN memberships m ON m.portal_id = p.id AND m.account_id = $2 AND m.status = 'active'
         WHERE p.id = $1",
        caller.portal_id,
        caller.account_id
    )
    .fetch_optional(&mut *db)
    .await?
    .ok_or(AppError::NotFound)?;
    // The role as it is now, not as the request began: a demotion a moment ago counts.
    let is_admin = row.role == "admin";
    if may_invite(is_admin, row.everyone_can_invite) {
        Ok(InviterScope { is_admin, own_department: row.department_id })
    } else {
        Err(AppError::Forbidden)
    }
}

struct PortalFacts {
    name: String,
    plan: String,
}

async fn portal_facts(db: &mut PgConnection, portal_id: i64, lock: bool) -> Result<PortalFacts, AppError> {
    let row = if lock {
        sqlx::query_as!(PortalFacts, "SELECT name, plan FROM portals WHERE id = $1 FOR UPDATE", portal_id).fetch_one(&mut *db).await?
    } else {
        sqlx::query_as!(PortalFacts, "SELECT name, plan FROM portals WHERE id = $1", portal_id).fetch_one(&mut *db).await?
    };
    Ok(row)
}

/// Links sent by the portal in the 24 hours before `now`.
async fn sent_today(db: &mut PgConnection, portal_id: i64, now: DateTime<Utc>) -> Result<i64, AppError> {
    let since = now - Duration::hours(24);
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM invitation_links WHERE portal_id = $1 AND created_at > $2"#, portal_id, since)
        .fetch_one(&mut *db)
        .await?)
}

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
    Ok(InviteDialog {
        sms_text: sms_preview,
        default_message: default_message(&facts.name),
        message_editable: plan_allows_custom_message(&facts.plan),
        invitations_left_today: (config.invites_per_day(&facts.plan) - used).max(0),
        plan: facts.plan,
        portal_name: facts.name,
        departments,
        workgroups,
        can_register: caller.is_admin,
    })
}

/// "Invite using e-mail" as sent.
#[derive(Debug, Clone, Default)]
pub struct EmailInvite {
    pub addresses: String,
    pub department_id: Option<i64>,
    pub workgroup_ids: Vec<i64>,
    /// None: the default text. Only plans that allow it may send their own.
    pub message: Option<String>,
}

fn invitation_email(inviter: &str, portal: &str, message: &str, link: &str, expires: DateTime<Utc>) -> (String, String) {
    let subject = format!("{inviter} invites you to {portal}");
    let body = format!(
        "{inviter} invites you to join {portal} on Bitrix24.\n\n{message}\n\nAccept the invitation: {link}\n\n\
         The link is valid until {}. If you did not expect this invitation, ignore this email.\n",
        expires.format("%Y-%m-%d")
    );
    (subject, body)
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

async fn checked_department(db: &mut PgConnection, caller: &PortalCaller, department_id: Option<i64>) -> Result<i64, AppError> {
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
    if !plan_allows_custom_message(&facts.plan) {
        return Err(AppError::invalid(
            "message",
            format!(
                "The invitation text can be changed on the Standard, Professional, CRM+ and Project+ plans; this portal is on {}.",
                crate::portals::plan_name(&facts.plan)
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
    request: &EmailInvite,
    now: DateTime<Utc>,
) -> Result<InviteReport, AppError> {
    require_inviter(&mut *pool.acquire().await?, caller).await?;
    let (emails, bad) = parse_address_list(&request.addresses);
    let targets = emails.iter().map(|e| e.as_str().to_string()).collect();
    invite(pool, config, caller, Channel::Email, targets, bad, request, now).await
}

/// "Invite using SMS": one or more phone numbers; the text is fixed.
pub async fn invite_by_sms(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    numbers: &str,
    now: DateTime<Utc>,
) -> Result<InviteReport, AppError> {
    require_inviter(&mut *pool.acquire().await?, caller).await?;
    let (numbers, bad) = crate::domain::phone::parse_phone_list(numbers, config.phone_region.as_deref());
    let request = EmailInvite { addresses: String::new(), department_id: None, workgroup_ids: Vec::new(), message: None };
    invite(pool, config, caller, Channel::Sms, numbers, bad, &request, now).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    Email,
    Sms,
}

impl Channel {
    fn key(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

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

/// The fixed SMS text (SMS cannot be customised: every character costs).
pub fn sms_text(inviter: &str, portal: &str, link: &str) -> String {
    format!("{inviter} invites you to {portal} on Bitrix24: {link}")
}

fn message_for(channel: Channel, inviter: &str, portal: &str, message: &str, link: &str, expires: DateTime<Utc>) -> (String, String) {
    match channel {
        Channel::Email => invitation_email(inviter, portal, message, link, expires),
        Channel::Sms => (format!("SMS invitation to {portal}"), sms_text(inviter, portal, link)),
    }
}

#[allow(clippy::too_many_arguments)] // the checked parts of one request
async fn invite(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    channel: Channel,
    targets: Vec<String>,
    bad: Vec<(String, String)>,
    request: &EmailInvite,
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
    let in_use: HashSet<String> = sqlx::query_scalar!(
        r#"SELECT e AS "e!" FROM unnest($2::text[]) AS e
           WHERE EXISTS (SELECT 1 FROM accounts a JOIN memberships m ON m.account_id = a.id AND m.portal_id = $1 WHERE a.login = e)
              OR EXISTS (SELECT 1 FROM memberships WHERE portal_id = $1 AND lower(contact_email) = e)"#,
        caller.portal_id,
        &all
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let to_send: Vec<String> = all.iter().filter(|e| !in_use.contains(*e)).cloned().collect();
    for target in &all {
        if in_use.contains(target) {
            report.refused.push((target.clone(), channel.taken().to_string()));
        }
    }
    if to_send.is_empty() {
        return Ok(report);
    }
    let left = config.invites_per_day(&facts.plan) - sent_today(&mut tx, caller.portal_id, now).await?;
    if to_send.len() as i64 > left {
        return Err(AppError::invalid(
            field,
            format!(
                "This portal may send {} invitations a day on the {} plan; {} are left today, and this list needs {}.",
                config.invites_per_day(&facts.plan),
                crate::portals::plan_name(&facts.plan),
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
        channel.key()
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
    let mut subjects = Vec::with_capacity(targets.len());
    let mut bodies = Vec::with_capacity(targets.len());
    for _ in &targets {
        let (token, hash) = new_secret();
        let (subject, body) =
            message_for(channel, &inviter, &facts.name, &message, &config.link(&format!("/invite?token={token}")), expires);
        hashes.push(hash);
        subjects.push(subject);
        bodies.push(body);
    }
    write_sends(&mut tx, caller, channel.key(), &invitation_ids, &targets, &hashes, &subjects, &bodies, now).await?;
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
#[allow(clippy::too_many_arguments)] // parallel arrays of one bulk write
async fn write_sends(
    tx: &mut PgConnection,
    caller: &PortalCaller,
    channel: &str,
    invitation_ids: &[i64],
    recipients: &[String],
    hashes: &[Vec<u8>],
    subjects: &[String],
    bodies: &[String],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
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
           INSERT INTO outbox (channel, recipient, subject, body)
           SELECT $5, r, s, b FROM unnest($2::text[], $3::text[], $4::text[]) AS x(r, s, b)
           RETURNING id, recipient)
         UPDATE invitations i SET outbox_id = sent.id
         FROM sent, unnest($1::bigint[], $2::text[]) AS pair(invitation_id, recipient)
         WHERE i.id = pair.invitation_id AND sent.recipient = pair.recipient",
        invitation_ids,
        recipients,
        subjects,
        bodies,
        channel
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn inviter_name(db: &mut PgConnection, account_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT first_name || ' ' || last_name AS "name!" FROM accounts WHERE id = $1"#, account_id)
        .fetch_one(&mut *db)
        .await?)
}

/// Employees > Invited: the newest 200 invitations. Administrators see all of them;
/// other people the ones they sent.
pub async fn list(pool: &PgPool, caller: &PortalCaller, now: DateTime<Utc>) -> Result<Vec<InvitationRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT i.id, i.channel, i.target, i.status, i.sent_at, i.expires_at, i.invited_by,
                  coalesce(d.name, top.name) AS "department!",
                  coalesce(a.first_name || ' ' || a.last_name, '—') AS "inviter!",
                  o.status AS "delivery?", o.last_error
           FROM invitations i
           LEFT JOIN departments d ON d.id = i.department_id
           JOIN departments top ON top.portal_id = i.portal_id AND top.parent_id IS NULL
           LEFT JOIN accounts a ON a.id = i.invited_by
           LEFT JOIN outbox o ON o.id = i.outbox_id
           WHERE i.portal_id = $1 AND i.status <> 'cancelled' AND ($2 OR i.invited_by = $3)
           ORDER BY i.id DESC LIMIT 200"#,
        caller.portal_id,
        caller.is_admin,
        caller.account_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let delivery = match (r.status.as_str(), r.delivery.as_deref()) {
                ("accepted", _) => "accepted".to_string(),
                (_, _) if r.expires_at <= now => "expired".to_string(),
                (_, Some("failed")) => format!("failed: {}", r.last_error.unwrap_or_default()),
                (_, Some("queued")) if r.last_error.is_some() => format!("retrying: {}", r.last_error.unwrap_or_default()),
                (_, Some("sent")) => "sent".to_string(),
                _ => "queued".to_string(),
            };
            InvitationRow {
                id: r.id,
                channel: if r.channel == "sms" { "SMS".into() } else { "E-mail".into() },
                target: r.target,
                department: r.department,
                invited_by: r.inviter,
                sent_at: r.sent_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                expires_at: r.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                can_manage: r.status == "pending" && (caller.is_admin || r.invited_by == Some(caller.account_id)),
                delivery,
            }
        })
        .collect())
}

/// A pending invitation the caller may manage (its inviter or an admin), locked.
async fn managed_invitation(tx: &mut PgConnection, caller: &PortalCaller, id: i64) -> Result<(String, Option<i64>), AppError> {
    let row = sqlx::query!(
        "SELECT target, invited_by, status FROM invitations WHERE id = $1 AND portal_id = $2 FOR UPDATE",
        id,
        caller.portal_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !(caller.is_admin || row.invited_by == Some(caller.account_id)) {
        return Err(AppError::Forbidden);
    }
    if row.status != "pending" {
        return Err(AppError::Conflict("This invitation was already accepted or cancelled.".into()));
    }
    Ok((row.target, row.invited_by))
}

/// Sends the invitation again with a new link; earlier links stay valid.
pub async fn resend(pool: &PgPool, config: &Config, caller: &PortalCaller, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let facts = portal_facts(&mut tx, caller.portal_id, true).await?;
    require_inviter(&mut tx, caller).await?;
    let (target, _) = managed_invitation(&mut tx, caller, id).await?;
    if sent_today(&mut tx, caller.portal_id, now).await? >= config.invites_per_day(&facts.plan) {
        return Err(AppError::Conflict(format!(
            "This portal has sent its {} invitations for today. Try again tomorrow.",
            config.invites_per_day(&facts.plan)
        )));
    }
    let expires = now + Duration::days(config.invitation_days);
    let sent =
        sqlx::query!("UPDATE invitations SET sent_at = $2, expires_at = $3 WHERE id = $1 RETURNING message, channel", id, now, expires)
            .fetch_one(&mut *tx)
            .await?;
    let channel = if sent.channel == "sms" { Channel::Sms } else { Channel::Email };
    let inviter = inviter_name(&mut tx, caller.account_id).await?;
    let (token, hash) = new_secret();
    let (subject, body) =
        message_for(channel, &inviter, &facts.name, &sent.message, &config.link(&format!("/invite?token={token}")), expires);
    write_sends(&mut tx, caller, channel.key(), &[id], std::slice::from_ref(&target), &[hash], &[subject], &[body], now).await?;
    record_audit(&mut tx, caller, "resent invitation", None, &format!("to {target}"), now).await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(())
}

/// Kills every link of the invitation at once.
pub async fn cancel(pool: &PgPool, caller: &PortalCaller, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let (target, _) = managed_invitation(&mut tx, caller, id).await?;
    sqlx::query!("UPDATE invitations SET status = 'cancelled' WHERE id = $1", id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM invitation_links WHERE invitation_id = $1", id).execute(&mut *tx).await?;
    record_audit(&mut tx, caller, "cancelled invitation", None, &format!("to {target}"), now).await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(())
}

struct LinkedInvitation {
    id: i64,
    portal_id: i64,
    portal_name: String,
    portal_slug: String,
    channel: String,
    target: String,
    department_id: Option<i64>,
    workgroup_ids: Vec<i64>,
    message: String,
    invited_by: Option<i64>,
    status: String,
    expires_at: DateTime<Utc>,
}

async fn by_token(db: &mut PgConnection, token: &str, lock: bool) -> Result<Option<LinkedInvitation>, AppError> {
    let hash = hash_secret(token);
    // FOR UPDATE OF i serializes acceptances of one invitation: exactly one wins.
    let row = if lock {
        sqlx::query_as!(
            LinkedInvitation,
            "SELECT i.id, i.portal_id, p.name AS portal_name, p.slug AS portal_slug, i.channel, i.target, i.department_id,
                    i.workgroup_ids, i.message, i.invited_by, i.status, i.expires_at
             FROM invitation_links l JOIN invitations i ON i.id = l.invitation_id JOIN portals p ON p.id = i.portal_id
             WHERE l.token_hash = $1 FOR UPDATE OF i",
            hash
        )
        .fetch_optional(&mut *db)
        .await?
    } else {
        sqlx::query_as!(
            LinkedInvitation,
            "SELECT i.id, i.portal_id, p.name AS portal_name, p.slug AS portal_slug, i.channel, i.target, i.department_id,
                    i.workgroup_ids, i.message, i.invited_by, i.status, i.expires_at
             FROM invitation_links l JOIN invitations i ON i.id = l.invitation_id JOIN portals p ON p.id = i.portal_id
             WHERE l.token_hash = $1",
            hash
        )
        .fetch_optional(&mut *db)
        .await?
    };
    Ok(row)
}

fn usable(invitation: &LinkedInvitation, now: DateTime<Utc>) -> Result<(), AppError> {
    if invitation.status != "pending" || invitation.expires_at <= now { Err(AppError::LinkExpired) } else { Ok(()) }
}

/// What the link's page shows, for whoever opened it.
pub async fn page(pool: &PgPool, token: &str, me: Option<&SessionAccount>, now: DateTime<Utc>) -> Result<InvitationPage, AppError> {
    let mut db = pool.acquire().await?;
    let invitation = by_token(&mut db, token, false).await?.ok_or(AppError::LinkExpired)?;
    let inviter = match invitation.invited_by {
        Some(id) => inviter_name(&mut db, id).await?,
        None => "A colleague".into(),
    };
    let state = if invitation.status != "pending" {
        InvitationState::Used
    } else if invitation.expires_at <= now {
        InvitationState::Expired
    } else {
        match me {
            Some(me) if me.login == invitation.target => InvitationState::JoinAs { name: me.full_name() },
            Some(me) => InvitationState::WrongAccount { logged_in_as: me.login.clone() },
            None => {
                let exists =
                    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM accounts WHERE login = $1) AS "exists!""#, invitation.target)
                        .fetch_one(&mut *db)
                        .await?;
                if exists { InvitationState::LogInFirst } else { InvitationState::NewAccount }
            }
        }
    };
    Ok(InvitationPage {
        portal_name: invitation.portal_name,
        portal_slug: invitation.portal_slug,
        inviter,
        target: invitation.target,
        message: invitation.message,
        state,
    })
}

/// The new person's details from the acceptance form.
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    pub first_name: String,
    pub last_name: String,
    pub password: String,
}

/// Accepts with a new network account whose login is the invited address. Answers the
/// account and the portal's address.
pub async fn accept_new(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    token: &str,
    person: &NewPerson,
    now: DateTime<Utc>,
) -> Result<(i64, String), AppError> {
    let first = DisplayText::parse(&person.first_name, "your first name", 50).map_err(|m| AppError::invalid("first_name", m))?;
    let last = DisplayText::parse(&person.last_name, "your last name", 50).map_err(|m| AppError::invalid("last_name", m))?;
    check_new_password(&person.password).map_err(|m| AppError::invalid("password", m))?;
    // Cheap refusal before the slow hash.
    {
        let mut db = pool.acquire().await?;
        usable(&by_token(&mut db, token, false).await?.ok_or(AppError::LinkExpired)?, now)?;
    }
    let hash = passwords.hash(&person.password).await.ok_or(AppError::Internal)?;
    let mut tx = pool.begin().await?;
    let invitation = by_token(&mut tx, token, true).await?.ok_or(AppError::LinkExpired)?;
    usable(&invitation, now)?;
    let account_id = create_account(&mut tx, &invitation.target, &hash, first.as_str(), last.as_str(), now)
        .await?
        .ok_or_else(|| AppError::Conflict("This address already has a Bitrix24 account. Log in with it to join the portal.".into()))?;
    join(&mut tx, config, &invitation, account_id, now).await?;
    tx.commit().await?;
    Ok((account_id, invitation.portal_slug))
}

/// Accepts as the logged-in account, whose login must be the invited address.
pub async fn accept_existing(
    pool: &PgPool,
    config: &Config,
    token: &str,
    me: &SessionAccount,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let invitation = by_token(&mut tx, token, true).await?.ok_or(AppError::LinkExpired)?;
    usable(&invitation, now)?;
    if me.login != invitation.target {
        return Err(AppError::Forbidden);
    }
    let status =
        sqlx::query_scalar!("SELECT status FROM memberships WHERE portal_id = $1 AND account_id = $2", invitation.portal_id, me.account_id)
            .fetch_optional(&mut *tx)
            .await?;
    if status.as_deref() == Some("dismissed") {
        return Err(AppError::AccessClosed);
    }
    join(&mut tx, config, &invitation, me.account_id, now).await?;
    tx.commit().await?;
    Ok(invitation.portal_slug)
}

/// Makes the account an active employee as the invitation says, announces it, tells
/// the inviter, and uses the invitation up.
async fn join(
    tx: &mut PgConnection,
    config: &Config,
    invitation: &LinkedInvitation,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let joined = sqlx::query!(
        "INSERT INTO memberships (portal_id, account_id, status, role, department_id, created_at)
         VALUES ($1, $2, 'active', 'employee', $3, $4)
         ON CONFLICT (portal_id, account_id) DO UPDATE SET status = 'active'
         WHERE memberships.status IN ('invited', 'pending_approval')",
        invitation.portal_id,
        account_id,
        invitation.department_id,
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if invitation.channel == "email"
        && let Ok(email) = Email::parse(&invitation.target)
    {
        // Someone may have taken the address as their contact email since the invitation
        // was sent; the person then joins without one rather than not at all.
        match set_contact_email(tx, invitation.portal_id, account_id, Some(&email)).await {
            Ok(()) | Err(AppError::Invalid { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    sqlx::query!(
        "INSERT INTO workgroup_members (workgroup_id, portal_id, account_id, added_at)
         SELECT id, portal_id, $3, $4 FROM workgroups WHERE portal_id = $1 AND id = ANY($2)
         ON CONFLICT DO NOTHING",
        invitation.portal_id,
        &invitation.workgroup_ids,
        account_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    if joined {
        announce_joined(tx, invitation.portal_id, account_id, now).await?;
    }
    sqlx::query!(
        "UPDATE invitations SET status = 'accepted', accepted_at = $2, accepted_by = $3 WHERE id = $1",
        invitation.id,
        now,
        account_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM invitation_links WHERE invitation_id = $1", invitation.id).execute(&mut *tx).await?;
    if let Some(inviter) = invitation.invited_by {
        let name = inviter_name(tx, account_id).await?;
        let link = config.link(&format!("/p/{}/people/{account_id}", invitation.portal_slug));
        let body = format!(
            "{name} ({}) accepted your invitation and joined {}.\n\nTheir profile: {link}\n",
            invitation.target, invitation.portal_name
        );
        email_account(tx, inviter, &format!("{name} accepted your invitation"), &body).await?;
    }
    for topic in [Topic::People, Topic::Structure, Topic::Workgroups, Topic::Access] {
        notify(&mut *tx, invitation.portal_id, topic).await?;
    }
    Ok(())
}

/// Queues an email to an account, if its login is an email address (a person who logs
/// in with a phone number has none to write to).
async fn email_account(tx: &mut PgConnection, account_id: i64, subject: &str, body: &str) -> Result<(), AppError> {
    let login = sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1", account_id).fetch_one(&mut *tx).await?;
    if Email::parse(&login).is_ok() {
        enqueue_email(&mut *tx, &login, subject, body).await?;
    }
    Ok(())
}

/// "Ask for a new invitation" on an expired link: tells the inviter, once a day at most.
pub async fn ask_for_new(pool: &PgPool, config: &Config, token: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let invitation = by_token(&mut tx, token, true).await?.ok_or(AppError::LinkExpired)?;
    if invitation.status != "pending" || invitation.expires_at > now {
        return Err(AppError::LinkExpired);
    }
    let asked_recently = sqlx::query_scalar!(
        "UPDATE invitations SET renewal_asked_at = $2 WHERE id = $1 AND (renewal_asked_at IS NULL OR renewal_asked_at < $3)
         RETURNING id",
        invitation.id,
        now,
        now - Duration::days(1)
    )
    .fetch_optional(&mut *tx)
    .await?
    .is_none();
    if !asked_recently && let Some(inviter) = invitation.invited_by {
        let link = config.link(&format!("/p/{}/employees?filter=invited", invitation.portal_slug));
        let body = format!(
            "The invitation you sent to {} for {} has expired, and they ask for a new one.\n\nResend it from the Invited list: {link}\n",
            invitation.target, invitation.portal_name
        );
        email_account(&mut tx, inviter, &format!("{} asks for a new invitation", invitation.target), &body).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// "Register": an administrator adds a person directly.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub position: String,
    pub department_id: Option<i64>,
    /// On: the account is active with a random password sent by email. Off: the email
    /// carries a link where the person sets their own password.
    pub without_confirmation: bool,
}

/// A password nobody knows, for an account whose owner sets one through a link: the
/// stored value is not a password hash, so no password ever matches it.
const NO_PASSWORD_YET: &str = "!unset";

/// Days a "set your password" link of a registration stays valid.
pub const SET_PASSWORD_DAYS: i64 = 7;

fn random_password() -> String {
    let (token, _) = new_secret();
    token.chars().take(16).collect()
}

/// Creates the account and its active membership; answers the account id.
pub async fn register(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    caller: &PortalCaller,
    form: &Registration,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    caller.require_admin()?;
    let email = Email::parse(&form.email).map_err(|m| AppError::invalid("email", m))?;
    let first = DisplayText::parse(&form.first_name, "a first name", 50).map_err(|m| AppError::invalid("first_name", m))?;
    let last = DisplayText::parse(&form.last_name, "a last name", 50).map_err(|m| AppError::invalid("last_name", m))?;
    let position = crate::profile::parse_position(&form.position).map_err(|m| AppError::invalid("position", m))?;
    let password = form.without_confirmation.then(random_password);
    let hash = match &password {
        Some(password) => passwords.hash(password).await.ok_or(AppError::Internal)?,
        None => NO_PASSWORD_YET.to_string(),
    };

    let mut tx = pool.begin().await?;
    let facts = portal_facts(&mut tx, caller.portal_id, false).await?;
    let department = checked_department(&mut tx, caller, form.department_id).await?;
    crate::profile::service::lock_address(&mut tx, caller.portal_id, &email).await?;
    if crate::profile::service::email_in_use(&mut tx, caller.portal_id, &email, None).await? {
        return Err(AppError::invalid("email", EMAIL_TAKEN));
    }
    let account_id = create_account(&mut tx, email.as_str(), &hash, first.as_str(), last.as_str(), now).await?.ok_or_else(|| {
        AppError::invalid(
            "email",
            "This address already has a Bitrix24 account. Invite it by e-mail instead: the person joins with their own password.",
        )
    })?;
    sqlx::query!(
        "INSERT INTO memberships (portal_id, account_id, status, role, department_id, position, created_at)
         VALUES ($1, $2, 'active', 'employee', $3, $4, $5)",
        caller.portal_id,
        account_id,
        department,
        position,
        now
    )
    .execute(&mut *tx)
    .await?;
    set_contact_email(&mut tx, caller.portal_id, account_id, Some(&email)).await?;
    announce_joined(&mut tx, caller.portal_id, account_id, now).await?;
    let login_link = config.link("/login");
    let (subject, body) = match &password {
        Some(password) => (
            format!("Your account at {}", facts.name),
            format!(
                "Hello {},\n\nyou have been registered at {}'s Bitrix24.\n\nLogin: {email}\nPassword: {password}\n\n\
                 Log in at {login_link} and change the password in your Network profile.\n",
                first.as_str(),
                facts.name
            ),
        ),
        None => {
            let (token, token_hash) = new_secret();
            sqlx::query!(
                "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
                 VALUES ($1, $2, 'password_reset', $3, $4)",
                token_hash,
                account_id,
                now,
                now + Duration::days(SET_PASSWORD_DAYS)
            )
            .execute(&mut *tx)
            .await?;
            let link = config.link(&format!("/reset-password?token={token}"));
            (
                format!("Set your password for {}", facts.name),
                format!(
                    "Hello {},\n\nyou have been registered at {}'s Bitrix24. Your login is {email}.\n\n\
                     Set your password: {link}\n\nThe link is valid for {SET_PASSWORD_DAYS} days.\n",
                    first.as_str(),
                    facts.name
                ),
            )
        }
    };
    enqueue_email(&mut *tx, email.as_str(), &subject, &body).await?;
    record_audit(&mut tx, caller, "registered", Some(account_id), email.as_str(), now).await?;
    for topic in [Topic::People, Topic::Structure] {
        notify(&mut *tx, caller.portal_id, topic).await?;
    }
    tx.commit().await?;
    Ok(account_id)
}
