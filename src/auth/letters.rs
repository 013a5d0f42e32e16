//! The e-mails about a person's own account: reset, password changed, address
//! confirmation. Templates in `src/auth/letters/`.

use sqlx::PgConnection;

use crate::mail::letter::{Email, compose, letter_templates};

/// Whose account a message concerns, for its header: the portals the person works in
/// ("Acme Ltd, Globex"), or "Your account" for someone in none yet.
pub async fn account_brand(db: &mut PgConnection, account_id: i64) -> Result<String, sqlx::Error> {
    let names = sqlx::query_scalar!(
        "SELECT p.name FROM memberships m JOIN portals p ON p.id = m.portal_id
         WHERE m.account_id = $1 AND m.status = 'active' ORDER BY m.created_at LIMIT 3",
        account_id
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(if names.is_empty() { "Your account".to_string() } else { names.join(", ") })
}

/// The reset link, sent to the account's login.
pub struct AccountLink<'a> {
    pub brand: &'a str,
    pub login: &'a str,
    pub link: &'a str,
}

letter_templates!(AccountLink: ResetText = "auth/letters/reset_password.txt", ResetHtml = "auth/letters/reset_password.html");

pub fn reset_password(letter: &AccountLink) -> Result<Email, askama::Error> {
    compose("Reset your password".into(), &ResetText { letter }, &ResetHtml { letter })
}

/// The link that confirms a new portal creator's address, valid `days` days.
pub struct ConfirmEmail<'a> {
    pub brand: &'a str,
    pub login: &'a str,
    pub link: &'a str,
    pub days: i64,
}

letter_templates!(ConfirmEmail: ConfirmText = "auth/letters/confirm_email.txt", ConfirmHtml = "auth/letters/confirm_email.html");

pub fn confirm_email(letter: &ConfirmEmail) -> Result<Email, askama::Error> {
    compose("Confirm your e-mail address".into(), &ConfirmText { letter }, &ConfirmHtml { letter })
}

/// After a password change: with a reset link (every session ended) or from the network
/// profile (the other sessions ended).
pub struct PasswordChanged<'a> {
    pub brand: &'a str,
    pub by_reset_link: bool,
}

letter_templates!(PasswordChanged: ChangedText = "auth/letters/password_changed.txt", ChangedHtml = "auth/letters/password_changed.html");

pub fn password_changed(letter: &PasswordChanged) -> Result<Email, askama::Error> {
    compose("Your password was changed".into(), &ChangedText { letter }, &ChangedHtml { letter })
}

/// After an administrator of `portal` reset the account's two-factor log-in: it weakens the
/// log-in, so the person hears of it outside the portal too.
pub struct TwoFactorReset<'a> {
    pub brand: &'a str,
    pub portal: &'a str,
}

letter_templates!(TwoFactorReset: TwoFactorResetText = "auth/letters/two_factor_reset.txt", TwoFactorResetHtml = "auth/letters/two_factor_reset.html");

pub fn two_factor_reset(letter: &TwoFactorReset) -> Result<Email, askama::Error> {
    compose("Your two-factor log-in was reset".into(), &TwoFactorResetText { letter }, &TwoFactorResetHtml { letter })
}
