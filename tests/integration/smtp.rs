//! Delivery through a real SMTP server: Python's aiosmtpd (installed by scripts/test)
//! on a loopback port, storing what it receives in a maildir we can read.

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use intranet::auth::service::request_password_reset;
use intranet::mail::worker::{backoff, deliver_due};
use sqlx::PgPool;
use tokio::process::{Child, Command};

use crate::app::*;

pub struct SmtpServer {
    process: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    /// `maildir` must not exist yet: aiosmtpd creates it with its subfolders.
    pub async fn start(port: u16, maildir: &Path) -> SmtpServer {
        let python = std::env::var("SMTP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let process = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd with {python} (run scripts/test, which installs it): {e}"));
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return SmtpServer { process, maildir: maildir.to_path_buf() };
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    pub fn received(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        entries.filter_map(|e| e.ok()).filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect()
    }

    /// Each received message as a standard MIME parser (Python's `email`) reads it:
    /// its content type and each leaf part's type and decoded content.
    async fn parsed(&self) -> Vec<serde_json::Value> {
        const PARSE: &str = "import email, email.policy, json, os, sys\n\
            d = os.path.join(sys.argv[1], 'new')\n\
            out = []\n\
            for name in sorted(os.listdir(d)):\n\
            \x20   m = email.message_from_binary_file(open(os.path.join(d, name), 'rb'), policy=email.policy.default)\n\
            \x20   parts = [[p.get_content_type(), p.get_content()] for p in m.walk() if not p.is_multipart()]\n\
            \x20   out.append({'type': m.get_content_type(), 'subject': m['subject'], 'parts': parts})\n\
            print(json.dumps(out))\n";
        let python = std::env::var("SMTP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let output = Command::new(&python).args(["-c", PARSE]).arg(&self.maildir).output().await.unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub async fn stop(mut self) {
        let _ = self.process.kill().await;
    }
}

async fn status_row(pool: &PgPool) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status::text, attempts, last_error FROM outbox ORDER BY id LIMIT 1").fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn the_worker_delivers_a_reset_email_over_smtp(pool: PgPool) {
    let maildir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = SmtpServer::start(port, &maildir.path().join("mail")).await;
    let now = Utc::now();
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    request_password_reset(&pool, &config("http://127.0.0.1:3000"), "ann@acme.test", now).await.unwrap();
    let token = token_from_outbox(&pool, "ann@acme.test", "/reset-password").await;

    let deliverer = deliverer_to(Some(format!("smtp://127.0.0.1:{port}")), None);
    assert_eq!(deliver_due(&pool, &deliverer, Utc::now()).await.unwrap(), 1);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("Subject: Reset your password"), "{}", received[0]);
    assert!(received[0].contains("To: ann@acme.test"));
    assert!(received[0].contains("http://127.0.0.1:3000/reset-password?token="));
    assert_eq!(status_row(&pool).await.0, "sent");
    // The token went out, and the stored copy no longer holds it.
    // (The body travels quoted-printable: soft line breaks and `=3D` for `=`.)
    let delivered = received[0].replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    assert!(delivered.contains(&format!("token={token}")), "{delivered}");
    let (body, secrets): (String, Vec<String>) =
        sqlx::query_as("SELECT body, secrets FROM outbox ORDER BY id LIMIT 1").fetch_one(&pool).await.unwrap();
    assert!(!body.contains(&token), "{body}");
    assert!(body.contains("reset-password?token=[removed after sending]"), "{body}");
    assert!(secrets.is_empty());
    // The link itself still works: only the stored copy lost it.
    let app = spawn_app(pool.clone()).await;
    let reset = app.post(&app.client(), "reset_password", &[("token", &token), ("password", "green-meadow-19")]).await;
    assert_eq!(reset.status(), 200);
    server.stop().await;
}

#[sqlx::test]
async fn with_the_server_down_mail_waits_and_is_delivered_exactly_once_later(pool: PgPool) {
    let maildir = tempfile::tempdir().unwrap();
    let port = free_port();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    request_password_reset(&pool, &config("http://127.0.0.1:3000"), "ann@acme.test", now).await.unwrap();
    let deliverer = deliverer_to(Some(format!("smtp://127.0.0.1:{port}")), None);

    // Nothing listens on the port: the attempt fails, the message stays queued.
    let now = Utc::now();
    assert_eq!(deliver_due(&pool, &deliverer, now).await.unwrap(), 1);
    let (status, attempts, error) = status_row(&pool).await;
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert!(error.is_some());

    let server = SmtpServer::start(port, &maildir.path().join("mail")).await;
    // Not retried before its backoff is over.
    assert_eq!(deliver_due(&pool, &deliverer, now).await.unwrap(), 0);
    let later = now + backoff(1) + Duration::seconds(1);
    assert_eq!(deliver_due(&pool, &deliverer, later).await.unwrap(), 1);
    assert_eq!(deliver_due(&pool, &deliverer, later + Duration::hours(1)).await.unwrap(), 0);
    assert_eq!(server.received().len(), 1, "exactly once");
    assert_eq!(status_row(&pool).await, ("sent".to_string(), 2, None));
    server.stop().await;
}

#[sqlx::test]
async fn an_invitation_arrives_with_its_text_and_html_parts(pool: PgPool) {
    use intranet::invitations::service::{InviteRequest, invite_by_email};
    let maildir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = SmtpServer::start(port, &maildir.path().join("mail")).await;
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let request = InviteRequest { addresses: "dee@new.test".into(), ..Default::default() };
    invite_by_email(&pool, &config("http://127.0.0.1:3000"), &admin, &request, now).await.unwrap();
    let token = token_from_outbox(&pool, "dee@new.test", "/invite").await;

    let deliverer = deliverer_to(Some(format!("smtp://127.0.0.1:{port}")), None);
    assert_eq!(deliver_due(&pool, &deliverer, Utc::now()).await.unwrap(), 1);
    let received = server.parsed().await;
    assert_eq!(received.len(), 1, "{received:?}");
    let message = &received[0];
    assert_eq!(message["type"], "multipart/alternative", "{message}");
    assert_eq!(message["subject"], "Ann Lee invites you to acme Ltd");
    let parts = message["parts"].as_array().unwrap();
    let types: Vec<&str> = parts.iter().map(|p| p[0].as_str().unwrap()).collect();
    // Plain text first: mail programs show the last part they can display.
    assert_eq!(types, ["text/plain", "text/html"]);
    let link = format!("http://127.0.0.1:3000/invite?token={token}");
    let (text, html) = (parts[0][1].as_str().unwrap(), parts[1][1].as_str().unwrap());
    assert!(text.contains(&format!("Accept the invitation: {link}")), "{text}");
    assert!(html.contains(&format!("<a href=\"{link}\"")) && html.contains(">Accept the invitation</a>"), "{html}");
    assert!(html.contains("<strong>Ann Lee</strong> invites you to join <strong>acme Ltd</strong>"), "{html}");

    // Sent: neither stored part keeps the link's token.
    let (body, stored_html): (String, String) =
        sqlx::query_as("SELECT body, html FROM outbox WHERE recipient = 'dee@new.test'").fetch_one(&pool).await.unwrap();
    assert!(!body.contains(&token) && !stored_html.contains(&token));
    assert!(stored_html.contains("invite?token=[removed after sending]"), "{stored_html}");
    server.stop().await;
}
