//! Invitation rules, by step: `sending` (the invite dialog, e-mail and SMS invitations),
//! `invited_list` (the Invited list with resend and cancel), `acceptance` (the
//! invitation link's page, joining, asking for a new invitation), `register` (an
//! administrator adds a person directly), `bulk` (inviting from a list, with a preview),
//! `funnel` (how far each invitation got, and the sums), and `letters` (every message these send).

mod acceptance;
pub mod bulk;
pub mod funnel;
mod invited_list;
pub mod letters;
mod register;
mod sending;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::domain::{Email, Plan};
use crate::error::AppError;
use crate::mail::outbox::enqueue_email;
pub use acceptance::{NewPerson, accept_existing, accept_new, ask_for_new, page};
pub use invited_list::{RESENT, STANDARD_TEXT_INSTEAD, cancel, list, resend};
pub use letters::sms_text;
pub use register::{COMPLETE_REGISTRATION, Registration, SET_PASSWORD_DAYS, complete, completion, register};
pub use sending::{InviteRequest, dialog, invite_by_email, invite_by_sms};

pub(super) struct PortalFacts {
    pub name: String,
    pub plan: Plan,
}

/// The portal's name and plan; with `lock`, read under `access::lock_portal`, so the
/// lock is the same as every other portal-wide writer's.
pub(super) async fn portal_facts(db: &mut PgConnection, portal_id: i64, lock: bool) -> Result<PortalFacts, AppError> {
    if lock {
        crate::access::lock_portal(&mut *db, portal_id).await?;
    }
    let row = sqlx::query_as!(PortalFacts, r#"SELECT name, plan AS "plan: Plan" FROM portals WHERE id = $1"#, portal_id)
        .fetch_one(&mut *db)
        .await?;
    Ok(row)
}

/// Which of these logins (lower-cased addresses, E.164 numbers) already belong to the
/// portal: as a member's login or as a member's contact e-mail.
pub(super) async fn members_among(
    db: &mut PgConnection,
    portal_id: i64,
    targets: &[String],
) -> Result<std::collections::HashSet<String>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT e AS "e!" FROM unnest($2::text[]) AS e
           WHERE EXISTS (SELECT 1 FROM accounts a JOIN memberships m ON m.account_id = a.id AND m.portal_id = $1 WHERE a.login = e)
              OR EXISTS (SELECT 1 FROM memberships WHERE portal_id = $1 AND lower(contact_email) = e)"#,
        portal_id,
        targets
    )
    .fetch_all(&mut *db)
    .await?
    .into_iter()
    .collect())
}

/// Links sent by the portal in the 24 hours before `now`.
pub(super) async fn sent_today(db: &mut PgConnection, portal_id: i64, now: DateTime<Utc>) -> Result<i64, AppError> {
    let since = now - Duration::hours(24);
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM invitation_links WHERE portal_id = $1 AND created_at > $2"#, portal_id, since)
        .fetch_one(&mut *db)
        .await?)
}

pub(super) async fn inviter_name(db: &mut PgConnection, account_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT first_name || ' ' || last_name AS "name!" FROM accounts WHERE id = $1"#, account_id)
        .fetch_one(&mut *db)
        .await?)
}

/// Queues an email to an account, if its login is an email address (a person who logs
/// in with a phone number has none to write to).
pub(super) async fn email_account(tx: &mut PgConnection, account_id: i64, email: &crate::mail::letter::Email) -> Result<(), AppError> {
    let login = sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1", account_id).fetch_one(&mut *tx).await?;
    if Email::parse(&login).is_ok() {
        enqueue_email(&mut *tx, &login, email, &[]).await?;
    }
    Ok(())
}
