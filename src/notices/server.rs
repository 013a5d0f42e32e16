//! Writing and reading notices.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::{NOTICES_SHOWN, Notice, NoticeKind, Notices};
use crate::domain::time::{Zone, moment};
use crate::live::{Topic, server::notify};

/// A notice to each active administrator of the portal.
pub async fn for_admins(
    tx: &mut PgConnection,
    portal_id: i64,
    kind: NoticeKind,
    subject_id: i64,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO notices (portal_id, account_id, kind, subject_id, text, created_at)
         SELECT $1, account_id, $2, $3, $4, $5 FROM memberships WHERE portal_id = $1 AND role = 'admin' AND status = 'active'",
        portal_id,
        kind.key(),
        subject_id,
        text,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, portal_id, Topic::Notices).await
}

/// A notice to one person of the portal.
pub async fn for_account(
    tx: &mut PgConnection,
    portal_id: i64,
    reader_id: i64,
    kind: NoticeKind,
    subject_id: i64,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO notices (portal_id, account_id, kind, subject_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        portal_id,
        reader_id,
        kind.key(),
        subject_id,
        text,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, portal_id, Topic::Notices).await
}

/// Every reader's notice of this kind about this person counts as read: the matter was
/// settled (a join request approved or denied by any administrator).
pub async fn settle(
    tx: &mut PgConnection,
    portal_id: i64,
    kind: NoticeKind,
    subject_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE notices SET read_at = $4 WHERE portal_id = $1 AND kind = $2 AND subject_id = $3 AND read_at IS NULL",
        portal_id,
        kind.key(),
        subject_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, portal_id, Topic::Notices).await
}

/// The reader's newest notices and unread count, in one query.
pub async fn list(pool: &PgPool, portal_id: i64, reader_id: i64, zone: Zone, now: DateTime<Utc>) -> Result<Notices, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT n.id, n.kind, n.text, n.subject_id, n.created_at, n.read_at IS NOT NULL AS "read!",
                  (n.kind = 'join_request' AND EXISTS (SELECT 1 FROM memberships m
                     WHERE m.portal_id = n.portal_id AND m.account_id = n.subject_id AND m.status = 'pending_approval')) AS "awaits!",
                  (SELECT count(*) FROM notices u WHERE u.portal_id = $1 AND u.account_id = $2 AND u.read_at IS NULL) AS "unread!"
           FROM notices n WHERE n.portal_id = $1 AND n.account_id = $2
           ORDER BY n.id DESC LIMIT $3"#,
        portal_id,
        reader_id,
        NOTICES_SHOWN
    )
    .fetch_all(pool)
    .await?;
    let unread = rows.first().map(|r| r.unread).unwrap_or(0);
    let items = rows
        .into_iter()
        .filter_map(|r| {
            Some(Notice {
                id: r.id,
                kind: NoticeKind::parse(&r.kind)?,
                text: r.text,
                subject_id: r.subject_id,
                at: moment(r.created_at, zone, now),
                read: r.read,
                awaits_decision: r.awaits,
            })
        })
        .collect();
    Ok(Notices { unread, items })
}

/// Marks the reader's notice read (`Some(id)`), or all of them (`None`). Nobody else's
/// bell changes, so no event goes out: the reader's page refetches by itself.
pub async fn mark_read(
    pool: &PgPool,
    portal_id: i64,
    reader_id: i64,
    notice_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE notices SET read_at = $4 WHERE portal_id = $1 AND account_id = $2 AND ($3::bigint IS NULL OR id = $3) AND read_at IS NULL",
        portal_id,
        reader_id,
        notice_id,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}
