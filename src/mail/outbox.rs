use sqlx::PgExecutor;

use super::letter::{Email, as_in_html};

/// Queues an email. Pass the transaction of the change that causes it, so the message
/// exists if and only if the change does. (A trigger NOTIFYs the workers on commit.)
/// `secrets` are the parts of the body that grant access (a link's token, a generated
/// password): the worker removes them from both stored parts once the message is sent.
pub async fn enqueue_email(db: impl PgExecutor<'_>, to: &str, email: &Email, secrets: &[&str]) -> Result<i64, sqlx::Error> {
    let secrets: Vec<String> = secrets.iter().filter(|s| !s.is_empty()).map(|s| s.to_string()).collect();
    sqlx::query_scalar!(
        "INSERT INTO outbox (channel, recipient, subject, body, html, secrets) VALUES ('email', $1, $2, $3, $4, $5) RETURNING id",
        to,
        email.subject,
        email.text,
        email.html,
        &secrets
    )
    .fetch_one(db)
    .await
}

/// Queues an SMS, like [`enqueue_email`]. `label` is the dev Outbox's title for it (an
/// SMS has no subject).
pub async fn enqueue_sms(db: impl PgExecutor<'_>, to: &str, label: &str, text: &str, secrets: &[&str]) -> Result<i64, sqlx::Error> {
    let secrets: Vec<String> = secrets.iter().filter(|s| !s.is_empty()).map(|s| s.to_string()).collect();
    sqlx::query_scalar!(
        "INSERT INTO outbox (channel, recipient, subject, body, secrets) VALUES ('sms', $1, $2, $3, $4) RETURNING id",
        to,
        label,
        text,
        &secrets
    )
    .fetch_one(db)
    .await
}

/// What a stored body keeps of a secret once the message is sent.
pub const REMOVED: &str = "[removed after sending]";

/// The body with every secret cut out.
pub fn scrub(body: &str, secrets: &[String]) -> String {
    secrets.iter().filter(|s| !s.is_empty()).fold(body.to_string(), |body, secret| body.replace(secret.as_str(), REMOVED))
}

/// An HTML part with every secret cut out, in the escaped form the template wrote too.
pub fn scrub_html(html: &str, secrets: &[String]) -> String {
    let escaped: Vec<String> = secrets.iter().map(|s| as_in_html(s)).collect();
    scrub(&scrub(html, &escaped), secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_cut_out_and_the_rest_stays() {
        let body = "Open http://x/reset?token=abc123 within an hour. Password: P4ss! (abc123 again)";
        let scrubbed = scrub(body, &["abc123".into(), "P4ss!".into(), String::new()]);
        assert_eq!(
            scrubbed,
            "Open http://x/reset?token=[removed after sending] within an hour. Password: [removed after sending] ([removed after sending] again)"
        );
        assert_eq!(scrub(body, &[]), body);
    }

    #[test]
    fn secrets_are_cut_out_of_the_html_part_escaped_or_not() {
        let html = r#"<a href="http://x/r?token=abc123">http://x/r?token=abc123</a> Password: <b>P4&#60;s&#38;</b>"#;
        let scrubbed = scrub_html(html, &["abc123".into(), "P4<s&".into()]);
        assert!(!scrubbed.contains("abc123") && !scrubbed.contains("P4"), "{scrubbed}");
        assert_eq!(scrubbed.matches(REMOVED).count(), 3, "{scrubbed}");
    }
}
