use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{FeedItem, FeedPage, MAX_MESSAGE_CHARS, MAX_POST_CHARS, check_text};
use crate::access::PortalCaller;
use crate::domain::time::{Zone, moment};
use crate::error::AppError;
use crate::live::Topic;
use crate::live::server::notify;

pub const STREAM_PAGE: i64 = 20;
pub const CHAT_PAGE: i64 = 100;

struct ItemRow {
    id: i64,
    author_id: Option<i64>,
    author_name: Option<String>,
    body: String,
    created_at: DateTime<Utc>,
}

fn item(row: ItemRow, zone: Zone, now: DateTime<Utc>) -> FeedItem {
    FeedItem {
        id: row.id,
        is_notice: row.author_id.is_none(),
        author_id: row.author_id,
        author_name: row.author_name.unwrap_or_else(|| "Bitrix24".into()),
        body: row.body,
        at: moment(row.created_at, zone, now),
    }
}

/// The stream, newest first.
pub async fn stream(pool: &PgPool, caller: &PortalCaller, before: Option<i64>, now: DateTime<Utc>) -> Result<FeedPage, AppError> {
    let rows = sqlx::query_as!(
        ItemRow,
        r#"SELECT p.id, p.author_id, a.first_name || ' ' || a.last_name AS "author_name?", p.body, p.created_at
           FROM stream_posts p LEFT JOIN accounts a ON a.id = p.author_id
           WHERE p.portal_id = $1 AND ($2::bigint IS NULL OR p.id < $2)
           ORDER BY p.id DESC LIMIT $3"#,
        caller.portal_id,
        before,
        STREAM_PAGE + 1
    )
    .fetch_all(pool)
    .await?;
    Ok(page(rows, STREAM_PAGE, false, caller.zone, now))
}

/// The chat, oldest first: the newest messages (or those before `before`).
pub async fn chat(pool: &PgPool, caller: &PortalCaller, before: Option<i64>, now: DateTime<Utc>) -> Result<FeedPage, AppError> {
    let rows = sqlx::query_as!(
        ItemRow,
        r#"SELECT c.id, c.author_id, a.first_name || ' ' || a.last_name AS "author_name?", c.body, c.created_at
           FROM chat_messages c LEFT JOIN accounts a ON a.id = c.author_id
           WHERE c.portal_id = $1 AND ($2::bigint IS NULL OR c.id < $2)
           ORDER BY c.id DESC LIMIT $3"#,
        caller.portal_id,
        before,
        CHAT_PAGE + 1
    )
    .fetch_all(pool)
    .await?;
    Ok(page(rows, CHAT_PAGE, true, caller.zone, now))
}

/// A page from up to `size + 1` rows fetched newest first (the extra row only says that
/// older ones exist); `oldest_first` turns it around for reading top to bottom.
fn page(mut rows: Vec<ItemRow>, size: i64, oldest_first: bool, zone: Zone, now: DateTime<Utc>) -> FeedPage {
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    let older = if more { rows.last().map(|r| r.id) } else { None };
    if oldest_first {
        rows.reverse();
    }
    FeedPage { items: rows.into_iter().map(|row| item(row, zone, now)).collect(), older }
}

pub async fn post(pool: &PgPool, caller: &PortalCaller, text: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let text = check_text(text, MAX_POST_CHARS).map_err(|m| AppError::invalid("text", m))?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO stream_posts (portal_id, author_id, kind, body, created_at) VALUES ($1, $2, 'post', $3, $4)",
        caller.portal_id,
        caller.account_id,
        text,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, caller.portal_id, Topic::Stream).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn send_message(pool: &PgPool, caller: &PortalCaller, text: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let text = check_text(text, MAX_MESSAGE_CHARS).map_err(|m| AppError::invalid("text", m))?;
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO chat_messages (portal_id, author_id, kind, body, created_at) VALUES ($1, $2, 'message', $3, $4)",
        caller.portal_id,
        caller.account_id,
        text,
        now
    )
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, caller.portal_id, Topic::Chat).await?;
    tx.commit().await?;
    Ok(())
}
