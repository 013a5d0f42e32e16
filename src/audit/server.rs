use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::{AUDIT_PAGE, AuditEntry};
use crate::error::AppError;

/// Writes one audit entry in the transaction of the change it records.
pub async fn record(
    tx: &mut PgConnection,
    portal_id: i64,
    actor_id: impl Into<Option<i64>>,
    action: &str,
    subject: Option<i64>,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let actor_id: Option<i64> = actor_id.into();
    sqlx::query!(
        "INSERT INTO audit_log (portal_id, actor_id, action, subject_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
        portal_id,
        actor_id,
        action,
        subject,
        detail,
        now
    )
    .execute(&mut *tx)
    .await?;
    tracing::info!(target: "security", event = action, portal = portal_id, actor = ?actor_id, subject = ?subject, detail, "admin action");
    Ok(())
}

/// A security event of one account: log-ins, failed log-ins, lock-outs, resets, password
/// and login changes. It goes to the log (target `security`, a JSON line with
/// `LOG_FORMAT=json`) and, as an audit entry, to every portal the account is an active
/// member of, so those portals' administrators see it on the Settings page. Events of
/// logins that belong to no account go to the log only.
pub async fn security_event(
    db: impl sqlx::PgExecutor<'_>,
    account_id: Option<i64>,
    event: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tracing::info!(target: "security", event, account = ?account_id, detail, "security event");
    let Some(account_id) = account_id else { return Ok(()) };
    sqlx::query!(
        "INSERT INTO audit_log (portal_id, actor_id, action, subject_id, detail, at)
         SELECT portal_id, $1, $2, $1, $3, $4 FROM memberships WHERE account_id = $1 AND status = 'active'",
        account_id,
        event,
        detail,
        now
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The portal's newest audit entries (older ones with `before`). Callers check that the
/// reader is an administrator.
pub async fn list(
    pool: &PgPool,
    portal_id: i64,
    before: Option<i64>,
    zone: crate::domain::time::Zone,
    now: DateTime<Utc>,
) -> Result<Vec<AuditEntry>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT l.id, l.at, l.action, l.detail,
                  coalesce(actor.first_name || ' ' || actor.last_name, 'System') AS "actor!",
                  coalesce(subject.first_name || ' ' || subject.last_name, '') AS "subject!"
           FROM audit_log l
           LEFT JOIN accounts actor ON actor.id = l.actor_id
           LEFT JOIN accounts subject ON subject.id = l.subject_id
           WHERE l.portal_id = $1 AND ($2::bigint IS NULL OR l.id < $2)
           ORDER BY l.id DESC LIMIT $3"#,
        portal_id,
        before,
        AUDIT_PAGE
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: crate::domain::time::moment(r.at, zone, now),
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            detail: r.detail,
        })
        .collect())
}
