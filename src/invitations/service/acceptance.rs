//! Accepting an invitation: the link's page, joining with a new or an existing account,
//! and asking for a new invitation when the link has expired.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::*;
use crate::auth::password_policy::check_new_password;
use crate::auth::service::create_account;
use crate::auth::session::SessionAccount;
use crate::crypto::passwords::Passwords;
use crate::crypto::tokens::hash_secret;
use crate::domain::{Channel, InvitationStatus, MembershipStatus};
use crate::domain::{DisplayText, Email};
use crate::error::AppError;
use crate::invitations::{InvitationPage, InvitationState};
use crate::live::{Topic, server::notify};
use crate::membership::{Admission, admit};
use crate::server::config::Config;

struct LinkedInvitation {
    id: i64,
    portal_id: i64,
    portal_name: String,
    portal_slug: String,
    channel: Channel,
    target: String,
    department_id: Option<i64>,
    workgroup_ids: Vec<i64>,
    message: String,
    invited_by: Option<i64>,
    status: InvitationStatus,
    expires_at: DateTime<Utc>,
    first_name: String,
    last_name: String,
    position: String,
}

async fn by_token(db: &mut PgConnection, token: &str, lock: bool) -> Result<Option<LinkedInvitation>, AppError> {
    let hash = hash_secret(token);
    // FOR UPDATE OF i serializes acceptances of one invitation: exactly one wins.
    let row = if lock {
        sqlx::query_as!(
            LinkedInvitation,
            r#"SELECT i.id, i.portal_id, p.name AS portal_name, p.slug AS portal_slug, i.channel AS "channel: Channel", i.target,
                    i.department_id, i.workgroup_ids, i.message, i.invited_by, i.status AS "status: InvitationStatus", i.expires_at,
                    i.first_name, i.last_name, i.position
             FROM invitation_links l JOIN invitations i ON i.id = l.invitation_id JOIN portals p ON p.id = i.portal_id
             WHERE l.token_hash = $1 FOR UPDATE OF i"#,
            hash
        )
        .fetch_optional(&mut *db)
        .await?
    } else {
        sqlx::query_as!(
            LinkedInvitation,
            r#"SELECT i.id, i.portal_id, p.name AS portal_name, p.slug AS portal_slug, i.channel AS "channel: Channel", i.target,
                    i.department_id, i.workgroup_ids, i.message, i.invited_by, i.status AS "status: InvitationStatus", i.expires_at,
                    i.first_name, i.last_name, i.position
             FROM invitation_links l JOIN invitations i ON i.id = l.invitation_id JOIN portals p ON p.id = i.portal_id
             WHERE l.token_hash = $1"#,
            hash
        )
        .fetch_optional(&mut *db)
        .await?
    };
    Ok(row)
}

fn usable(invitation: &LinkedInvitation, now: DateTime<Utc>) -> Result<(), AppError> {
    if invitation.status != InvitationStatus::Pending || invitation.expires_at <= now { Err(AppError::LinkExpired) } else { Ok(()) }
}

/// What the link's page shows, for whoever opened it.
pub async fn page(pool: &PgPool, token: &str, me: Option<&SessionAccount>, now: DateTime<Utc>) -> Result<InvitationPage, AppError> {
    let mut db = pool.acquire().await?;
    let invitation = by_token(&mut db, token, false).await?.ok_or(AppError::LinkExpired)?;
    let inviter = match invitation.invited_by {
        Some(id) => inviter_name(&mut db, id).await?,
        None => "A colleague".into(),
    };
    let state = if invitation.status != InvitationStatus::Pending {
        InvitationState::Used
    } else if invitation.expires_at <= now {
        InvitationState::Expired
    } else {
        // The invitation funnel's "link opened": the first time a valid link showed its page.
        let mut tx = sqlx::Connection::begin(&mut *db).await?;
        let first_time = sqlx::query_scalar!(
            "UPDATE invitations SET opened_at = $2 WHERE id = $1 AND opened_at IS NULL RETURNING id",
            invitation.id,
            now
        )
        .fetch_optional(&mut *tx)
        .await?;
        if first_time.is_some() {
            notify(&mut *tx, invitation.portal_id, Topic::People).await?;
        }
        tx.commit().await?;
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
        first_name: invitation.first_name,
        last_name: invitation.last_name,
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
    let hash = passwords.hash(&person.password).await?;
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
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: MembershipStatus" FROM memberships WHERE portal_id = $1 AND account_id = $2"#,
        invitation.portal_id,
        me.account_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if status == Some(MembershipStatus::Dismissed) {
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
    let contact_email = if invitation.channel == Channel::Email { Email::parse(&invitation.target).ok() } else { None };
    let admission = Admission {
        portal_id: invitation.portal_id,
        account_id,
        active: true,
        department_id: invitation.department_id,
        position: Some(invitation.position.as_str()).filter(|p| !p.is_empty()),
        contact_email: contact_email.as_ref(),
        workgroup_ids: &invitation.workgroup_ids,
    };
    admit(tx, admission, now).await?;
    // The link came to the invited address, which is the account's login.
    if invitation.channel == Channel::Email {
        crate::auth::email_confirmation::mark_proven(tx, account_id, now).await?;
    }
    sqlx::query!(
        "UPDATE invitations SET status = 'accepted', accepted_at = $2, active_at = $2, accepted_by = $3 WHERE id = $1",
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
        let letter = letters::Accepted { brand: &invitation.portal_name, name: &name, target: &invitation.target, link: &link };
        email_account(tx, inviter, &letters::accepted(&letter)?).await?;
        let text = format!("{name} accepted your invitation");
        crate::notices::server::for_account(
            tx,
            invitation.portal_id,
            inviter,
            crate::notices::NoticeKind::InvitationAccepted,
            account_id,
            &text,
            now,
        )
        .await?;
    }
    Ok(())
}

/// "Ask for a new invitation" on an expired link: tells the inviter, once a day at most.
pub async fn ask_for_new(pool: &PgPool, config: &Config, token: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let invitation = by_token(&mut tx, token, true).await?.ok_or(AppError::LinkExpired)?;
    if invitation.status != InvitationStatus::Pending || invitation.expires_at > now {
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
        let letter = letters::RenewalAsked { brand: &invitation.portal_name, target: &invitation.target, link: &link };
        email_account(&mut tx, inviter, &letters::renewal_asked(&letter)?).await?;
    }
    tx.commit().await?;
    Ok(())
}
