//! SMS invitations through a local stand-in for a Twilio-compatible gateway: the exact
//! request, retries with a visible reason, and log-in with the invited phone number.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::Utc;
use intranet::invitations::InviteReport;
use intranet::mail::sms::SmsSettings;
use intranet::mail::worker::deliver_due;
use sqlx::PgPool;

use crate::app::*;

/// (path, Authorization header, form fields) of one request.
type Recorded = (String, String, Vec<(String, String)>);

#[derive(Clone, Default)]
struct Gateway {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// The status to answer with.
    status: Arc<Mutex<u16>>,
}

async fn record(State(gateway): State<Gateway>, uri: Uri, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let form = parse_form(&body);
    gateway.requests.lock().unwrap().push((uri.path().to_string(), auth, form));
    let status = *gateway.status.lock().unwrap();
    let status = StatusCode::from_u16(status).unwrap();
    if status.is_success() {
        (status, r#"{"sid": "SM1", "status": "queued"}"#.into())
    } else {
        (status, r#"{"code": 21211, "message": "The 'To' number is not a valid phone number."}"#.into())
    }
}

fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn start_gateway(status: u16) -> (Gateway, String) {
    let gateway = Gateway { status: Arc::new(Mutex::new(status)), ..Gateway::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(axum::routing::post(record)).with_state(gateway.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (gateway, base)
}

fn settings(base: &str) -> SmsSettings {
    SmsSettings { base_url: base.into(), account_sid: "AC123".into(), auth_token: "gateway-secret".into(), from: "+15005550006".into() }
}

#[sqlx::test]
async fn an_sms_invitation_reaches_the_gateway_and_the_person_logs_in_by_phone(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let owner = caller(&pool, ann, "acme").await;
    let top: i64 = sqlx::query_scalar("SELECT id FROM departments WHERE parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let sales = intranet::structure::service::add(&pool, &owner, "Sales", top, Utc::now()).await.unwrap().to_string();
    let hiking = intranet::workgroups::service::create(&pool, &owner, "Hiking", "", Utc::now()).await.unwrap().to_string();
    let app = spawn_app(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;
    let form = [
        ("slug", "acme"),
        ("numbers", "+1 (415) 555-0100\n+1 415 555 0100\n12"),
        ("department_id", sales.as_str()),
        ("workgroup_ids[0]", hiking.as_str()),
    ];
    let report: InviteReport = json_of(app.post(&admin, "invite_by_sms", &form).await).await;
    assert_eq!(report.invited, ["+14155550100"]);
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].0, "12");

    let (gateway, base) = start_gateway(201).await;
    let deliverer = deliverer_to(None, Some(settings(&base)));
    assert_eq!(deliver_due(&pool, &deliverer, Utc::now()).await.unwrap(), 1);
    let requests = gateway.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (path, auth, form) = &requests[0];
    assert_eq!(path, "/2010-04-01/Accounts/AC123/Messages.json");
    use base64::Engine;
    assert_eq!(auth, &format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("AC123:gateway-secret")));
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!((field("To").as_str(), field("From").as_str()), ("+14155550100", "+15005550006"));
    let body = field("Body");
    assert!(body.starts_with("Ann Lee invites you to acme Ltd on Bitrix24: http"), "{body}");
    let rows = json_of::<intranet::invitations::InvitedPage>(app.post(&admin, "invitations", &[("slug", "acme"), ("show", "all")]).await)
        .await
        .rows;
    assert_eq!((rows[0].channel.as_str(), rows[0].delivery.as_str()), ("SMS", "sent"));

    // The person opens the link, joins, and logs in with the number however typed.
    let token = body.rsplit("token=").next().unwrap().trim().to_string();
    let invitee = app.client();
    let response = app
        .post(
            &invitee,
            "accept_invitation",
            &[("token", &token), ("first_name", "Sam"), ("last_name", "Sms"), ("password", "blue-lantern-77")],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    let later = app.client();
    let response = app.post(&later, "login", &[("login", "+1 415-555-0100"), ("password", "blue-lantern-77")]).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    let contact: Option<String> = sqlx::query_scalar(
        "SELECT m.contact_email FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login = '+14155550100'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(contact, None, "a phone is not an email");
    let (department, groups): (String, i64) = sqlx::query_as(
        "SELECT d.name, (SELECT count(*) FROM workgroup_members g WHERE g.account_id = a.id)
         FROM memberships m JOIN accounts a ON a.id = m.account_id JOIN departments d ON d.id = m.department_id
         WHERE a.login = '+14155550100'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((department.as_str(), groups), ("Sales", 1), "the SMS invitation's department and workgroup apply");

    // The number is now a member's login.
    let report: InviteReport = json_of(app.post(&admin, "invite_by_sms", &[("slug", "acme"), ("numbers", "+14155550100")]).await).await;
    assert_eq!(report.refused, [("+14155550100".to_string(), "A user with this phone number already exists".to_string())]);
}

#[sqlx::test]
async fn a_gateway_error_is_retried_and_shown(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let admin = caller(&pool, ann, "acme").await;
    let request = intranet::invitations::service::InviteRequest { addresses: "+44 20 7946 0958".into(), ..Default::default() };
    intranet::invitations::service::invite_by_sms(&pool, &config("http://127.0.0.1:9"), &admin, &request, Utc::now()).await.unwrap();
    let (gateway, base) = start_gateway(400).await;
    let deliverer = deliverer_to(None, Some(settings(&base)));
    deliver_due(&pool, &deliverer, Utc::now()).await.unwrap();
    let (status, attempts, error): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status::text, attempts, last_error FROM outbox WHERE channel = 'sms'").fetch_one(&pool).await.unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 1), "kept for a retry");
    assert!(error.as_deref().is_some_and(|e| e.contains("400") && e.contains("not a valid phone number")), "{error:?}");
    let rows = intranet::invitations::service::list(&pool, &config("http://127.0.0.1:9"), &admin, Default::default(), "", 1, Utc::now())
        .await
        .unwrap()
        .rows;
    assert!(rows[0].delivery.starts_with("retrying: SMS gateway answered 400"), "{}", rows[0].delivery);

    // The gateway recovers: the retry goes through.
    *gateway.status.lock().unwrap() = 201;
    deliver_due(&pool, &deliverer, Utc::now() + chrono::Duration::minutes(5)).await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status::text FROM outbox WHERE channel = 'sms'").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "sent");
    assert_eq!(gateway.requests.lock().unwrap().len(), 2);
}
