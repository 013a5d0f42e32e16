//! 6-digit codes sent by SMS, for people whose login is a phone number: a code proves
//! the number as a link proves an e-mail address. Stored hashed (bound to the account
//! and purpose), valid 10 minutes, 5 tries, and only the newest of a purpose counts.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::crypto::tokens::{hash_secret, new_code};
use crate::error::AppError;

pub const CODE_LIFETIME: Duration = Duration::minutes(10);
pub const TRIES_PER_CODE: i32 = 5;
/// Codes one account may be sent per purpose in an hour.
pub const CODES_PER_HOUR: i64 = 5;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    PasswordReset,
    LoginChange,
}

impl CodePurpose {
    fn key(self) -> &'static str {
        match self {
            CodePurpose::PasswordReset => "password_reset",
            CodePurpose::LoginChange => "login_change",
        }
    }
}

/// The answer to a wrong, used up or expired code: one message for all, beside the field.
pub fn wrong_code() -> AppError {
    AppError::invalid("code", "This code is wrong or has expired. Ask for a new one.")
}

fn code_hash(account_id: i64, purpose: CodePurpose, code: &str) -> Vec<u8> {
    hash_secret(&format!("{account_id}:{}:{}", purpose.key(), code.trim()))
}

/// A new code for `phone`, replacing any earlier one of the purpose; None when the
/// account had its hourly share already (the caller answers as usual and sends nothing).
pub async fn issue(
    tx: &mut PgConnection,
    account_id: i64,
    purpose: CodePurpose,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, AppError> {
    let recent = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM sms_codes WHERE account_id = $1 AND purpose = $2 AND created_at > $3"#,
        account_id,
        purpose.key(),
        now - Duration::hours(1)
    )
    .fetch_one(&mut *tx)
    .await?;
    if recent >= CODES_PER_HOUR {
        return Ok(None);
    }
    sqlx::query!(
        "UPDATE sms_codes SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
        account_id,
        purpose.key(),
        now
    )
    .execute(&mut *tx)
    .await?;
    let code = new_code();
    sqlx::query!(
        "INSERT INTO sms_codes (account_id, purpose, phone, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        account_id,
        purpose.key(),
        phone,
        code_hash(account_id, purpose, &code),
        now,
        now + CODE_LIFETIME
    )
    .execute(&mut *tx)
    .await?;
    Ok(Some(code))
}

/// Uses the account's live code of the purpose if `code` is it; answers the number it
/// was sent to. A wrong code uses up a try, and the fifth wrong one ends the code.
/// Call inside the transaction that acts on the code, then commit even on a wrong code
/// (the try must stay counted): [`Checked`] says which.
pub async fn check(
    tx: &mut PgConnection,
    account_id: i64,
    purpose: CodePurpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Checked, AppError> {
    let live = sqlx::query!(
        "SELECT id, phone, code_hash, attempts FROM sms_codes
         WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         ORDER BY id DESC LIMIT 1 FOR UPDATE",
        account_id,
        purpose.key(),
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(live) = live else { return Ok(Checked::Wrong) };
    if live.code_hash == code_hash(account_id, purpose, code) {
        sqlx::query!("UPDATE sms_codes SET used_at = $2 WHERE id = $1", live.id, now).execute(&mut *tx).await?;
        return Ok(Checked::Right { phone: live.phone });
    }
    let attempts = live.attempts + 1;
    sqlx::query!(
        "UPDATE sms_codes SET attempts = $2::int, used_at = CASE WHEN $2::int >= $3::int THEN $4 ELSE used_at END WHERE id = $1",
        live.id,
        attempts,
        TRIES_PER_CODE,
        now
    )
    .execute(&mut *tx)
    .await?;
    Ok(Checked::Wrong)
}

/// The outcome of [`check`].
#[derive(Debug)]
pub enum Checked {
    Right { phone: String },
    Wrong,
}
