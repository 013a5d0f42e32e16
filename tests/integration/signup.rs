use chrono::Utc;
use intranet::access::portal_caller;
use intranet::auth::session::{self, Origin};
use intranet::domain::Role;
use intranet::error::AppError;
use intranet::portals::service::{SignUpForm, sign_up};
use sqlx::PgPool;

use crate::app::*;

fn form(slug: &str, email: &str) -> SignUpForm {
    SignUpForm {
        company_name: "Acme Ltd".into(),
        slug: slug.into(),
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        email: Some(email.into()),
        password: Some(PASSWORD.into()),
    }
}

/// What a request with this session finds in the portal: None without a live session,
/// else the active membership's portal and role, if any.
async fn seat_in(pool: &PgPool, token: &str, slug: &str) -> Option<Option<(i64, Role)>> {
    let found = session::find_in_portal(pool, token, Utc::now(), slug, false).await.unwrap();
    found.map(|(_, seat)| seat.map(|seat| (seat.portal_id, seat.role)))
}

fn field_of(result: &Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::Invalid { field, .. }) => field.clone(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[sqlx::test]
async fn sign_up_creates_account_portal_and_admin_membership(pool: PgPool) {
    let passwords = passwords();
    let done = sign_up(&pool, &passwords, &config("http://127.0.0.1:9"), &form("acme", "Ann@Acme.test"), None, Utc::now()).await.unwrap();
    assert!(done.new_account);
    let row: (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT p.plan::text, m.role::text, m.status::text, m.contact_email FROM memberships m JOIN portals p ON p.id = m.portal_id WHERE m.account_id = $1",
    )
    .bind(done.account_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row, ("free".into(), "admin".into(), "active".into(), Some("ann@acme.test".into())));
    let login: String =
        sqlx::query_scalar("SELECT login FROM accounts WHERE id = $1").bind(done.account_id).fetch_one(&pool).await.unwrap();
    assert_eq!(login, "ann@acme.test");
}

#[sqlx::test]
async fn duplicate_slug_and_login_are_refused_beside_their_field(pool: PgPool) {
    let passwords = passwords();
    sign_up(&pool, &passwords, &config("http://127.0.0.1:9"), &form("acme", "ann@acme.test"), None, Utc::now()).await.unwrap();
    assert_eq!(
        field_of(&sign_up(&pool, &passwords, &config("http://127.0.0.1:9"), &form("ACME", "bo@acme.test"), None, Utc::now()).await),
        "slug"
    );
    assert_eq!(
        field_of(&sign_up(&pool, &passwords, &config("http://127.0.0.1:9"), &form("other", "ANN@acme.test"), None, Utc::now()).await),
        "email"
    );
    // Nothing half-written.
    let portals: i64 = sqlx::query_scalar("SELECT count(*) FROM portals").fetch_one(&pool).await.unwrap();
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(&pool).await.unwrap();
    assert_eq!((portals, accounts), (1, 1));
}

#[sqlx::test]
async fn each_bad_field_gets_its_own_message(pool: PgPool) {
    let passwords = passwords();
    let cases = [
        (SignUpForm { company_name: " ".into(), ..form("acme", "a@b.test") }, "company_name"),
        (form("a", "a@b.test"), "slug"),
        (SignUpForm { first_name: None, ..form("acme", "a@b.test") }, "first_name"),
        (form("acme", "not-an-email"), "email"),
        (SignUpForm { password: Some("short".into()), ..form("acme", "a@b.test") }, "password"),
        (SignUpForm { password: Some("iloveyou1".into()), ..form("acme", "a@b.test") }, "password"),
    ];
    for (bad, field) in cases {
        assert_eq!(field_of(&sign_up(&pool, &passwords, &config("http://127.0.0.1:9"), &bad, None, Utc::now()).await), field);
    }
}

#[sqlx::test]
async fn a_logged_in_person_creates_another_portal_with_the_same_account(pool: PgPool) {
    let passwords = passwords();
    let account = portal_with_admin(&pool, &passwords, "north", "bo@north.test", Utc::now()).await;
    let second = SignUpForm { company_name: "South".into(), slug: "south".into(), ..SignUpForm::default() };
    let done = sign_up(&pool, &passwords, &config("http://127.0.0.1:9"), &second, Some(account), Utc::now()).await.unwrap();
    assert_eq!(done.account_id, account);
    assert!(!done.new_account);
    assert!(portal_caller(&pool, account, "south").await.is_ok());
}

#[sqlx::test]
async fn portal_pages_are_for_active_members_only(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    let bo = portal_with_admin(&pool, &passwords, "other", "bo@other.test", Utc::now()).await;
    assert!(portal_caller(&pool, ann, "acme").await.is_ok());
    assert!(matches!(portal_caller(&pool, bo, "acme").await, Err(AppError::NotFound)));
    // A request reads the membership with its session, in the same statement: the same
    // answer as by account.
    let ann_session = session::create(&pool, ann, false, &Origin::default(), Utc::now()).await.unwrap();
    let bo_session = session::create(&pool, bo, false, &Origin::default(), Utc::now()).await.unwrap();
    let acme: i64 = sqlx::query_scalar("SELECT id FROM portals WHERE slug = 'acme'").fetch_one(&pool).await.unwrap();
    assert_eq!(seat_in(&pool, &ann_session, "acme").await, Some(Some((acme, Role::Admin))));
    assert_eq!(seat_in(&pool, &bo_session, "acme").await, Some(None), "a live session, no membership of this portal");
    assert_eq!(seat_in(&pool, &bo_session, "nowhere").await, Some(None));
    assert_eq!(seat_in(&pool, "not-a-session", "acme").await, None);

    // Over HTTP, a portal's pages open for its members only; the gate reads both at once.
    let app = spawn_app(pool.clone()).await;
    let bo_client = app.logged_in("bo@other.test").await;
    let page = |slug: &str| bo_client.get(format!("{}/p/{slug}/employees", app.base)).send();
    let inside = page("other").await.unwrap();
    assert_eq!(inside.status(), 200);
    assert!(inside.text().await.unwrap().contains("other Ltd"), "the frame names the member's portal");
    let outside = page("acme").await.unwrap();
    assert_eq!(outside.status(), 404);
    assert!(!outside.text().await.unwrap().contains("acme Ltd"), "an outsider learns nothing of the portal");

    sqlx::query("UPDATE memberships SET status = 'dismissed' WHERE account_id = $1").bind(ann).execute(&pool).await.unwrap();
    assert!(matches!(portal_caller(&pool, ann, "acme").await, Err(AppError::NotFound)));
    assert_eq!(seat_in(&pool, &ann_session, "acme").await, Some(None), "dismissed: the session lives on, the membership is gone");

    // Anonymous callers are asked to log in; other portals' members see nothing.
    let anonymous = app.client();
    assert_eq!(error_of(app.post(&anonymous, "portal_home", &[("slug", "other")]).await).await, (401, AppError::Unauthorized));
}
