//! Inviting from a list: the preview's status of every row, "Send" with only the ready
//! rows in one transaction, the list checked again when sent, the daily cap, and the
//! names, position and department reaching the new employee.

use chrono::Utc;
use intranet::error::AppError;
use intranet::invitations::service::bulk::{preview, send};
use intranet::invitations::service::{NewPerson, accept_new, page};
use intranet::invitations::{BulkSent, BulkStatus};
use sqlx::PgPool;

use crate::app::*;

async fn department(pool: &PgPool, slug: &str, name: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO departments (portal_id, parent_id, name)
         SELECT p.id, d.id, $2 FROM portals p JOIN departments d ON d.portal_id = p.id AND d.parent_id IS NULL WHERE p.slug = $1
         RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

const LIST: &str = "\
E-mail or phone;First name;Last name;Department;Position
dee@acme.test;Dee;Dunn;sales;Analyst
+1 415 555 0142;Eve;Earl;;Driver
DEE@acme.test;Dee;Again;Sales;
bo@acme.test;Bo;Berg;Sales;
pending@acme.test;Pat;Pend;;
not-an-address;No;Body;;
fay@acme.test;Fay;Fox;Marketing;
gus@acme.test;Gus;Gray;Ops;
";

#[sqlx::test]
async fn a_list_is_previewed_row_by_row_and_only_its_ready_rows_are_sent(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let sales = department(&pool, "acme", "Sales").await;
    department(&pool, "acme", "Ops").await;
    department(&pool, "acme", "Ops").await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let ann = caller(&pool, ann_id, "acme").await;
    let pending = intranet::invitations::service::InviteRequest { addresses: "pending@acme.test".into(), ..Default::default() };
    intranet::invitations::service::invite_by_email(&pool, &config, &ann, &pending, now).await.unwrap();

    let shown = preview(&pool, &config, &ann, LIST, now).await.unwrap();
    let statuses: Vec<(usize, &str, BulkStatus)> = shown.rows.iter().map(|r| (r.line, r.contact.as_str(), r.status)).collect();
    assert_eq!(
        statuses,
        [
            (2, "dee@acme.test", BulkStatus::Ready),
            (3, "+14155550142", BulkStatus::Ready),
            (4, "dee@acme.test", BulkStatus::DuplicateInList),
            (5, "bo@acme.test", BulkStatus::AlreadyMember),
            (6, "pending@acme.test", BulkStatus::AlreadyInvited),
            (7, "not-an-address", BulkStatus::BadRow),
            (8, "fay@acme.test", BulkStatus::UnknownDepartment),
            (9, "gus@acme.test", BulkStatus::UnknownDepartment),
        ]
    );
    assert_eq!(shown.ready, 2);
    assert_eq!(shown.rows[0].department, "Sales", "department names match whatever their case");
    assert_eq!(shown.rows[1].department, "acme Ltd", "no department: the top one");
    assert_eq!(shown.rows[2].reason, "The same as line 2.");
    assert_eq!(shown.rows[6].reason, "No department is called Marketing.");
    assert_eq!(shown.rows[7].reason, "Several departments are called Ops.");
    let outbox_before: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&pool).await.unwrap();
    assert_eq!(outbox_before, 1, "the preview sends nothing");

    let sent = send(&pool, &config, &ann, LIST, now).await.unwrap();
    assert_eq!(sent, BulkSent { invited: 2, left_out: 6 });
    let written: Vec<(String, String, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT i.target, i.channel::text, i.first_name, i.last_name, i.position, i.department_id FROM invitations i
         WHERE i.target IN ('dee@acme.test', '+14155550142') ORDER BY i.target",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let top: i64 = sqlx::query_scalar("SELECT id FROM departments WHERE parent_id IS NULL AND portal_id = $1")
        .bind(ann.portal_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        written,
        [
            ("+14155550142".into(), "sms".into(), "Eve".into(), "Earl".into(), "Driver".into(), Some(top)),
            ("dee@acme.test".into(), "email".into(), "Dee".into(), "Dunn".into(), "Analyst".into(), Some(sales)),
        ]
    );
    let messages: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, channel::text FROM outbox WHERE recipient <> 'pending@acme.test' ORDER BY recipient")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(messages, [("+14155550142".into(), "sms".into()), ("dee@acme.test".into(), "email".into())], "one message per ready row");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'invited' AND detail LIKE '%from a list%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 2);

    // Sent rows now read as invited; sending the same list again finds nothing ready.
    let again = preview(&pool, &config, &ann, LIST, now).await.unwrap();
    assert_eq!((again.rows[0].status, again.rows[1].status, again.ready), (BulkStatus::AlreadyInvited, BulkStatus::AlreadyInvited, 0));
    let nothing = send(&pool, &config, &ann, LIST, now).await;
    assert!(matches!(nothing, Err(AppError::Invalid { ref field, .. }) if field == "rows"));
}

#[sqlx::test]
async fn the_list_s_names_position_and_department_reach_the_new_employee(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let sales = department(&pool, "acme", "Sales").await;
    let ann = caller(&pool, ann_id, "acme").await;
    send(&pool, &config, &ann, "dee@acme.test, Dee, Dunn, Sales, Analyst", now).await.unwrap();
    let token = token_from_outbox(&pool, "dee@acme.test", "/invite").await;
    let shown = page(&pool, &token, None, now).await.unwrap();
    assert_eq!((shown.first_name.as_str(), shown.last_name.as_str()), ("Dee", "Dunn"), "the form is filled in");
    let person = NewPerson { first_name: "Dee".into(), last_name: "Dunn-Lee".into(), password: "copper-kettle-58".into() };
    let (dee_id, _) = accept_new(&pool, &passwords(), &config, &token, &person, now).await.unwrap();
    let (position, department_id): (String, i64) = sqlx::query_as("SELECT position, department_id FROM memberships WHERE account_id = $1")
        .bind(dee_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((position.as_str(), department_id), ("Analyst", sales));
    let last_name: String = sqlx::query_scalar("SELECT last_name FROM accounts WHERE id = $1").bind(dee_id).fetch_one(&pool).await.unwrap();
    assert_eq!(last_name, "Dunn-Lee", "the person's own entry wins over the list's");
}

#[sqlx::test]
async fn the_list_is_checked_again_when_sent_and_the_day_s_cap_holds(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let ann = caller(&pool, ann_id, "acme").await;
    let list = "dee@acme.test,Dee,Dunn\neve@acme.test,Eve,Earl";
    assert_eq!(preview(&pool, &config, &ann, list, now).await.unwrap().ready, 2);
    // Between the preview and "Send", Dee joins another way.
    add_member(&pool, "acme", "dee@acme.test", ("Dee", "Dunn"), "active", "employee").await;
    assert_eq!(send(&pool, &config, &ann, list, now).await.unwrap(), BulkSent { invited: 1, left_out: 1 });

    // The free plan's 100 a day: a list of more ready rows than are left sends none of them.
    let many: String = (0..100).map(|i| format!("p{i}@acme.test,P,{i}\n")).collect();
    let refused = send(&pool, &config, &ann, &many, now).await;
    assert!(
        matches!(refused, Err(AppError::Invalid { ref field, ref message }) if field == "rows" && message.contains("99 are left today")),
        "{refused:?}"
    );
    let invited: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations").fetch_one(&pool).await.unwrap();
    assert_eq!(invited, 1, "nothing of the refused list was written");

    let bo_id = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let bo = caller(&pool, bo_id, "acme").await;
    assert_eq!(preview(&pool, &config, &bo, list, now).await.err(), Some(AppError::Forbidden), "lists are for administrators");
    let empty = preview(&pool, &config, &ann, "\n \n", now).await;
    assert!(matches!(empty, Err(AppError::Invalid { ref field, .. }) if field == "rows"));
}

#[sqlx::test]
async fn a_refused_send_writes_nothing_and_only_administrators_send(pool: PgPool) {
    let mut config = config("http://127.0.0.1:3000");
    // No SMS left today: the e-mail rows are written first, then the SMS batch is refused.
    config.sms_caps = intranet::server::config::DailyCaps { per_portal: 0, per_instance: 1_000 };
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let ann = caller(&pool, ann_id, "acme").await;
    let list = "dee@acme.test,Dee,Dunn\n+1 415 555 0142,Eve,Earl";
    assert!(send(&pool, &config, &ann, list, now).await.is_err());
    for table in ["invitations", "invitation_links", "outbox"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&pool).await.unwrap();
        assert_eq!(rows, 0, "{table}: one transaction, all or nothing");
    }
    let bo_id = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let bo = caller(&pool, bo_id, "acme").await;
    assert_eq!(send(&pool, &config, &bo, "dee@acme.test,Dee,Dunn", now).await.err(), Some(AppError::Forbidden));
}

#[sqlx::test]
async fn rows_that_would_go_wrong_are_held_back_with_their_reason(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    department(&pool, "acme", "Contact center").await;
    let ann = caller(&pool, ann_id, "acme").await;
    // No header: a first row whose department sounds like a column name is still a person.
    let list = "+1 415 555 0142,Eve,Earl,Contact center,Phone sales\n\
                +14155550142,Eve,Again,,\n\
                gus@acme.test,Gus,Gray,,Chief\u{7}Officer\n\
                dee@acme.test,Dee,\"Dunn\n\
                fay@acme.test,Fay,Fox,,";
    let shown = preview(&pool, &config, &ann, list, now).await.unwrap();
    let statuses: Vec<(usize, BulkStatus)> = shown.rows.iter().map(|r| (r.line, r.status)).collect();
    // The unclosed quote on line 4 runs on to the end: Fay is inside Dee's row, not sent.
    assert_eq!(
        statuses,
        [(1, BulkStatus::Ready), (2, BulkStatus::DuplicateInList), (3, BulkStatus::CheckRow), (4, BulkStatus::CheckRow)],
        "{:?}",
        shown.rows
    );
    assert_eq!(shown.rows[0].department, "Contact center");
    assert_eq!(shown.rows[1].reason, "The same as line 1.", "one number, written two ways");
    assert_eq!(shown.rows[2].reason, "Remove the special characters (tabs, line breaks).");
    assert_eq!(shown.rows[3].reason, "This row runs over several lines: check its quotes.");
}
