//! The portal profile and its editor over HTTP: who may read and edit what, the contact
//! email rule, who sees the login, and the login following the Network profile.

use chrono::Utc;
use intranet::profile::ProfileEditor;
use sqlx::PgPool;

use crate::app::*;

struct People {
    app: TestApp,
    ann: i64,
    bo: i64,
}

/// Portal acme: Ann (admin), Bo and Cy (employees). Portal other: Zed (admin).
async fn portal(pool: &PgPool) -> People {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(pool, &passwords, "other", "zed@other.test", now).await;
    let bo = add_member(pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    add_member(pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    sqlx::query("UPDATE memberships SET contact_email = 'cy.contact@acme.test' WHERE account_id = (SELECT id FROM accounts WHERE login = 'cy@acme.test')")
        .execute(pool)
        .await
        .unwrap();
    People { app: spawn_app(pool.clone()).await, ann, bo }
}

fn save_form<'a>(account: &'a str, position: &'a str, contact: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("slug", "acme"), ("account_id", account), ("position", position), ("phone", ""), ("contact_email", contact)]
}

async fn position_of(pool: &PgPool, account: i64) -> String {
    sqlx::query_scalar("SELECT position FROM memberships WHERE portal_id = 1 AND account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn read_and_edit_permissions_follow_owner_admin_and_portal(pool: PgPool) {
    let People { app, bo, .. } = portal(&pool).await;
    let bo_id = bo.to_string();
    let who = [
        ("owner", Some("bo@acme.test")),
        ("other employee", Some("cy@acme.test")),
        ("admin", Some("ann@acme.test")),
        ("admin of another portal", Some("zed@other.test")),
        ("anonymous", None),
    ];
    // (read the profile, open the editor, save the editor)
    let expected: [(u16, u16, u16); 5] = [(200, 200, 200), (200, 403, 403), (200, 200, 200), (404, 404, 404), (401, 401, 401)];
    for ((label, login), (read, open, save)) in who.into_iter().zip(expected) {
        let client = match login {
            Some(login) => app.logged_in(login).await,
            None => app.client(),
        };
        let status = app.post(&client, "person", &[("slug", "acme"), ("account_id", &bo_id)]).await.status().as_u16();
        assert_eq!(status, read, "{label} reads Bo's profile");
        let status = app.post(&client, "profile_editor", &[("slug", "acme"), ("account_id", &bo_id)]).await.status().as_u16();
        assert_eq!(status, open, "{label} opens Bo's editor");
        let position = format!("Set by {label}");
        let status = app.post(&client, "profile_save", &save_form(&bo_id, &position, "bo@acme.test")).await.status().as_u16();
        assert_eq!(status, save, "{label} saves Bo's editor");
        let stored = position_of(&pool, bo).await;
        assert_eq!(stored == position, save == 200, "{label}: position is now {stored:?}");
    }
}

#[sqlx::test]
async fn names_are_the_owners_and_departments_the_admins(pool: PgPool) {
    let People { app, ann, bo } = portal(&pool).await;
    let bo_id = bo.to_string();
    let admin = app.logged_in("ann@acme.test").await;
    let mut form = save_form(&bo_id, "Driver", "bo@acme.test");
    form.extend([("first_name", "Hacked"), ("last_name", "Name")]);
    assert_eq!(app.post(&admin, "profile_save", &form).await.status(), 403, "an admin cannot rename someone");

    let owner = app.logged_in("bo@acme.test").await;
    let top: String =
        sqlx::query_scalar("SELECT id::text FROM departments WHERE portal_id = 1 AND parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let mut form = save_form(&bo_id, "Driver", "bo@acme.test");
    form.push(("department_id", &top));
    assert_eq!(app.post(&owner, "profile_save", &form).await.status(), 403, "an employee cannot pick a department");

    let mut form = save_form(&bo_id, "  Night   driver ", "");
    form.extend([("first_name", "  Bob "), ("last_name", " Berger")]);
    assert_eq!(app.post(&owner, "profile_save", &form).await.status(), 200);
    let (first, last, position, contact): (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT a.first_name, a.last_name, m.position, m.contact_email FROM accounts a JOIN memberships m ON m.account_id = a.id WHERE a.id = $1",
    )
    .bind(bo)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((first.as_str(), last.as_str(), position.as_str(), contact), ("Bob", "Berger", "Night   driver", None));

    let too_long = "x".repeat(51);
    let mut form = save_form(&bo_id, "Driver", "");
    form.extend([("first_name", too_long.as_str()), ("last_name", "Berger")]);
    let (status, error) = error_of(app.post(&owner, "profile_save", &form).await).await;
    assert_eq!(status, 422);
    assert!(error.for_field("first_name").is_some(), "{error:?}");

    // An admin's edit of someone else is audit-logged with the fields changed.
    let form = save_form(&bo_id, "Lead driver", "bo.work@acme.test");
    assert_eq!(app.post(&admin, "profile_save", &form).await.status(), 200);
    let (action, detail): (String, String) =
        sqlx::query_as("SELECT action, detail FROM audit_log WHERE actor_id = $1 AND subject_id = $2 ORDER BY id DESC LIMIT 1")
            .bind(ann)
            .bind(bo)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((action.as_str(), detail.as_str()), ("edited profile", "position, contact email"));
}

#[sqlx::test]
async fn a_contact_email_that_is_someones_login_or_contact_email_is_refused(pool: PgPool) {
    let People { app, bo, .. } = portal(&pool).await;
    let bo_id = bo.to_string();
    let owner = app.logged_in("bo@acme.test").await;
    for taken in ["ann@acme.test", "ANN@acme.test", "cy.contact@acme.test", " Cy.Contact@ACME.test "] {
        let (status, error) = error_of(app.post(&owner, "profile_save", &save_form(&bo_id, "", taken)).await).await;
        assert_eq!(status, 422, "{taken}");
        assert_eq!(error.for_field("contact_email").as_deref(), Some("A user with this email already exists"), "{taken}");
    }
    let (_, error) = error_of(app.post(&owner, "profile_save", &save_form(&bo_id, "", "not an email")).await).await;
    assert!(error.for_field("contact_email").is_some_and(|m| m.contains("valid email")), "{error:?}");
    let contact: Option<String> =
        sqlx::query_scalar("SELECT contact_email FROM memberships WHERE account_id = $1").bind(bo).fetch_one(&pool).await.unwrap();
    assert_eq!(contact.as_deref(), Some("bo@acme.test"), "nothing was written by the refused saves");

    // Someone's login in another portal is free here; so is Bo's own login.
    for free in ["zed@other.test", "bo@acme.test"] {
        assert_eq!(app.post(&owner, "profile_save", &save_form(&bo_id, "", free)).await.status(), 200, "{free}");
    }
}

#[sqlx::test]
async fn the_contact_email_rule_holds_under_a_race(pool: PgPool) {
    let People { app, .. } = portal(&pool).await;
    let bo = app.logged_in("bo@acme.test").await;
    let cy = app.logged_in("cy@acme.test").await;
    let bo_id: String = sqlx::query_scalar("SELECT id::text FROM accounts WHERE login = 'bo@acme.test'").fetch_one(&pool).await.unwrap();
    let cy_id: String = sqlx::query_scalar("SELECT id::text FROM accounts WHERE login = 'cy@acme.test'").fetch_one(&pool).await.unwrap();
    for round in 0..10 {
        let address = format!("shared{round}@acme.test");
        let bo_form = save_form(&bo_id, "", &address);
        let cy_form = save_form(&cy_id, "", &address);
        let (a, b) = tokio::join!(app.post(&bo, "profile_save", &bo_form), app.post(&cy, "profile_save", &cy_form));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 422], "round {round}: exactly one gets the address");
        let holders: i64 =
            sqlx::query_scalar("SELECT count(*) FROM memberships WHERE contact_email = $1").bind(&address).fetch_one(&pool).await.unwrap();
        assert_eq!(holders, 1);
    }
}

#[sqlx::test]
async fn the_login_shows_only_to_the_owner_and_admins_and_follows_a_login_change(pool: PgPool) {
    let People { app, bo, .. } = portal(&pool).await;
    let bo_id = bo.to_string();
    let owner = app.logged_in("bo@acme.test").await;
    assert_eq!(app.post(&owner, "profile_save", &save_form(&bo_id, "", "bo.contact@acme.test")).await.status(), 200);

    let admin = app.logged_in("ann@acme.test").await;
    let editor: ProfileEditor = json_of(app.post(&admin, "profile_editor", &[("slug", "acme"), ("account_id", &bo_id)]).await).await;
    assert_eq!((editor.login.as_str(), editor.is_me, editor.viewer_is_admin), ("bo@acme.test", false, true));
    assert!(!editor.can_edit_name());
    let own: ProfileEditor = json_of(app.post(&owner, "profile_editor", &[("slug", "acme"), ("account_id", &bo_id)]).await).await;
    assert_eq!((own.login.as_str(), own.is_me), ("bo@acme.test", true));

    // A colleague's view of Bo carries neither his login nor his mailbox address.
    let colleague = app.logged_in("cy@acme.test").await;
    let body = app.post(&colleague, "person", &[("slug", "acme"), ("account_id", &bo_id)]).await.text().await.unwrap();
    assert!(body.contains("bo.contact@acme.test") && !body.contains("bo@acme.test"), "{body}");
    // Nor does the server-rendered page.
    let page = colleague.get(format!("{}/p/acme/people/{bo}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("bo.contact@acme.test") && !page.contains("bo@acme.test"));

    // Bo changes his login in the Network profile: every portal profile shows the new one.
    let response = app.post(&owner, "change_login", &[("current_password", PASSWORD), ("new_login", "bo@new.test")]).await;
    assert!(response.status().is_success(), "{}", response.status());
    let token = token_from_outbox(&pool, "bo@new.test", "/network/confirm-login").await;
    assert!(app.post(&app.client(), "confirm_login", &[("token", &token)]).await.status().is_success());
    let editor: ProfileEditor = json_of(app.post(&admin, "profile_editor", &[("slug", "acme"), ("account_id", &bo_id)]).await).await;
    assert_eq!(editor.login, "bo@new.test");
}

#[sqlx::test]
async fn profile_text_is_shown_as_text(pool: PgPool) {
    let People { app, bo, .. } = portal(&pool).await;
    let owner = app.logged_in("bo@acme.test").await;
    let bo_id = bo.to_string();
    let status = app.post(&owner, "profile_save", &save_form(&bo_id, "<script>alert(1)</script>", "")).await.status();
    assert_eq!(status, 200);
    let page = owner.get(format!("{}/p/acme/people/{bo}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>alert(1)"), "escaped on the page");
}
