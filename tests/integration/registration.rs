//! Registration settings and quick registration: the outcome table (Public/Moderated ×
//! trusted/untrusted domain × confirmed/unconfirmed × link on/off/regenerated), approval
//! and denial, "Allow everyone to invite" on the server, throttling, and live events
//! across two app instances.

use chrono::{Duration, Utc};
use intranet::components::PortalHome;
use intranet::error::AppError;
use intranet::registration::service::{self, RegistrationForm, SWITCHED_OFF, SettingsForm};
use intranet::registration::{Outcome, QuickRegistration, RegistrationPage};
use sqlx::PgPool;

use crate::app::*;
use crate::live::wait_for;

fn local() -> intranet::server::config::Config {
    config("http://127.0.0.1:9")
}

fn settings(enabled: bool, kind: &str, domains: &str) -> SettingsForm {
    SettingsForm { enabled, registration_type: kind.into(), trusted_domains: domains.into(), greeting: "Welcome!".into() }
}

const CHOSEN: &str = "blue-lantern-77";

fn form(email: &str) -> RegistrationForm {
    RegistrationForm { email: email.into(), first_name: "Reg".into(), last_name: "Istrant".into(), password: CHOSEN.into() }
}

/// Confirms with the password chosen at registration.
async fn confirm(pool: &PgPool, token: &str, now: chrono::DateTime<Utc>) -> Result<intranet::registration::Confirmed, AppError> {
    service::confirm(pool, &passwords(), &local(), token, CHOSEN, now).await
}

async fn code(pool: &PgPool) -> String {
    sqlx::query_scalar("SELECT registration_code FROM portals WHERE slug = 'acme'").fetch_one(pool).await.unwrap()
}

async fn status_of(pool: &PgPool, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT m.status::text FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login = $1 AND m.portal_id = 1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .unwrap()
}

async fn joined_notices(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stream_posts WHERE portal_id = 1 AND body LIKE $1 || '%joined%'")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Registers through the link and answers the confirmation token from the outbox.
async fn request(pool: &PgPool, code: &str, email: &str, client: &str) -> Result<String, AppError> {
    let passwords = passwords();
    service::request(pool, &passwords, &local(), code, &form(email), client, Utc::now()).await?;
    Ok(token_from_outbox(pool, email, "/register/confirm").await)
}

#[sqlx::test]
async fn the_outcome_table(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let admin = caller(&pool, ann, "acme").await;
    let config = local();
    let now = Utc::now();
    let mut client = 0;
    let mut next_client = || {
        client += 1;
        format!("10.0.0.{client}")
    };

    // (type, trusted domains, address, expected outcome), link on, confirmed.
    let cases = [
        ("public", "", "p-untrusted@else.test", Outcome::Active),
        ("public", "trusted.test", "p-trusted@trusted.test", Outcome::Active),
        ("moderated", "trusted.test", "m-trusted@trusted.test", Outcome::Active),
        ("moderated", "trusted.test", "m-untrusted@else.test", Outcome::AwaitsApproval),
        ("moderated", "trusted.test", "m-sub@mail.trusted.test", Outcome::AwaitsApproval),
    ];
    for (kind, domains, email, expected) in cases {
        service::save_settings(&pool, &admin, &settings(true, kind, domains), now).await.unwrap();
        // The preview answers from the same rule.
        assert_eq!(service::check_address(&pool, &admin, email).await.unwrap(), expected, "preview {kind} {email}");
        let token = request(&pool, &code(&pool).await, email, &next_client()).await.unwrap();
        // Unconfirmed: nothing exists yet but the request.
        assert_eq!(status_of(&pool, email).await, None, "{email} before confirming");
        let confirmed = confirm(&pool, &token, now).await.unwrap();
        assert_eq!(confirmed.outcome, expected, "{kind} {email}");
        let want = if expected == Outcome::Active { "active" } else { "pending_approval" };
        assert_eq!(status_of(&pool, email).await.as_deref(), Some(want), "{email}");
        // Single use.
        assert_eq!(confirm(&pool, &token, now).await, Err(AppError::LinkExpired));
    }
    // Only the active ones were announced; admins were told of the two awaiting approval.
    assert_eq!(joined_notices(&pool, "Reg Istrant").await, 3);
    let to_admin: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient = 'ann@acme.test' AND subject LIKE '%awaits approval%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(to_admin, 2);
    // The contact email is the confirmed address, and the person is in the top department.
    let contact: Option<String> = sqlx::query_scalar(
        "SELECT contact_email FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login = 'p-untrusted@else.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(contact.as_deref(), Some("p-untrusted@else.test"));

    // An address that is already a member's login: refused beside the field.
    assert_eq!(service::check_address(&pool, &admin, "ann@acme.test").await.unwrap(), Outcome::AlreadyMember);
    assert_eq!(
        request(&pool, &code(&pool).await, "ANN@acme.test", &next_client()).await,
        Err(AppError::invalid("email", "A user with this email already exists"))
    );

    // Link switched off: no request is taken, and one made before cannot be confirmed.
    let token = request(&pool, &code(&pool).await, "late-off@else.test", &next_client()).await.unwrap();
    service::save_settings(&pool, &admin, &settings(false, "public", ""), now).await.unwrap();
    assert_eq!(service::check_address(&pool, &admin, "x@else.test").await.unwrap(), Outcome::SwitchedOff);
    assert_eq!(request(&pool, &code(&pool).await, "off@else.test", &next_client()).await, Err(AppError::Conflict(SWITCHED_OFF.into())));
    assert_eq!(confirm(&pool, &token, now).await, Err(AppError::LinkExpired));
    assert_eq!(service::page(&pool, &code(&pool).await).await.unwrap(), RegistrationPage::SwitchedOff);
    // Switched on again, what arrived before stays dead; new registrations work.
    service::save_settings(&pool, &admin, &settings(true, "public", ""), now).await.unwrap();
    assert_eq!(confirm(&pool, &token, now).await, Err(AppError::LinkExpired));
    assert_eq!(status_of(&pool, "late-off@else.test").await, None);

    // Regenerated: the old link is dead at once, with its unconfirmed requests.
    let old = code(&pool).await;
    let token = request(&pool, &old, "late-regen@else.test", &next_client()).await.unwrap();
    service::regenerate_link(&pool, &admin, now).await.unwrap();
    let new = code(&pool).await;
    assert_ne!(old, new);
    assert_eq!(service::page(&pool, &old).await.unwrap(), RegistrationPage::SwitchedOff);
    assert!(matches!(service::page(&pool, &new).await.unwrap(), RegistrationPage::Open { .. }));
    assert_eq!(request(&pool, &old, "old-link@else.test", &next_client()).await, Err(AppError::Conflict(SWITCHED_OFF.into())));
    assert_eq!(confirm(&pool, &token, now).await, Err(AppError::LinkExpired));
    assert_eq!(status_of(&pool, "late-regen@else.test").await, None);

    // Only the registrant can confirm: whoever merely clicks the link in the mailbox
    // does not know the password chosen at registration.
    let token = request(&pool, &new, "clicker@else.test", &next_client()).await.unwrap();
    let wrong = service::confirm(&pool, &passwords(), &config, &token, "someone-elses-pass", now).await;
    assert_eq!(wrong.unwrap_err().for_field("password").as_deref(), Some("This is not the password chosen at registration."));
    assert_eq!(status_of(&pool, "clicker@else.test").await, None);
    assert_eq!(confirm(&pool, &token, now).await.unwrap().outcome, Outcome::Active);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM registration_requests WHERE email = 'clicker@else.test'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(hash, "", "a used request keeps no password hash");

    // Confirmation links expire after 24 hours.
    let token = request(&pool, &new, "slow@else.test", &next_client()).await.unwrap();
    assert_eq!(confirm(&pool, &token, now + Duration::hours(25)).await, Err(AppError::LinkExpired));
    assert_eq!(status_of(&pool, "slow@else.test").await, None);
}

#[sqlx::test]
async fn an_existing_network_account_joins_as_itself(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    portal_with_admin(&pool, &passwords(), "other", "zed@other.test", Utc::now()).await;
    let admin = caller(&pool, ann, "acme").await;
    service::save_settings(&pool, &admin, &settings(true, "public", ""), Utc::now()).await.unwrap();
    let token = request(&pool, &code(&pool).await, "zed@other.test", "10.0.0.1").await.unwrap();
    // The account's own password, not the one typed at registration, confirms.
    let refused = confirm(&pool, &token, Utc::now()).await.unwrap_err();
    assert!(refused.for_field("password").is_some_and(|m| m.contains("that account's password")), "{refused:?}");
    assert_eq!(status_of(&pool, "zed@other.test").await, None);
    let confirmed = service::confirm(&pool, &passwords(), &local(), &token, PASSWORD, Utc::now()).await.unwrap();
    assert!(confirmed.existing_account);
    assert_eq!(status_of(&pool, "zed@other.test").await.as_deref(), Some("active"));
    // The password typed at registration did not replace the account's own.
    let app = spawn_app(pool.clone()).await;
    app.logged_in("zed@other.test").await;
}

#[sqlx::test]
async fn admins_approve_and_deny_registrations(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let admin_caller = caller(&pool, ann, "acme").await;
    service::save_settings(&pool, &admin_caller, &settings(true, "moderated", ""), Utc::now()).await.unwrap();
    let code = code(&pool).await;
    for (email, client) in [("kim@else.test", "10.0.0.1"), ("lou@else.test", "10.0.0.2")] {
        let token = request(&pool, &code, email, client).await.unwrap();
        confirm(&pool, &token, Utc::now()).await.unwrap();
    }
    let app = spawn_app(pool.clone()).await;
    // Waiting: log-in says so.
    let kim_client = app.client();
    let waiting = app.post(&kim_client, "login", &[("login", "kim@else.test"), ("password", CHOSEN)]).await;
    assert_eq!(error_of(waiting).await, (403, AppError::AwaitingApproval));

    let admin = app.logged_in("ann@acme.test").await;
    let kim: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'kim@else.test'").fetch_one(&pool).await.unwrap();
    let lou: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'lou@else.test'").fetch_one(&pool).await.unwrap();
    let (kim_s, lou_s) = (kim.to_string(), lou.to_string());
    let approve = [("slug", "acme"), ("account_id", kim_s.as_str()), ("decision", "approve")];
    assert_eq!(app.post(&admin, "decide_registration", &approve).await.status(), 200);
    let deny = [("slug", "acme"), ("account_id", lou_s.as_str()), ("decision", "deny")];
    assert_eq!(app.post(&admin, "decide_registration", &deny).await.status(), 200);
    // Each only once.
    let (status, _) = error_of(app.post(&admin, "decide_registration", &approve).await).await;
    assert_eq!(status, 409);

    assert_eq!(status_of(&pool, "kim@else.test").await.as_deref(), Some("active"));
    assert_eq!(status_of(&pool, "lou@else.test").await, None);
    assert_eq!(joined_notices(&pool, "Reg Istrant").await, 1);
    for (email, subject) in [("kim@else.test", "Welcome to acme Ltd"), ("lou@else.test", "Your registration at acme Ltd")] {
        let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient = $1 AND subject = $2")
            .bind(email)
            .bind(subject)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(sent, 1, "{subject} to {email}");
    }
    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT action, detail FROM audit_log WHERE portal_id = 1 AND action LIKE '%registration' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audit,
        [
            ("approved registration".to_string(), "kim@else.test".to_string()),
            ("denied registration".to_string(), "lou@else.test".to_string())
        ]
    );
    // Approved: logs in.
    let kim_in = app.post(&kim_client, "login", &[("login", "kim@else.test"), ("password", CHOSEN)]).await;
    assert!(kim_in.status().is_success() || kim_in.status().is_redirection(), "{}", kim_in.status());
}

#[sqlx::test]
async fn allow_everyone_to_invite_is_enforced_on_the_server(pool: PgPool) {
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let admin_caller = caller(&pool, ann, "acme").await;
    let top: i64 =
        sqlx::query_scalar("SELECT id FROM departments WHERE portal_id = 1 AND parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let sales = intranet::structure::service::add(&pool, &admin_caller, "Sales", top, now).await.unwrap();
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    sqlx::query("UPDATE memberships SET department_id = $1 WHERE account_id = $2").bind(sales).bind(bo).execute(&pool).await.unwrap();
    let app = spawn_app(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;
    let employee = app.logged_in("bo@acme.test").await;
    let home = |client: reqwest::Client| {
        let app = &app;
        async move { json_of::<PortalHome>(app.post(&client, "portal_home", &[("slug", "acme")]).await).await.can_invite }
    };
    let invite = [("slug", "acme"), ("addresses", "new1@new.test")];

    assert!(!home(employee.clone()).await);
    assert_eq!(app.post(&employee, "invite_by_email", &invite).await.status(), 403);
    assert_eq!(app.post(&employee, "quick_registration", &[("slug", "acme")]).await.status(), 403);

    assert_eq!(app.post(&admin, "set_everyone_can_invite", &[("slug", "acme"), ("allowed", "on")]).await.status(), 200);
    assert!(home(employee.clone()).await, "the next request sees the change");
    assert_eq!(app.post(&employee, "invite_by_email", &invite).await.status(), 200);
    let department: i64 =
        sqlx::query_scalar("SELECT department_id FROM invitations WHERE target = 'new1@new.test'").fetch_one(&pool).await.unwrap();
    assert_eq!(department, sales, "an employee's invitations go to their own department");
    let top_s = top.to_string();
    let elsewhere = [("slug", "acme"), ("addresses", "new2@new.test"), ("department_id", top_s.as_str())];
    let (status, error) = error_of(app.post(&employee, "invite_by_email", &elsewhere).await).await;
    assert_eq!((status, error.for_field("department_id").is_some()), (422, true));
    let quick: QuickRegistration = json_of(app.post(&employee, "quick_registration", &[("slug", "acme")]).await).await;
    assert_eq!((quick.link, quick.is_admin), (None, false), "switched off by default");
    // Employees still cannot change settings or register people directly.
    assert_eq!(app.post(&employee, "registration_settings", &[("slug", "acme")]).await.status(), 403);
    let register = [("slug", "acme"), ("email", "r@new.test"), ("first_name", "R"), ("last_name", "R")];
    assert_eq!(app.post(&employee, "register_user", &register).await.status(), 403);

    assert_eq!(app.post(&admin, "set_everyone_can_invite", &[("slug", "acme")]).await.status(), 200);
    assert!(!home(employee.clone()).await);
    let again = [("slug", "acme"), ("addresses", "new3@new.test")];
    assert_eq!(app.post(&employee, "invite_by_email", &again).await.status(), 403);
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'changed who may invite'").fetch_one(&pool).await.unwrap();
    assert_eq!(audit, 2);
}

#[sqlx::test]
async fn settings_are_validated(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let admin = caller(&pool, ann, "acme").await;
    let now = Utc::now();
    let bad = |form: SettingsForm| {
        let pool = pool.clone();
        let admin = admin.clone();
        async move { service::save_settings(&pool, &admin, &form, now).await.unwrap_err() }
    };
    assert!(bad(settings(true, "public", "acme.test, not a domain!")).await.for_field("trusted_domains").is_some());
    assert!(bad(settings(true, "open", "")).await.for_field("registration_type").is_some());
    let long = SettingsForm { greeting: "x".repeat(1001), ..settings(true, "public", "") };
    assert!(bad(long).await.for_field("greeting").is_some());
    // Nothing was written by the refusals.
    let enabled: bool = sqlx::query_scalar("SELECT quick_registration FROM portals WHERE id = 1").fetch_one(&pool).await.unwrap();
    assert!(!enabled);
    service::save_settings(&pool, &admin, &settings(true, "moderated", " @Acme.TEST\nmail.acme.test "), now).await.unwrap();
    let domains: Vec<String> = sqlx::query_scalar("SELECT trusted_domains FROM portals WHERE id = 1").fetch_one(&pool).await.unwrap();
    assert_eq!(domains, ["acme.test", "mail.acme.test"]);
}

#[sqlx::test]
async fn quick_registration_is_throttled_per_client_and_address(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let admin = caller(&pool, ann, "acme").await;
    service::save_settings(&pool, &admin, &settings(true, "public", ""), Utc::now()).await.unwrap();
    let code = code(&pool).await;
    // Refused attempts count too: probing members' addresses costs attempts.
    let member = request(&pool, &code, "ann@acme.test", "10.9.9.9").await.unwrap_err();
    assert!(member.for_field("email").is_some());
    for i in 1..service::ATTEMPTS_PER_CLIENT.max {
        request(&pool, &code, &format!("p{i}@else.test"), "10.9.9.9").await.unwrap();
    }
    let refused = request(&pool, &code, "one-more@else.test", "10.9.9.9").await.unwrap_err();
    // 429 with the wait: the oldest attempt leaves the hour's window first.
    assert!(matches!(refused, AppError::TooManyAttempts { retry_after } if (3590..=3600).contains(&retry_after)), "{refused:?}");
    // Another client is not affected, but one address cannot be flooded with emails.
    for i in 0..service::ATTEMPTS_PER_EMAIL.max {
        request(&pool, &code, "target@else.test", &format!("10.8.0.{i}")).await.unwrap();
    }
    let flooded = request(&pool, &code, "target@else.test", "10.8.1.1").await.unwrap_err();
    assert!(matches!(flooded, AppError::TooManyAttempts { .. }), "{flooded:?}");
}

#[sqlx::test]
async fn a_settings_change_reaches_pages_on_another_instance(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin_caller = caller(&pool, ann, "acme").await;
    service::save_settings(&pool, &admin_caller, &settings(true, "public", ""), Utc::now()).await.unwrap();
    let code = code(&pool).await;
    let first = spawn_app(pool.clone()).await;
    let second = spawn_app(pool.clone()).await;

    // An employee's portal page and an anonymous registration page, both on the second.
    let employee = second.logged_in("bo@acme.test").await;
    let mut portal_events = employee.get(format!("{}/p/acme/live", second.base)).send().await.unwrap();
    wait_for(&mut portal_events, "ready").await;
    let mut page_events = second.client().get(format!("{}/join/{code}/live", second.base)).send().await.unwrap();
    assert_eq!(page_events.status(), 200);
    wait_for(&mut page_events, "ready").await;

    let admin = first.logged_in("ann@acme.test").await;
    let change = [("slug", "acme"), ("enabled", "on"), ("registration_type", "public"), ("greeting", "Hello <b>there</b>")];
    assert_eq!(first.post(&admin, "save_registration_settings", &change).await.status(), 200);
    wait_for(&mut portal_events, "settings").await;
    let before = wait_for(&mut page_events, "settings").await;
    assert!(before.is_empty(), "the registration page hears settings only: {before:?}");
    // The next request, on either instance, sees the change.
    let page: RegistrationPage = json_of(second.post(&second.client(), "registration_page", &[("code", code.as_str())]).await).await;
    assert!(matches!(page, RegistrationPage::Open { ref greeting, .. } if greeting == "Hello <b>there</b>"), "{page:?}");

    assert_eq!(first.post(&admin, "set_everyone_can_invite", &[("slug", "acme"), ("allowed", "on")]).await.status(), 200);
    wait_for(&mut portal_events, "settings").await;
    // A regenerated link's page stream can no longer be opened.
    assert_eq!(first.post(&admin, "regenerate_registration_link", &[("slug", "acme")]).await.status(), 200);
    wait_for(&mut page_events, "settings").await;
    let stale = second.client().get(format!("{}/join/{code}/live", second.base)).send().await.unwrap();
    assert_eq!(stale.status(), 404);
}

/// The bell: "<name> asks to join" reaches every administrator, those who log in by phone
/// too, offers the decision until one of them decides, and is then settled for all.
#[sqlx::test]
async fn join_requests_reach_every_admin_as_notices(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "+14155550177", ("Pat", "Phone"), "active", "admin").await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin_caller = caller(&pool, ann, "acme").await;
    service::save_settings(&pool, &admin_caller, &settings(true, "moderated", ""), Utc::now()).await.unwrap();
    let token = request(&pool, &code(&pool).await, "kim@else.test", "10.0.0.1").await.unwrap();
    confirm(&pool, &token, Utc::now()).await.unwrap();
    let kim: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'kim@else.test'").fetch_one(&pool).await.unwrap();

    let app = spawn_app(pool.clone()).await;
    let (ann_c, pat_c, bo_c) =
        (app.logged_in("ann@acme.test").await, app.logged_in("+14155550177").await, app.logged_in("bo@acme.test").await);
    let bell = |client: reqwest::Client| {
        let app = &app;
        async move { json_of::<intranet::notices::Notices>(app.post(&client, "notices", &[("slug", "acme")]).await).await }
    };
    for client in [ann_c.clone(), pat_c.clone()] {
        let notices = bell(client).await;
        assert_eq!(notices.unread, 1);
        assert_eq!(notices.items[0].text, "Reg Istrant asks to join");
        assert!(notices.items[0].awaits_decision);
        assert_eq!(notices.items[0].subject_id, Some(kim));
    }
    assert_eq!(bell(bo_c.clone()).await.items.len(), 0, "employees are not asked");

    // Pat marks it read: only Pat's copy.
    let pat_notice = bell(pat_c.clone()).await.items[0].id.to_string();
    assert_eq!(app.post(&bo_c, "mark_notices_read", &[("slug", "acme"), ("notice_id", &pat_notice)]).await.status(), 200);
    assert_eq!(bell(pat_c.clone()).await.unread, 1, "nobody marks another person's notice");
    assert_eq!(app.post(&pat_c, "mark_notices_read", &[("slug", "acme"), ("notice_id", &pat_notice)]).await.status(), 200);
    assert_eq!(bell(pat_c.clone()).await.unread, 0);
    assert_eq!(bell(ann_c.clone()).await.unread, 1);

    // Pat approves from the notice: settled for Ann too.
    let kim_s = kim.to_string();
    let approve = [("slug", "acme"), ("account_id", kim_s.as_str()), ("decision", "approve")];
    assert_eq!(app.post(&pat_c, "decide_registration", &approve).await.status(), 200);
    let notices = bell(ann_c.clone()).await;
    assert_eq!((notices.unread, notices.items[0].awaits_decision), (0, false));
}
