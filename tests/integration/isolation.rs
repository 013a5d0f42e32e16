//! The authorization matrix, complete by construction: every server function the
//! binary registers, and the two live endpoints, has a row saying who may call it, and
//! the test fails when a function has no row (or a row names a function that is gone).
//! Each row is then tried over HTTP by everyone who must be refused: anonymous callers,
//! members of another portal (admins included), people dismissed from or awaiting
//! approval in the portal, people who must first change a mailed password, employees on
//! administrators' functions, and employees on another employee's owner-only data.

use std::collections::BTreeSet;

use chrono::Utc;
use sqlx::PgPool;

use crate::app::*;

/// Who may call a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: log-in, sign-up, the pages of links from e-mails (the link is the key).
    Public,
    /// Anyone logged in, in no particular portal (the network profile).
    SignedIn,
    /// Active members of the portal named by `slug`.
    Member,
    /// Active administrators of that portal.
    Admin,
}

use Access::*;

/// (endpoint, who may call it, form). In forms, `{d}`, `{p}`, `{q}`, `{g}` and `{i}` stand
/// for a department, an employee (Bo), another employee (Cy), a workgroup and an
/// invitation of portal "acme"; a `slug` of "acme" is added to member and admin calls.
pub type Row = (&'static str, Access, &'static [(&'static str, &'static str)]);

pub const MATRIX: &[Row] = &[
    // Log-in, sign-up, reset and the pages of e-mailed links.
    ("login", Public, &[("login", "nobody@nowhere.test"), ("password", "x")]),
    ("logout", Public, &[]),
    ("current_account", Public, &[]),
    ("sign_up", Public, &[("company_name", ""), ("slug", "")]),
    ("forgot_password", Public, &[("login", "nobody@nowhere.test")]),
    ("link_status", Public, &[("token", "x"), ("purpose", "password_reset")]),
    ("reset_password", Public, &[("token", "x"), ("password", "new-password-42")]),
    ("confirm_login", Public, &[("token", "x")]),
    ("confirm_email", Public, &[("token", "x")]),
    ("registration_completion", Public, &[("token", "x")]),
    // The second step of a log-in: without the first step's cookie it is "log in again".
    ("login_code", Public, &[("code", "123456")]),
    ("reset_password_with_code", Public, &[("login", "+14155550199"), ("code", "123456"), ("password", "green-meadow-19")]),
    ("complete_registration", Public, &[("token", "x"), ("password", "green-meadow-19")]),
    ("invitation", Public, &[("token", "x")]),
    ("accept_invitation", Public, &[("token", "x"), ("first_name", "A"), ("last_name", "B"), ("password", "new-password-42")]),
    ("ask_for_new_invitation", Public, &[("token", "x")]),
    ("registration_page", Public, &[("code", "x")]),
    ("register_by_link", Public, &[("code", "x"), ("email", "x@y.test"), ("first_name", "A"), ("last_name", "B"), ("password", "p")]),
    ("registration_confirmation", Public, &[("token", "x")]),
    ("confirm_registration", Public, &[("token", "x"), ("password", "p")]),
    // Served only with DEV_OUTBOX=1 and only to loopback clients (see login.rs).
    ("dev_outbox", Public, &[]),
    // The network profile.
    ("my_portals", SignedIn, &[]),
    ("network_profile", SignedIn, &[]),
    ("change_password", SignedIn, &[("current_password", "x"), ("new_password", "new-password-42")]),
    ("change_login", SignedIn, &[("current_password", "x"), ("new_login", "new@new.test")]),
    ("resend_email_confirmation", SignedIn, &[]),
    ("confirm_login_code", SignedIn, &[("code", "123456")]),
    ("remember_time_zone", SignedIn, &[("time_zone", "Europe/Berlin")]),
    ("join_portal", SignedIn, &[("token", "x")]),
    // Another account's session number ends nothing (see network.rs).
    ("end_session", SignedIn, &[("id", "1")]),
    ("end_other_sessions", SignedIn, &[]),
    // Two-factor log-in: each acts on the caller's own account only.
    ("begin_two_factor_setup", SignedIn, &[]),
    ("confirm_two_factor", SignedIn, &[("current_password", "x"), ("code", "123456")]),
    ("renew_recovery_codes", SignedIn, &[("code", "123456")]),
    ("turn_off_two_factor", SignedIn, &[("code", "123456")]),
    // Portal pages every member uses.
    ("portal_home", Member, &[]),
    ("employees", Member, &[("filter", "employees"), ("search", "")]),
    ("person", Member, &[("account_id", "{p}")]),
    ("structure", Member, &[]),
    ("department_members", Member, &[("department_id", "{d}")]),
    ("department_choices", Member, &[]),
    ("workgroups", Member, &[]),
    ("create_workgroup", Member, &[("name", "Intruders"), ("description", "")]),
    ("workgroup", Member, &[("workgroup_id", "{g}")]),
    ("workgroup_candidates", Member, &[("workgroup_id", "{g}"), ("search", "")]),
    ("add_workgroup_member", Member, &[("workgroup_id", "{g}"), ("account_id", "{q}")]),
    ("remove_workgroup_member", Member, &[("workgroup_id", "{g}"), ("account_id", "{p}")]),
    ("stream", Member, &[]),
    ("publish_post", Member, &[("text", "hello")]),
    ("chat", Member, &[]),
    ("send_message", Member, &[("text", "hello")]),
    ("profile_editor", Member, &[("account_id", "{p}")]),
    ("profile_save", Member, &[("account_id", "{p}"), ("position", "Hacked"), ("phone", ""), ("contact_email", "")]),
    ("mailbox", Member, &[]),
    (
        "mailbox_connect",
        Member,
        &[
            ("address", "x@y.test"),
            ("imap_host", "127.0.0.1"),
            ("imap_port", "1"),
            ("security", "tls"),
            ("username", "u"),
            ("password", "p"),
        ],
    ),
    ("mailbox_disconnect", Member, &[]),
    ("mailbox_inbox", Member, &[]),
    ("notices", Member, &[]),
    ("mark_notices_read", Member, &[]),
    // Administrators' work.
    ("person_action", Admin, &[("account_id", "{p}"), ("action", "dismiss")]),
    ("audit_log", Admin, &[]),
    ("mailbox_accounts", Admin, &[]),
    ("add_department", Admin, &[("name", "Intruders"), ("parent_id", "{d}")]),
    ("rename_department", Admin, &[("department_id", "{d}"), ("name", "Hacked")]),
    ("move_department", Admin, &[("department_id", "{d}"), ("parent_id", "{d}")]),
    ("delete_department", Admin, &[("department_id", "{d}"), ("move_people", "on")]),
    ("set_department_head", Admin, &[("department_id", "{d}"), ("head_id", "")]),
    ("move_person", Admin, &[("account_id", "{p}"), ("department_id", "{d}")]),
    ("invite_dialog", Admin, &[]),
    ("invite_by_email", Admin, &[("addresses", "new@new.test")]),
    ("invite_by_sms", Admin, &[("numbers", "+14155550100")]),
    // Members see the invitations they sent themselves (see the check below).
    ("invitations", Member, &[]),
    ("invitation_funnel", Member, &[("by", "week")]),
    ("resend_invitation", Admin, &[("invitation_id", "{i}")]),
    ("cancel_invitation", Admin, &[("invitation_id", "{i}")]),
    ("preview_bulk_invitations", Admin, &[("rows", "new@new.test, New, Person")]),
    ("send_bulk_invitations", Admin, &[("rows", "new@new.test, New, Person")]),
    ("register_user", Admin, &[("email", "new@new.test"), ("first_name", "N"), ("last_name", "N")]),
    ("registration_settings", Admin, &[]),
    (
        "save_registration_settings",
        Admin,
        &[("enabled", "on"), ("registration_type", "public"), ("trusted_domains", "evil.test"), ("greeting", "Hacked")],
    ),
    ("regenerate_registration_link", Admin, &[]),
    ("set_everyone_can_invite", Admin, &[("allowed", "on")]),
    ("check_registration_address", Admin, &[("email", "new@new.test")]),
    ("invite_links", Admin, &[]),
    ("create_invite_link", Admin, &[("name", "Intruders"), ("link_type", "public")]),
    ("revoke_invite_link", Admin, &[("id", "1")]),
    ("two_factor_rule", Admin, &[]),
    ("set_two_factor_rule", Admin, &[("required", "on")]),
    ("reset_two_factor", Admin, &[("account_id", "{q}")]),
    // Until "Allow everyone to invite" is on (see registration.rs).
    ("quick_registration", Admin, &[]),
    ("decide_registration", Admin, &[("account_id", "{p}"), ("decision", "deny")]),
];

/// Member functions on one person's own data: another employee is refused (`{q}` is Cy,
/// the caller is Bo).
const OWNER_ONLY: &[(&str, &[(&str, &str)])] = &[
    ("profile_editor", &[("account_id", "{q}")]),
    ("mailbox_disconnect", &[("account_id", "{q}")]),
    ("profile_save", &[("account_id", "{q}"), ("position", "Hacked"), ("phone", ""), ("contact_email", "")]),
];

/// Every server function the binary serves, from the server-function registry.
fn registered_functions() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.trim_start_matches("/api/").to_string()).collect()
}

#[test]
fn every_registered_server_function_has_a_row() {
    let registered = registered_functions();
    let rows: BTreeSet<String> = MATRIX.iter().map(|(name, ..)| name.to_string()).collect();
    assert_eq!(rows.len(), MATRIX.len(), "a function has two rows");
    let missing: Vec<&String> = registered.difference(&rows).collect();
    assert!(missing.is_empty(), "server functions without a row in the authorization matrix: {missing:?}");
    let stale: Vec<&String> = rows.difference(&registered).collect();
    assert!(stale.is_empty(), "rows for functions that no longer exist: {stale:?}");
}

struct Ids {
    department: String,
    person: String,
    other_person: String,
    workgroup: String,
    invitation: String,
}

fn form<'a>(slug: Option<&'a str>, args: &[(&'a str, &'a str)], ids: &'a Ids) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = slug.map(|s| vec![("slug", s)]).unwrap_or_default();
    for (name, value) in args {
        let value = match *value {
            "{d}" => ids.department.as_str(),
            "{p}" => ids.person.as_str(),
            "{q}" => ids.other_person.as_str(),
            "{g}" => ids.workgroup.as_str(),
            "{i}" => ids.invitation.as_str(),
            other => other,
        };
        form.push((name, value));
    }
    form
}

/// Everything about portal acme that a call could change.
async fn fingerprint(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws('|',
            (SELECT string_agg(name || ':' || coalesce(parent_id, 0) || ':' || coalesce(head_account_id, 0), ',' ORDER BY id) FROM departments WHERE portal_id = 1),
            (SELECT string_agg(account_id || ':' || status || ':' || role || ':' || department_id || ':' || position || ':' || coalesce(contact_email, ''), ',' ORDER BY account_id) FROM memberships WHERE portal_id = 1),
            (SELECT count(*) FROM mailboxes), (SELECT plan::text FROM portals WHERE id = 1),
            (SELECT string_agg(id || ':' || status || ':' || sent_at, ',' ORDER BY id) FROM invitations WHERE portal_id = 1),
            (SELECT count(*) FROM workgroups WHERE portal_id = 1), (SELECT count(*) FROM workgroup_members WHERE portal_id = 1),
            (SELECT count(*) FROM stream_posts WHERE portal_id = 1), (SELECT count(*) FROM chat_messages WHERE portal_id = 1),
            (SELECT concat_ws(':', quick_registration, registration_moderated, trusted_domains::text, registration_greeting,
                              registration_code, everyone_can_invite) FROM portals WHERE id = 1))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn status_and_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let code = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["code"].as_str().map(String::from)).unwrap_or_default();
    (status, code)
}

#[sqlx::test]
async fn every_caller_who_must_be_refused_is_refused(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(&pool, &passwords, "other", "zed@other.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let cy = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    // Dismissed from acme, or awaiting its approval, but active elsewhere (so they can log in).
    add_member(&pool, "acme", "dee@acme.test", ("Dee", "Dale"), "dismissed", "employee").await;
    add_member(&pool, "other", "dee@acme.test", ("Dee", "Dale"), "active", "employee").await;
    add_member(&pool, "acme", "eve@acme.test", ("Eve", "Eden"), "pending_approval", "employee").await;
    add_member(&pool, "other", "eve@acme.test", ("Eve", "Eden"), "active", "employee").await;
    // Registered with a mailed password, not yet changed.
    let fay = add_member(&pool, "acme", "fay@acme.test", ("Fay", "Fern"), "active", "employee").await;
    sqlx::query("UPDATE accounts SET must_change_password = true WHERE id = $1").bind(fay).execute(&pool).await.unwrap();

    let admin = caller(&pool, ann, "acme").await;
    let top: i64 =
        sqlx::query_scalar("SELECT id FROM departments WHERE portal_id = 1 AND parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let sales = intranet::structure::service::add(&pool, &admin, "Sales", top, now).await.unwrap();
    let group = intranet::workgroups::service::create(&pool, &admin, "Hiking", "", now).await.unwrap();
    intranet::workgroups::service::add_member(&pool, &admin, group, bo, now).await.unwrap();
    let invite = intranet::invitations::service::InviteRequest { addresses: "new@new.test".into(), ..Default::default() };
    intranet::invitations::service::invite_by_email(&pool, &config("http://127.0.0.1:9"), &admin, &invite, now).await.unwrap();
    let invitation: i64 = sqlx::query_scalar("SELECT id FROM invitations").fetch_one(&pool).await.unwrap();
    let ids = Ids {
        department: sales.to_string(),
        person: bo.to_string(),
        other_person: cy.to_string(),
        workgroup: group.to_string(),
        invitation: invitation.to_string(),
    };

    let app = spawn_app(pool.clone()).await;
    let anonymous = app.client();
    let outsider = app.logged_in("zed@other.test").await;
    let employee = app.logged_in("bo@acme.test").await;
    let dismissed = app.logged_in("dee@acme.test").await;
    let awaiting = app.logged_in("eve@acme.test").await;
    let must_change = app.logged_in("fay@acme.test").await;
    let before = fingerprint(&pool).await;

    for (endpoint, access, args) in MATRIX {
        let portal_call = matches!(access, Member | Admin);
        let acme = form(portal_call.then_some("acme"), args, &ids);
        let (status, code) = status_and_code(app.post(&anonymous, endpoint, &acme).await).await;
        match access {
            // Public functions never ask to log in, and never fail on the server.
            Public => assert!(code != "unauthorized" && status < 500, "anonymous {endpoint}: {status} {code}"),
            _ => assert_eq!((status, code.as_str()), (401, "unauthorized"), "anonymous {endpoint}"),
        }
        if !portal_call {
            continue;
        }
        // Another portal's admin, the dismissed and the waiting, naming portal acme: as if
        // it did not exist.
        for (who, client) in [("outsider", &outsider), ("dismissed", &dismissed), ("awaiting approval", &awaiting)] {
            let (status, code) = status_and_code(app.post(client, endpoint, &acme).await).await;
            assert_eq!((status, code.as_str()), (404, "not_found"), "{who} {endpoint} on acme");
        }
        // ...and the outsider naming their own portal with acme's ids reaches nothing of acme.
        let status = app.post(&outsider, endpoint, &form(Some("other"), args, &ids)).await.status().as_u16();
        assert!(matches!(status, 200 | 403 | 404 | 409 | 422), "outsider {endpoint} with acme ids: {status}");
        let (status, code) = status_and_code(app.post(&must_change, endpoint, &acme).await).await;
        assert_eq!((status, code.as_str()), (403, "password_change_required"), "mailed password {endpoint}");
        if *access == Admin {
            let (status, code) = status_and_code(app.post(&employee, endpoint, &acme).await).await;
            assert_eq!((status, code.as_str()), (403, "forbidden"), "employee {endpoint}");
        }
    }
    for (endpoint, args) in OWNER_ONLY {
        let (status, code) = status_and_code(app.post(&employee, endpoint, &form(Some("acme"), args, &ids)).await).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"), "employee {endpoint} on another employee");
    }
    assert_eq!(fingerprint(&pool).await, before, "nothing of acme changed");
    // What the outsider could read of their own portal holds nothing of acme.
    let body = app.post(&outsider, "employees", &[("slug", "other"), ("filter", "employees"), ("search", "")]).await.text().await.unwrap();
    for acme_only in ["ann@acme.test", "bo@acme.test", "cy@acme.test", "fay@acme.test"] {
        assert!(!body.contains(acme_only), "{body}");
    }
    let employee_dismissed = app.post(&employee, "employees", &[("slug", "acme"), ("filter", "dismissed"), ("search", "")]).await;
    assert_eq!(employee_dismissed.status(), 403);
    let others_invitations =
        json_of::<intranet::invitations::InvitedPage>(app.post(&employee, "invitations", &[("slug", "acme"), ("show", "all")]).await)
            .await
            .rows;
    assert!(others_invitations.is_empty(), "an employee sees no one else's invitations");

    // The two live endpoints. The portal stream: members only, like portal functions.
    let live = |client: &reqwest::Client, path: &str| client.get(format!("{}{path}", app.base)).send();
    assert_eq!(live(&anonymous, "/p/acme/live").await.unwrap().status(), 401);
    for (who, client) in [("outsider", &outsider), ("dismissed", &dismissed), ("awaiting approval", &awaiting)] {
        assert_eq!(live(client, "/p/acme/live").await.unwrap().status(), 404, "{who}");
    }
    assert_eq!(live(&must_change, "/p/acme/live").await.unwrap().status(), 403);
    assert_eq!(live(&employee, "/p/acme/live").await.unwrap().status(), 200);
    // The registration stream is public (the code is the key); a wrong code learns nothing.
    let code: String = sqlx::query_scalar("SELECT registration_code FROM portals WHERE id = 1").fetch_one(&pool).await.unwrap();
    assert_eq!(live(&anonymous, "/join/not-a-code/live").await.unwrap().status(), 404);
    assert_eq!(live(&anonymous, &format!("/join/{code}/live")).await.unwrap().status(), 200);
}
