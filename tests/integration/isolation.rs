//! Every portal server function over HTTP: anonymous callers are asked to log in, other
//! portals' members (admins included) learn nothing, employees cannot do admins' work.

use chrono::Utc;
use sqlx::PgPool;

use crate::app::*;

/// (endpoint, form) for every portal function; `{d}`, `{p}` and `{g}` stand for a
/// department, a person and a workgroup of portal "acme".
const CALLS: &[(&str, &[(&str, &str)])] = &[
    ("employees", &[("filter", "employees"), ("search", "")]),
    ("person", &[("account_id", "{p}")]),
    ("person_action", &[("account_id", "{p}"), ("action", "dismiss")]),
    ("audit_log", &[]),
    ("structure", &[]),
    ("department_members", &[("department_id", "{d}")]),
    ("add_department", &[("name", "Intruders"), ("parent_id", "{d}")]),
    ("rename_department", &[("department_id", "{d}"), ("name", "Hacked")]),
    ("move_department", &[("department_id", "{d}"), ("parent_id", "{d}")]),
    ("delete_department", &[("department_id", "{d}"), ("move_people", "on")]),
    ("set_department_head", &[("department_id", "{d}"), ("head_id", "")]),
    ("move_person", &[("account_id", "{p}"), ("department_id", "{d}")]),
    ("workgroups", &[]),
    ("create_workgroup", &[("name", "Intruders"), ("description", "")]),
    ("workgroup", &[("workgroup_id", "{g}")]),
    ("add_workgroup_member", &[("workgroup_id", "{g}"), ("person", "ann@acme.test")]),
    ("remove_workgroup_member", &[("workgroup_id", "{g}"), ("account_id", "{p}")]),
    ("stream", &[]),
    ("publish_post", &[("text", "hello")]),
    ("chat", &[]),
    ("send_message", &[("text", "hello")]),
    ("profile_editor", &[("account_id", "{p}")]),
    ("profile_save", &[("account_id", "{p}"), ("position", "Hacked"), ("phone", ""), ("contact_email", "")]),
    ("mailbox", &[]),
    (
        "mailbox_connect",
        &[("address", "x"), ("imap_host", "127.0.0.1"), ("imap_port", "1"), ("security", "tls"), ("username", "u"), ("password", "p")],
    ),
    ("mailbox_disconnect", &[]),
    ("mailbox_inbox", &[]),
    ("invite_dialog", &[]),
    ("invite_by_email", &[("addresses", "new@new.test")]),
    ("invite_by_sms", &[("numbers", "+14155550100")]),
    ("register_user", &[("email", "new@new.test"), ("first_name", "N"), ("last_name", "N")]),
    ("registration_settings", &[]),
    (
        "save_registration_settings",
        &[("enabled", "on"), ("registration_type", "public"), ("trusted_domains", "evil.test"), ("greeting", "Hacked")],
    ),
    ("regenerate_registration_link", &[]),
    ("set_everyone_can_invite", &[("allowed", "on")]),
    ("check_registration_address", &[("email", "new@new.test")]),
    ("quick_registration", &[]),
    ("decide_registration", &[("account_id", "{p}"), ("decision", "deny")]),
];

const ADMIN_ONLY: &[&str] = &[
    "person_action",
    "audit_log",
    "add_department",
    "rename_department",
    "move_department",
    "delete_department",
    "set_department_head",
    "move_person",
    "invite_dialog",
    "invite_by_email",
    "invite_by_sms",
    "register_user",
    "registration_settings",
    "save_registration_settings",
    "regenerate_registration_link",
    "set_everyone_can_invite",
    "check_registration_address",
    // Until "Allow everyone to invite" is on (see registration.rs).
    "quick_registration",
    "decide_registration",
];

struct Ids {
    department: String,
    person: String,
    workgroup: String,
}

fn form<'a>(slug: &'a str, args: &[(&'a str, &'a str)], ids: &'a Ids) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("slug", slug)];
    for (name, value) in args {
        let value = match *value {
            "{d}" => ids.department.as_str(),
            "{p}" => ids.person.as_str(),
            "{g}" => ids.workgroup.as_str(),
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
            (SELECT count(*) FROM mailboxes), (SELECT plan::text FROM portals WHERE id = 1), (SELECT count(*) FROM invitations WHERE portal_id = 1),
            (SELECT count(*) FROM workgroups WHERE portal_id = 1), (SELECT count(*) FROM workgroup_members WHERE portal_id = 1),
            (SELECT count(*) FROM stream_posts WHERE portal_id = 1), (SELECT count(*) FROM chat_messages WHERE portal_id = 1),
            (SELECT concat_ws(':', quick_registration, registration_moderated, trusted_domains::text, registration_greeting,
                              registration_code, everyone_can_invite) FROM portals WHERE id = 1))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn portal_functions_check_membership_and_role_first(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(&pool, &passwords, "other", "zed@other.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin = caller(&pool, ann, "acme").await;
    let top: i64 =
        sqlx::query_scalar("SELECT id FROM departments WHERE portal_id = 1 AND parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let sales = intranet::structure::service::add(&pool, &admin, "Sales", top, now).await.unwrap();
    let group = intranet::workgroups::service::create(&pool, &admin, "Hiking", "", now).await.unwrap();
    intranet::workgroups::service::add_member(&pool, &admin, group, "bo@acme.test", now).await.unwrap();
    let ids = Ids { department: sales.to_string(), person: bo.to_string(), workgroup: group.to_string() };

    let app = spawn_app(pool.clone()).await;
    let anonymous = app.client();
    let outsider = app.logged_in("zed@other.test").await;
    let employee = app.logged_in("bo@acme.test").await;
    let before = fingerprint(&pool).await;

    for (endpoint, args) in CALLS {
        let status = app.post(&anonymous, endpoint, &form("acme", args, &ids)).await.status().as_u16();
        assert_eq!(status, 401, "anonymous {endpoint}");
        // Another portal's admin, naming portal acme: as if it did not exist.
        let status = app.post(&outsider, endpoint, &form("acme", args, &ids)).await.status().as_u16();
        assert_eq!(status, 404, "outsider {endpoint} on acme");
        // ...and naming their own portal with acme's ids: nothing of acme is reached.
        let status = app.post(&outsider, endpoint, &form("other", args, &ids)).await.status().as_u16();
        assert!(matches!(status, 200 | 404 | 422), "outsider {endpoint} with acme ids: {status}");
        if ADMIN_ONLY.contains(endpoint) {
            let status = app.post(&employee, endpoint, &form("acme", args, &ids)).await.status().as_u16();
            assert_eq!(status, 403, "employee {endpoint}");
        }
    }
    assert_eq!(fingerprint(&pool).await, before, "nothing of acme changed");
    // What the outsider could read of their own portal holds nothing of acme.
    let body = app.post(&outsider, "employees", &[("slug", "other"), ("filter", "employees"), ("search", "")]).await.text().await.unwrap();
    assert!(!body.contains("acme.test"), "{body}");
    let employee_dismissed = app.post(&employee, "employees", &[("slug", "acme"), ("filter", "dismissed"), ("search", "")]).await;
    assert_eq!(employee_dismissed.status(), 403);
}
