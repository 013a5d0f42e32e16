//! Invitations by e-mail: the request, its outbox messages and links, acceptance (new
//! and existing accounts, and a race), resend, cancel, expiry, plan gating and caps.

use chrono::{Duration, Utc};
use intranet::error::AppError;
use intranet::invitations::service::{self, InviteRequest, NewPerson};
use intranet::invitations::{InvitationState, InviteReport, InvitedPage, InvitedShow, RegistrationCompletion};
use sqlx::PgPool;

use crate::app::*;

struct Acme {
    ann: i64,
    sales: i64,
    hiking: i64,
}

async fn acme(pool: &PgPool) -> Acme {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(pool, &passwords, "acme", "ann@acme.test", now).await;
    let admin = caller(pool, ann, "acme").await;
    let top: i64 =
        sqlx::query_scalar("SELECT id FROM departments WHERE parent_id IS NULL AND portal_id = 1").fetch_one(pool).await.unwrap();
    let sales = intranet::structure::service::add(pool, &admin, "Sales", top, now).await.unwrap();
    let hiking = intranet::workgroups::service::create(pool, &admin, "Hiking", "", now).await.unwrap();
    Acme { ann, sales, hiking }
}

fn person(first: &str) -> NewPerson {
    NewPerson { first_name: first.into(), last_name: "Invitee".into(), password: "blue-lantern-77".into() }
}

/// Runs an operator command of the server binary against the test's database.
fn operator(pool: &PgPool, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_intranet"))
        .args(args)
        .env("DATABASE_URL", database_url_of(pool))
        .output()
        .expect("the intranet binary runs")
}

fn local() -> intranet::server::config::Config {
    config("http://127.0.0.1:9")
}

#[sqlx::test]
async fn an_email_invitation_goes_out_and_is_accepted_end_to_end(pool: PgPool) {
    let Acme { sales, hiking, .. } = acme(&pool).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let app = spawn_app(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;
    let (sales, hiking) = (sales.to_string(), hiking.to_string());
    let form = [
        ("slug", "acme"),
        ("addresses", "dee@new.test, eve@new.test\nnot-an-address\nBO@acme.test\ndee@new.test"),
        ("department_id", sales.as_str()),
        ("workgroup_ids[0]", hiking.as_str()),
    ];
    let report: InviteReport = json_of(app.post(&admin, "invite_by_email", &form).await).await;
    assert_eq!(report.invited, ["dee@new.test", "eve@new.test"]);
    assert!(report.resent.is_empty());
    let refused: Vec<(&str, &str)> = report.refused.iter().map(|(a, w)| (a.as_str(), w.as_str())).collect();
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[0].0, "not-an-address");
    assert_eq!(refused[1], ("bo@acme.test", "A user with this email already exists"));

    let rows = json_of::<intranet::invitations::InvitedPage>(app.post(&admin, "invitations", &[("slug", "acme"), ("show", "all")]).await)
        .await
        .rows;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.department == "Sales" && r.invited_by == "Ann Lee" && r.delivery == "queued" && r.can_manage));

    let token = token_from_outbox(&pool, "dee@new.test", "/invite").await;
    assert!(token.len() >= 43, "at least 256 bits");
    let invitee = app.client();
    let page: intranet::invitations::InvitationPage = json_of(app.post(&invitee, "invitation", &[("token", &token)]).await).await;
    assert_eq!((page.state, page.inviter.as_str(), page.portal_name.as_str()), (InvitationState::NewAccount, "Ann Lee", "acme Ltd"));
    let short = app
        .post(&invitee, "accept_invitation", &[("token", &token), ("first_name", "Dee"), ("last_name", "Dunn"), ("password", "short")])
        .await;
    assert!(error_of(short).await.1.for_field("password").is_some());
    let response = app
        .post(
            &invitee,
            "accept_invitation",
            &[("token", &token), ("first_name", " Dee "), ("last_name", "Dunn"), ("password", "blue-lantern-77")],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());

    // The new person is in, logged in, where the invitation put them.
    let (status, contact, department, groups): (String, Option<String>, String, i64) = sqlx::query_as(
        "SELECT m.status::text, m.contact_email, d.name, (SELECT count(*) FROM workgroup_members w WHERE w.account_id = a.id)
         FROM accounts a JOIN memberships m ON m.account_id = a.id JOIN departments d ON d.id = m.department_id
         WHERE a.login = 'dee@new.test' AND a.first_name = 'Dee'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), contact.as_deref(), department.as_str(), groups), ("active", Some("dee@new.test"), "Sales", 1));
    assert_eq!(app.post(&invitee, "employees", &[("slug", "acme"), ("filter", "employees"), ("search", "dee")]).await.status(), 200);
    let notices: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM stream_posts WHERE body = 'Dee Dunn joined the portal') + (SELECT count(*) FROM chat_messages WHERE body = 'Dee Dunn joined the portal')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(notices, 2);
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE recipient = 'ann@acme.test' AND subject = 'Dee Dunn accepted your invitation'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(told, 1, "the inviter is told");

    // The link is used up; the list says accepted.
    let again = app
        .post(
            &app.client(),
            "accept_invitation",
            &[("token", &token), ("first_name", "X"), ("last_name", "Y"), ("password", "blue-lantern-77")],
        )
        .await;
    assert_eq!(again.status(), 410);
    let rows = json_of::<intranet::invitations::InvitedPage>(app.post(&admin, "invitations", &[("slug", "acme"), ("show", "all")]).await)
        .await
        .rows;
    assert_eq!(rows.iter().find(|r| r.target == "dee@new.test").map(|r| (r.delivery.as_str(), r.can_manage)), Some(("accepted", false)));
}

#[sqlx::test]
async fn fifty_people_racing_for_one_invitation_make_one_account(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let config = local();
    let request = InviteRequest { addresses: "race@new.test".into(), ..InviteRequest::default() };
    service::invite_by_email(&pool, &config, &admin, &request, Utc::now()).await.unwrap();
    let token = token_from_outbox(&pool, "race@new.test", "/invite").await;
    let passwords = passwords();
    let attempts = (0..50).map(|i| {
        let (pool, passwords, config, token) = (pool.clone(), passwords.clone(), config.clone(), token.clone());
        tokio::spawn(async move { service::accept_new(&pool, &passwords, &config, &token, &person(&format!("P{i}")), Utc::now()).await })
    });
    let results = futures::future::join_all(attempts).await;
    let wins = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results.iter().all(|r| matches!(r, Ok(Ok(_)) | Ok(Err(AppError::LinkExpired)) | Ok(Err(AppError::Conflict(_))))));
    let members: i64 =
        sqlx::query_scalar("SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login = 'race@new.test'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(members, 1);
}

#[sqlx::test]
async fn resend_keeps_the_first_link_and_cancel_kills_every_link(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let config = local();
    let passwords = passwords();
    let now = Utc::now();
    let request = InviteRequest { addresses: "fay@new.test, gus@new.test".into(), ..InviteRequest::default() };
    service::invite_by_email(&pool, &config, &admin, &request, now).await.unwrap();
    let first = token_from_outbox(&pool, "fay@new.test", "/invite").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM invitations WHERE target = 'fay@new.test'").fetch_one(&pool).await.unwrap();
    service::resend(&pool, &config, &admin, id, now).await.unwrap();
    // Inviting the same address again resends too, never a second invitation.
    let report = service::invite_by_email(
        &pool,
        &config,
        &admin,
        &InviteRequest { addresses: "FAY@new.test".into(), ..InviteRequest::default() },
        now,
    )
    .await
    .unwrap();
    assert_eq!(report.resent, ["fay@new.test"]);
    let invitations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM invitations WHERE target = 'fay@new.test'").fetch_one(&pool).await.unwrap();
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient = 'fay@new.test'").fetch_one(&pool).await.unwrap();
    assert_eq!((invitations, messages), (1, 3));
    let latest = token_from_outbox(&pool, "fay@new.test", "/invite").await;
    assert_ne!(first, latest);
    for token in [&first, &latest] {
        assert_eq!(service::page(&pool, token, None, now).await.unwrap().state, InvitationState::NewAccount);
    }
    service::accept_new(&pool, &passwords, &config, &first, &person("Fay"), now).await.unwrap();
    assert!(matches!(service::accept_new(&pool, &passwords, &config, &latest, &person("Fay"), now).await, Err(AppError::LinkExpired)));

    let gus = token_from_outbox(&pool, "gus@new.test", "/invite").await;
    let gus_id: i64 = sqlx::query_scalar("SELECT id FROM invitations WHERE target = 'gus@new.test'").fetch_one(&pool).await.unwrap();
    service::cancel(&pool, &admin, gus_id, now).await.unwrap();
    assert!(service::page(&pool, &gus, None, now).await.is_err(), "a cancelled link shows as expired or used");
    assert!(matches!(service::accept_new(&pool, &passwords, &config, &gus, &person("Gus"), now).await, Err(AppError::LinkExpired)));
    assert!(matches!(service::cancel(&pool, &admin, gus_id, now).await, Err(AppError::Conflict(_))));
}

#[sqlx::test]
async fn an_expired_link_says_so_and_can_ask_for_a_new_one(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let config = local();
    let long_ago = Utc::now() - Duration::days(31);
    service::invite_by_email(
        &pool,
        &config,
        &admin,
        &InviteRequest { addresses: "old@new.test".into(), ..InviteRequest::default() },
        long_ago,
    )
    .await
    .unwrap();
    let token = token_from_outbox(&pool, "old@new.test", "/invite").await;
    let now = Utc::now();
    assert_eq!(service::page(&pool, &token, None, now).await.unwrap().state, InvitationState::Expired);
    assert!(matches!(service::accept_new(&pool, &passwords(), &config, &token, &person("Old"), now).await, Err(AppError::LinkExpired)));
    service::ask_for_new(&pool, &config, &token, now).await.unwrap();
    service::ask_for_new(&pool, &config, &token, now).await.unwrap();
    let asks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE recipient = 'ann@acme.test' AND subject = 'old@new.test asks for a new invitation'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(asks, 1, "the inviter is told once a day at most");
    let rows = service::list(&pool, &config, &admin, InvitedShow::Waiting, "", 1, now).await.unwrap().rows;
    assert_eq!(rows[0].delivery, "expired");
}

#[sqlx::test]
async fn an_existing_account_logs_in_and_joins(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    portal_with_admin(&pool, &passwords(), "other", "zed@other.test", Utc::now()).await;
    let admin = caller(&pool, ann, "acme").await;
    service::invite_by_email(
        &pool,
        &local(),
        &admin,
        &InviteRequest { addresses: "zed@other.test".into(), ..InviteRequest::default() },
        Utc::now(),
    )
    .await
    .unwrap();
    let token = token_from_outbox(&pool, "zed@other.test", "/invite").await;
    let app = spawn_app(pool.clone()).await;
    let page: intranet::invitations::InvitationPage = json_of(app.post(&app.client(), "invitation", &[("token", &token)]).await).await;
    assert_eq!(page.state, InvitationState::LogInFirst);
    // Someone else's session cannot use the link.
    let ann_client = app.logged_in("ann@acme.test").await;
    assert_eq!(app.post(&ann_client, "join_portal", &[("token", &token)]).await.status(), 403);
    let zed = app.logged_in("zed@other.test").await;
    let response = app.post(&zed, "join_portal", &[("token", &token)]).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    let portals: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login = 'zed@other.test' AND m.status = 'active'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(portals, 2);
}

#[sqlx::test]
async fn the_invitation_text_follows_the_plan_on_the_server(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let config = local();
    let custom =
        InviteRequest { addresses: "hal@new.test".into(), message: Some("Come build rockets with us".into()), ..InviteRequest::default() };
    let error = service::invite_by_email(&pool, &config, &admin, &custom, Utc::now()).await.unwrap_err();
    assert!(error.for_field("message").is_some_and(|m| m.contains("Free")), "{error:?}");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM invitations").fetch_one(&pool).await.unwrap(), 0);
    // No server function changes plans any more: the operator's command does.
    let app = spawn_app(pool.clone()).await;
    let admin_client = app.logged_in("ann@acme.test").await;
    let gone = app.post(&admin_client, "change_plan", &[("slug", "acme"), ("plan", "standard")]).await;
    assert_eq!(gone.status(), 404, "the self-service plan change is gone");
    let refused = operator(&pool, &["portal", "set-plan", "acme", "platinum"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown plan"), "{refused:?}");
    let done = operator(&pool, &["portal", "set-plan", "http://intranet.test/p/acme", "standard"]);
    assert!(done.status.success(), "{done:?}");
    assert!(String::from_utf8_lossy(&done.stdout).contains("plan changed from Free to Standard"), "{done:?}");
    let detail: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'changed plan'").fetch_one(&pool).await.unwrap();
    assert_eq!(detail, "Free to Standard (by the server operator)");
    service::invite_by_email(&pool, &config, &admin, &custom, Utc::now()).await.unwrap();
    let body: String = sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = 'hal@new.test'").fetch_one(&pool).await.unwrap();
    assert!(body.contains("Come build rockets with us"));
}

#[sqlx::test]
async fn caps_and_a_big_request_with_bad_rows(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let mut config = local();
    config.invites_per_day_free = 300;
    // 256 rows, 3 of them bad: 253 invitations, messages and audit entries.
    let mut rows: Vec<String> = (0..253).map(|i| format!("person{i}@big.test")).collect();
    rows.extend(["nope".to_string(), "ann@acme.test".to_string(), "a@b".to_string()]);
    let report = service::invite_by_email(
        &pool,
        &config,
        &admin,
        &InviteRequest { addresses: rows.join("\n"), ..InviteRequest::default() },
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!((report.invited.len(), report.refused.len()), (253, 3));
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM invitations), (SELECT count(*) FROM outbox WHERE recipient LIKE '%@big.test'), (SELECT count(*) FROM audit_log WHERE action = 'invited')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (253, 253, 253));

    // 257 rows is over the per-request cap; 48 more is over the day's 300.
    let too_many: Vec<String> = (0..257).map(|i| format!("x{i}@big.test")).collect();
    let error = service::invite_by_email(
        &pool,
        &config,
        &admin,
        &InviteRequest { addresses: too_many.join(","), ..InviteRequest::default() },
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert!(error.for_field("addresses").is_some_and(|m| m.contains("At most 256")), "{error:?}");
    let over: Vec<String> = (0..48).map(|i| format!("y{i}@big.test")).collect();
    let error = service::invite_by_email(
        &pool,
        &config,
        &admin,
        &InviteRequest { addresses: over.join(","), ..InviteRequest::default() },
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert!(error.for_field("addresses").is_some_and(|m| m.contains("47 are left today")), "{error:?}");
}

#[sqlx::test]
async fn only_admins_invite_and_other_portals_reach_nothing(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    portal_with_admin(&pool, &passwords(), "other", "zed@other.test", Utc::now()).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin = caller(&pool, ann, "acme").await;
    service::invite_by_email(
        &pool,
        &local(),
        &admin,
        &InviteRequest { addresses: "kim@new.test".into(), ..InviteRequest::default() },
        Utc::now(),
    )
    .await
    .unwrap();
    let id: String = sqlx::query_scalar("SELECT id::text FROM invitations").fetch_one(&pool).await.unwrap();
    let app = spawn_app(pool.clone()).await;
    let employee = app.logged_in("bo@acme.test").await;
    let status = app.post(&employee, "invite_by_email", &[("slug", "acme"), ("addresses", "x@new.test")]).await.status();
    assert_eq!(status, 403);
    assert_eq!(app.post(&employee, "invite_dialog", &[("slug", "acme")]).await.status(), 403);
    let rows =
        json_of::<intranet::invitations::InvitedPage>(app.post(&employee, "invitations", &[("slug", "acme"), ("show", "all")]).await)
            .await
            .rows;
    assert!(rows.is_empty(), "employees see only invitations they sent");
    assert_eq!(app.post(&employee, "cancel_invitation", &[("slug", "acme"), ("invitation_id", &id)]).await.status(), 403);

    let outsider = app.logged_in("zed@other.test").await;
    for (endpoint, slug) in
        [("resend_invitation", "acme"), ("cancel_invitation", "acme"), ("resend_invitation", "other"), ("cancel_invitation", "other")]
    {
        let status = app.post(&outsider, endpoint, &[("slug", slug), ("invitation_id", &id)]).await.status();
        assert_eq!(status, 404, "{endpoint} on {slug}");
    }
    let status: String = sqlx::query_scalar("SELECT status::text FROM invitations").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "pending");
}

#[sqlx::test]
async fn register_adds_an_employee_with_or_without_confirmation(pool: PgPool) {
    let Acme { sales, .. } = acme(&pool).await;
    let app = spawn_app(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;
    let sales = sales.to_string();
    let form = |email: &'static str, without: bool| {
        let mut form = vec![
            ("slug", "acme".to_string()),
            ("email", email.to_string()),
            ("first_name", "Ivy".to_string()),
            ("last_name", "Stone".to_string()),
            ("position", "Buyer".to_string()),
            ("department_id", sales.clone()),
        ];
        if without {
            form.push(("without_confirmation", "on".to_string()));
        }
        form
    };
    let post = |form: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, &admin);
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post(admin, "register_user", &form).await
        }
    };

    // Without confirmation: active at once, the password arrives by email and works.
    assert_eq!(post(form("ivy@new.test", true)).await.status(), 200);
    let body: String = sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = 'ivy@new.test'").fetch_one(&pool).await.unwrap();
    let password = body.lines().find_map(|l| l.strip_prefix("Password: ")).unwrap().to_string();
    let ivy = app.client();
    let response = app.post(&ivy, "login", &[("login", "ivy@new.test"), ("password", &password)]).await;
    assert!(response.status().is_redirection() || response.status().is_success(), "{}", response.status());
    // The mailed password is for the first log-in only: the network profile comes first,
    // and no portal function answers until a new password is chosen.
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(location, "/network/profile");
    for function in ["structure", "portal_home"] {
        let (status, error) = error_of(app.post(&ivy, function, &[("slug", "acme")]).await).await;
        assert_eq!((status, error.code()), (403, "password_change_required"), "{function}");
    }
    let same = app.post(&ivy, "change_password", &[("current_password", &password), ("new_password", &password)]).await;
    assert_eq!(same.status(), 422, "the mailed password cannot be kept");
    let changed = app.post(&ivy, "change_password", &[("current_password", &password), ("new_password", "ivy-own-pass-42")]).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.post(&ivy, "structure", &[("slug", "acme")]).await.status(), 200);
    let (status, department, position, contact): (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT m.status::text, d.name, m.position, m.contact_email FROM memberships m JOIN departments d ON d.id = m.department_id
         JOIN accounts a ON a.id = m.account_id WHERE a.login = 'ivy@new.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), department.as_str(), position.as_str(), contact.as_deref()),
        ("active", "Sales", "Buyer", Some("ivy@new.test"))
    );
    let invited: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations").fetch_one(&pool).await.unwrap();
    assert_eq!(invited, 0, "registered people are employees, not invitations");

    // With confirmation: no password works until the person sets one through the link.
    assert_eq!(post(form("jon@new.test", false)).await.status(), 200);
    let refused = app.post(&app.client(), "login", &[("login", "jon@new.test"), ("password", "!unset")]).await;
    assert_eq!(refused.status(), 401);
    let token = token_from_outbox(&pool, "jon@new.test", "/complete-registration").await;
    // The reset page does not take this link, nor this page a reset link.
    assert_eq!(app.post(&app.client(), "reset_password", &[("token", &token), ("password", "green-meadow-19")]).await.status(), 410);
    let page: RegistrationCompletion = json_of(app.post(&app.client(), "registration_completion", &[("token", &token)]).await).await;
    assert_eq!(
        (page.first_name.as_str(), page.last_name.as_str(), page.position.as_str(), page.login.as_str(), page.portal_name.as_str()),
        ("Ivy", "Stone", "Buyer", "jon@new.test", "acme Ltd")
    );
    let jon = app.client();
    let (status, error) = error_of(app.post(&jon, "complete_registration", &[("token", &token), ("password", "short")]).await).await;
    assert!(status == 422 && error.for_field("password").is_some(), "{error:?}");
    let done = app.post(&jon, "complete_registration", &[("token", &token), ("password", "green-meadow-19")]).await;
    assert_eq!(done.headers().get("location").and_then(|v| v.to_str().ok()), Some("/p/acme"), "logged in, into the portal");
    assert_eq!(app.post(&jon, "structure", &[("slug", "acme")]).await.status(), 200);
    let again = app.post(&app.client(), "complete_registration", &[("token", &token), ("password", "other-meadow-19")]).await;
    assert_eq!(again.status(), 410, "the link works once");
    let response = app.post(&app.client(), "login", &[("login", "jon@new.test"), ("password", "green-meadow-19")]).await;
    assert!(response.status().is_redirection() || response.status().is_success(), "{}", response.status());
    let subjects: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM outbox WHERE recipient = 'jon@new.test' ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(subjects, ["Complete your registration at acme Ltd"], "no 'your password was changed' after a first password");

    // Someone already in the portal, or with a network account, is refused beside the field.
    let (status, error) = error_of(post(form("ivy@new.test", true)).await).await;
    assert_eq!((status, error.for_field("email").as_deref()), (422, Some("A user with this email already exists")));
    portal_with_admin(&pool, &passwords(), "other", "zed@other.test", Utc::now()).await;
    let (_, error) = error_of(post(form("zed@other.test", true)).await).await;
    assert!(error.for_field("email").is_some_and(|m| m.contains("Invite it by e-mail")), "{error:?}");
    // Employees cannot register people.
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let employee = app.logged_in("bo@acme.test").await;
    let status = app
        .post(&employee, "register_user", &[("slug", "acme"), ("email", "kit@new.test"), ("first_name", "K"), ("last_name", "T")])
        .await
        .status();
    assert_eq!(status, 403);
}

#[sqlx::test]
async fn the_invited_list_shows_who_is_still_waiting_pages_and_finds(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let (config, now) = (local(), Utc::now());
    let addresses: Vec<String> = (0..60).map(|i| format!("person{i:02}@new.test")).collect();
    let request = InviteRequest { addresses: addresses.join(", "), ..InviteRequest::default() };
    service::invite_by_email(&pool, &config, &admin, &request, now).await.unwrap();
    let token = token_from_outbox(&pool, "person07@new.test", "/invite").await;
    service::accept_new(&pool, &passwords(), &config, &token, &person("Pat"), now).await.unwrap();
    let cancelled: i64 =
        sqlx::query_scalar("SELECT id FROM invitations WHERE target = 'person08@new.test'").fetch_one(&pool).await.unwrap();
    service::cancel(&pool, &admin, cancelled, now).await.unwrap();

    let list = |show: InvitedShow, search: &'static str, page: i64| {
        let (pool, config, admin) = (pool.clone(), config.clone(), admin.clone());
        async move { service::list(&pool, &config, &admin, show, search, page, now).await.unwrap() }
    };
    let first = list(InvitedShow::Waiting, "", 1).await;
    assert_eq!((first.total, first.pages, first.rows.len()), (58, 2, 50), "accepted and cancelled ones have left the default view");
    assert_eq!(first.rows[0].target, "person59@new.test", "newest first");
    let second = list(InvitedShow::Waiting, "", 2).await;
    assert_eq!(second.rows.len(), 8);
    let targets = |page: InvitedPage| page.rows.into_iter().map(|r| (r.target, r.delivery)).collect::<Vec<_>>();
    assert_eq!(targets(list(InvitedShow::Accepted, "", 1).await), [("person07@new.test".to_string(), "accepted".to_string())]);
    assert_eq!(targets(list(InvitedShow::Cancelled, "", 1).await), [("person08@new.test".to_string(), "cancelled".to_string())]);
    assert_eq!(list(InvitedShow::All, "", 1).await.total, 60);
    let found = targets(list(InvitedShow::All, "PERSON0", 1).await);
    assert_eq!(found.len(), 10, "search ignores case: {found:?}");
    assert_eq!(list(InvitedShow::Waiting, "person07", 1).await.total, 0, "the accepted one is not waiting");
    assert_eq!(list(InvitedShow::All, "50%", 1).await.total, 0, "wildcards are taken literally");
    let too_long = service::list(&pool, &config, &admin, InvitedShow::All, &"x".repeat(101), 1, now).await;
    assert!(matches!(too_long, Err(AppError::Invalid { .. })));
    // The person is under Employees now.
    let active: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login = 'person07@new.test' AND m.status = 'active'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(active, 1);
}

#[sqlx::test]
async fn resend_after_a_downgrade_sends_the_standard_text(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let (config, now) = (local(), Utc::now());
    sqlx::query("UPDATE portals SET plan = 'standard'").execute(&pool).await.unwrap();
    let custom = "Come and see our new wiki, Fay!";
    let request = InviteRequest { addresses: "fay@new.test".into(), message: Some(custom.into()), ..InviteRequest::default() };
    service::invite_by_email(&pool, &config, &admin, &request, now).await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM invitations WHERE target = 'fay@new.test'").fetch_one(&pool).await.unwrap();
    assert_eq!(service::resend(&pool, &config, &admin, id, now).await.unwrap(), "Invitation sent again.");
    let bodies = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE recipient = 'fay@new.test' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    assert!(bodies(pool.clone()).await.iter().all(|b| b.contains(custom)), "the paid plan still allows the own text");

    sqlx::query("UPDATE portals SET plan = 'free'").execute(&pool).await.unwrap();
    let said = service::resend(&pool, &config, &admin, id, now).await.unwrap();
    assert_eq!(said, service::STANDARD_TEXT_INSTEAD);
    let last = bodies(pool.clone()).await.pop().unwrap_or_default();
    assert!(!last.contains(custom), "{last}");
    assert!(last.contains(&intranet::invitations::default_message("acme Ltd")), "{last}");
    let stored: String = sqlx::query_scalar("SELECT message FROM invitations WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
    assert_eq!(stored, intranet::invitations::default_message("acme Ltd"), "the link's page shows the text that was sent");
    assert_eq!(service::resend(&pool, &config, &admin, id, now).await.unwrap(), "Invitation sent again.", "said once");
}

#[sqlx::test]
async fn the_inviter_hears_in_the_bell_that_an_invitation_was_accepted(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let admin = caller(&pool, ann, "acme").await;
    let (config, now) = (local(), Utc::now());
    service::invite_by_email(&pool, &config, &admin, &InviteRequest { addresses: "dee@new.test".into(), ..Default::default() }, now)
        .await
        .unwrap();
    let token = token_from_outbox(&pool, "dee@new.test", "/invite").await;
    service::accept_new(&pool, &passwords(), &config, &token, &person("Dee"), now).await.unwrap();
    let notices = intranet::notices::server::list(&pool, admin.portal_id, ann, admin.zone, now).await.unwrap();
    assert_eq!(notices.unread, 1);
    assert_eq!(notices.items[0].text, "Dee Invitee accepted your invitation");
    assert_eq!(notices.items[0].kind, intranet::notices::NoticeKind::InvitationAccepted);
    assert!(!notices.items[0].awaits_decision);
    intranet::notices::server::mark_read(&pool, admin.portal_id, ann, None, now).await.unwrap();
    assert_eq!(intranet::notices::server::list(&pool, admin.portal_id, ann, admin.zone, now).await.unwrap().unread, 0);
}

/// An administrator who stops being one while a registration or a mailbox change is on its
/// way (a password being hashed, a mail server being checked) is refused when it would be
/// written: the role is read again under the portal's lock, not taken from the request's
/// start.
#[sqlx::test]
async fn an_administrator_demoted_mid_request_registers_and_disconnects_no_one(pool: PgPool) {
    let Acme { ann, sales, .. } = acme(&pool).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    // The portal keeps a confirmed administrator, so it may still send.
    let cy = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "admin").await;
    sqlx::query("UPDATE accounts SET email_confirmed_at = now() WHERE id = $1").bind(cy).execute(&pool).await.unwrap();
    let as_started = caller(&pool, ann, "acme").await;
    assert!(as_started.is_admin);
    sqlx::query("UPDATE memberships SET role = 'employee' WHERE account_id = $1").bind(ann).execute(&pool).await.unwrap();

    let form = service::Registration {
        email: "kit@new.test".into(),
        first_name: "Kit".into(),
        last_name: "Tan".into(),
        position: String::new(),
        department_id: Some(sales),
        without_confirmation: true,
    };
    let refused = service::register(&pool, &passwords(), &local(), &as_started, &form, Utc::now()).await;
    assert!(matches!(refused, Err(AppError::Forbidden)), "{refused:?}");
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE login = 'kit@new.test'").fetch_one(&pool).await.unwrap();
    assert_eq!(created, 0);

    let bos_mailbox = intranet::webmail::service::Owner { portal_id: as_started.portal_id, account_id: bo };
    let refused = intranet::webmail::service::disconnect(&pool, &as_started, bos_mailbox, Utc::now()).await;
    assert!(matches!(refused, Err(AppError::Forbidden)), "{refused:?}");
}

/// The portal lock that administrators' writes take does not hold up rows that only refer
/// to the portal. A self-registration being confirmed holds its address's lock and then
/// adds a membership; an administrator registering the same address holds the portal and
/// then wants the address. If the membership had to wait for the portal, the two would
/// wait for each other (Postgres ends one of them with a deadlock error).
#[sqlx::test]
async fn the_portal_lock_lets_rows_that_refer_to_the_portal_in(pool: PgPool) {
    let Acme { ann, .. } = acme(&pool).await;
    let portal_id = caller(&pool, ann, "acme").await.portal_id;
    let mut holder = pool.begin().await.unwrap();
    intranet::access::lock_portal(&mut holder, portal_id).await.unwrap();

    let mut other = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL lock_timeout = '2s'").execute(&mut *other).await.unwrap();
    let inserted =
        sqlx::query("INSERT INTO workgroups (portal_id, name, description, created_by, created_at) VALUES ($1, 'Walkers', '', $2, now())")
            .bind(portal_id)
            .bind(ann)
            .execute(&mut *other)
            .await;
    assert!(inserted.is_ok(), "waited for the portal lock: {inserted:?}");
    other.commit().await.unwrap();

    // Writers that take the lock still go one at a time.
    let mut second = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL lock_timeout = '200ms'").execute(&mut *second).await.unwrap();
    let locked = intranet::access::lock_portal(&mut second, portal_id).await;
    assert!(locked.is_err(), "a second writer took the portal lock while the first held it");
    drop(second);
    holder.commit().await.unwrap();
}
