use sqlx::PgExecutor;

/// Queues an email. Pass the transaction of the change that causes it, so the message
/// exists if and only if the change does. (A trigger NOTIFYs the workers on commit.)
pub async fn enqueue_email(db: impl PgExecutor<'_>, to: &str, subject: &str, body: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO outbox (channel, recipient, subject, body) VALUES ('email', $1, $2, $3) RETURNING id",
        to,
        subject,
        body
    )
    .fetch_one(db)
    .await
}
