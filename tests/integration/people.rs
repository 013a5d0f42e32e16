use chrono::Utc;
use intranet::auth::service::log_in;
use intranet::auth::session::Origin;
use intranet::error::AppError;
use intranet::people::EmployeeFilter;
use intranet::people::service::{Cursor, LAST_ADMIN_MESSAGE, PAGE_SIZE, PersonAction, act_on_person, list_employees};
use intranet::portals::service::audit_log;
use sqlx::PgPool;

use crate::app::*;

fn names(page: &intranet::people::EmployeePage) -> Vec<String> {
    page.rows.iter().map(|r| r.name.clone()).collect()
}

#[sqlx::test]
async fn filters_and_search_list_the_right_people(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "invited", "employee").await;
    add_member(&pool, "acme", "di@acme.test", ("Di", "Dorn"), "pending_approval", "employee").await;
    add_member(&pool, "acme", "ed@acme.test", ("Ed", "Eng"), "dismissed", "employee").await;
    let eve = add_member(&pool, "acme", "eve@acme.test", ("Eve", "Fox"), "active", "admin").await;
    sqlx::query("UPDATE memberships SET position = 'Chief 50% Officer' WHERE account_id = $1").bind(eve).execute(&pool).await.unwrap();
    let admin = caller(&pool, ann, "acme").await;

    let list = |filter, search: &'static str| {
        let (pool, admin) = (pool.clone(), admin.clone());
        async move { list_employees(&pool, &admin, filter, search, Cursor::First).await.unwrap() }
    };
    assert_eq!(names(&list(EmployeeFilter::Employees, "").await), ["Bo Berg", "Eve Fox", "Ann Lee"]);
    assert_eq!(names(&list(EmployeeFilter::Invited, "").await), ["Cy Cole"]);
    assert_eq!(names(&list(EmployeeFilter::Pending, "").await), ["Di Dorn"]);
    assert_eq!(names(&list(EmployeeFilter::Dismissed, "").await), ["Ed Eng"]);
    assert_eq!(names(&list(EmployeeFilter::Administrators, "").await), ["Eve Fox", "Ann Lee"]);
    assert_eq!(list(EmployeeFilter::Employees, "").await.pending_count, 1);
    // Search by name, email and position; wildcards are literal.
    assert_eq!(names(&list(EmployeeFilter::Employees, "BERG").await), ["Bo Berg"]);
    assert_eq!(names(&list(EmployeeFilter::Employees, "ann@acme").await), ["Ann Lee"]);
    assert_eq!(names(&list(EmployeeFilter::Employees, "50%").await), ["Eve Fox"]);
    assert!(names(&list(EmployeeFilter::Employees, "_").await).is_empty());
    // A renamed account is found by its new name at once.
    sqlx::query("UPDATE accounts SET last_name = 'Zimmer' WHERE login = 'bo@acme.test'").execute(&pool).await.unwrap();
    assert_eq!(names(&list(EmployeeFilter::Employees, "zimmer").await), ["Bo Zimmer"]);

    // Employees do not see the admins-only filters.
    let bo_id: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'bo@acme.test'").fetch_one(&pool).await.unwrap();
    let bo = caller(&pool, bo_id, "acme").await;
    for filter in [EmployeeFilter::Pending, EmployeeFilter::Dismissed] {
        assert_eq!(list_employees(&pool, &bo, filter, "", Cursor::First).await.err(), Some(AppError::Forbidden));
    }
    assert_eq!(list_employees(&pool, &bo, EmployeeFilter::Employees, "", Cursor::First).await.unwrap().pending_count, 0);
}

#[sqlx::test]
async fn pages_walk_forwards_and_backwards_without_gaps(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    // 120 people with the same name, so order falls back to the account id.
    sqlx::query(
        "WITH a AS (INSERT INTO accounts (login, password_hash, first_name, last_name)
                    SELECT 'p' || g || '@acme.test', 'x', 'Pat', 'Same' FROM generate_series(1, 120) g RETURNING id)
         INSERT INTO memberships (portal_id, account_id, status, role) SELECT 1, id, 'active', 'employee' FROM a",
    )
    .execute(&pool)
    .await
    .unwrap();
    let admin = caller(&pool, ann, "acme").await;
    let (seen, pages) = every_page(&pool, &admin, EmployeeFilter::Employees, "").await;
    assert!(pages.iter().all(|page| page.rows.len() as i64 <= PAGE_SIZE));
    assert_eq!(pages.len(), 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (121, 121));
    // "Previous page" from the last page gives back the middle page exactly.
    let back = list_employees(&pool, &admin, EmployeeFilter::Employees, "", Cursor::Before(pages[2].previous.unwrap())).await.unwrap();
    assert_eq!(back.rows, pages[1].rows);
    assert!(back.previous.is_some() && back.next.is_some());
    assert_eq!(pages[0].previous, None);
}

#[sqlx::test]
async fn dismissal_ends_sessions_and_blocks_log_in_and_hiring_restores(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let app = spawn_app(pool.clone()).await;
    let bo_client = app.logged_in("bo@acme.test").await;
    let home = app.post(&bo_client, "portal_home", &[("slug", "acme")]).await;
    assert_eq!(home.status(), 200);

    let admin = caller(&pool, ann, "acme").await;
    act_on_person(&pool, &admin, bo, PersonAction::Dismiss, now).await.unwrap();
    // The open session is over, and log-in is refused.
    assert_eq!(error_of(app.post(&bo_client, "portal_home", &[("slug", "acme")]).await).await, (401, AppError::Unauthorized));
    let refused = log_in(&pool, &passwords, None, "bo@acme.test", PASSWORD, false, &Origin::at("10.0.0.1"), now).await;
    assert_eq!(refused.err(), Some(AppError::AccessClosed));
    // Data is kept: still listed under Dismissed.
    let dismissed = list_employees(&pool, &admin, EmployeeFilter::Dismissed, "", Cursor::First).await.unwrap();
    assert_eq!(names(&dismissed), ["Bo Berg"]);

    act_on_person(&pool, &admin, bo, PersonAction::Hire, now).await.unwrap();
    let again = app.logged_in("bo@acme.test").await;
    assert_eq!(app.post(&again, "portal_home", &[("slug", "acme")]).await.status(), 200);

    let log = audit_log(&pool, &admin, None, chrono::Utc::now()).await.unwrap();
    // (Bo's log-ins are there too, as security events.)
    let actions: Vec<(&str, &str, &str)> =
        log.iter().filter(|e| e.action != "logged in").map(|e| (e.actor.as_str(), e.action.as_str(), e.subject.as_str())).collect();
    assert_eq!(actions, [("Ann Lee", "hired again", "Bo Berg"), ("Ann Lee", "dismissed", "Bo Berg")]);
}

#[sqlx::test]
async fn a_person_dismissed_in_one_portal_keeps_the_others(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(&pool, &passwords, "other", "zed@other.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    add_member(&pool, "other", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let app = spawn_app(pool.clone()).await;
    let bo_client = app.logged_in("bo@acme.test").await;
    act_on_person(&pool, &caller(&pool, ann, "acme").await, bo, PersonAction::Dismiss, now).await.unwrap();
    assert_eq!(error_of(app.post(&bo_client, "portal_home", &[("slug", "acme")]).await).await, (404, AppError::NotFound));
    assert_eq!(app.post(&bo_client, "portal_home", &[("slug", "other")]).await.status(), 200);
    let destination =
        log_in(&pool, &passwords, None, "bo@acme.test", PASSWORD, false, &Origin::at("10.0.0.1"), now).await.unwrap().destination;
    assert_eq!(destination, "/p/other");
}

#[sqlx::test]
async fn the_last_active_admin_can_be_neither_demoted_nor_dismissed(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin = caller(&pool, ann, "acme").await;
    let last = Err(AppError::Conflict(LAST_ADMIN_MESSAGE.into()));
    assert_eq!(act_on_person(&pool, &admin, ann, PersonAction::RemoveAdmin, now).await, last);
    assert_eq!(act_on_person(&pool, &admin, ann, PersonAction::Dismiss, now).await, last);

    // With a second admin it works; then Bo is the last one and is protected in turn.
    act_on_person(&pool, &admin, bo, PersonAction::MakeAdmin, now).await.unwrap();
    act_on_person(&pool, &admin, ann, PersonAction::RemoveAdmin, now).await.unwrap();
    let bo_admin = caller(&pool, bo, "acme").await;
    assert_eq!(act_on_person(&pool, &bo_admin, bo, PersonAction::Dismiss, now).await, last);
    // Ann is an employee now: she can no longer act.
    let ann_now = caller(&pool, ann, "acme").await;
    assert_eq!(act_on_person(&pool, &ann_now, bo, PersonAction::RemoveAdmin, now).await, Err(AppError::Forbidden));
}

#[sqlx::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "admin").await;
    for _ in 0..5 {
        let (a, b) = (caller(&pool, ann, "acme").await, caller(&pool, bo, "acme").await);
        let (first, second) = tokio::join!(
            act_on_person(&pool, &a, bo, PersonAction::RemoveAdmin, now),
            act_on_person(&pool, &b, ann, PersonAction::RemoveAdmin, now),
        );
        assert!(first.is_ok() != second.is_ok(), "exactly one demotion wins: {first:?} {second:?}");
        let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships WHERE role = 'admin' AND status = 'active'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(admins, 1);
        sqlx::query("UPDATE memberships SET role = 'admin'").execute(&pool).await.unwrap();
    }
}

#[sqlx::test]
async fn the_audit_log_pages_back_and_is_for_admins_only(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin = caller(&pool, ann, "acme").await;
    for _ in 0..75 {
        act_on_person(&pool, &admin, bo, PersonAction::MakeAdmin, now).await.unwrap();
        act_on_person(&pool, &admin, bo, PersonAction::RemoveAdmin, now).await.unwrap();
    }
    let first = audit_log(&pool, &admin, None, chrono::Utc::now()).await.unwrap();
    assert_eq!(first.len(), intranet::audit::AUDIT_PAGE as usize);
    assert_eq!(first[0].action, "removed administrator");
    let rest = audit_log(&pool, &admin, first.last().map(|e| e.id), chrono::Utc::now()).await.unwrap();
    assert_eq!(rest.len(), 50);
    assert!(rest.iter().all(|e| e.id < first[99].id));
    assert_eq!(audit_log(&pool, &caller(&pool, bo, "acme").await, None, chrono::Utc::now()).await.err(), Some(AppError::Forbidden));
}

#[sqlx::test]
async fn a_dismissed_admin_comes_back_as_an_employee(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "admin").await;
    let admin = caller(&pool, ann, "acme").await;
    act_on_person(&pool, &admin, bo, PersonAction::Dismiss, now).await.unwrap();
    act_on_person(&pool, &admin, bo, PersonAction::Hire, now).await.unwrap();
    assert!(!caller(&pool, bo, "acme").await.is_admin);
    let admins = list_employees(&pool, &admin, EmployeeFilter::Administrators, "", Cursor::First).await.unwrap();
    assert_eq!(names(&admins), ["Ann Lee"]);
}

/// Logins are private: colleagues find people by name, contact e-mail and position, and
/// only administrators also by login (a phone number here). Adding a workgroup member by
/// login is likewise for administrators only.
#[sqlx::test]
async fn only_administrators_find_people_by_login(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let cy = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    // Cy logs in with a phone number and has no contact e-mail.
    sqlx::query("UPDATE accounts SET login = '+14155550100' WHERE id = $1").bind(cy).execute(&pool).await.unwrap();
    sqlx::query("UPDATE memberships SET contact_email = NULL WHERE account_id = $1").bind(cy).execute(&pool).await.unwrap();
    let (admin, employee) = (caller(&pool, ann, "acme").await, caller(&pool, bo, "acme").await);

    let found = |who: intranet::access::PortalCaller, search: &'static str| {
        let pool = pool.clone();
        async move { names(&list_employees(&pool, &who, EmployeeFilter::Employees, search, Cursor::First).await.unwrap()) }
    };
    assert_eq!(found(admin.clone(), "4155550100").await, ["Cy Cole"]);
    assert!(found(employee.clone(), "4155550100").await.is_empty(), "an employee cannot find a login");
    assert_eq!(found(employee.clone(), "cole").await, ["Cy Cole"], "but finds the name");
    assert_eq!(found(employee.clone(), "bo@acme").await, ["Bo Berg"], "and contact e-mails");

    let now = Utc::now();
    let group = intranet::workgroups::service::create(&pool, &employee, "Hiking", "", now).await.unwrap();
    // Members are picked from a list found by name, contact e-mail or position, never by
    // login: Dee's login is not her contact e-mail, and Cy's is a phone number.
    let dee = add_member(&pool, "acme", "dee@acme.test", ("Dee", "Dunn"), "active", "employee").await;
    sqlx::query("UPDATE memberships SET contact_email = 'dee.dunn@acme.test' WHERE account_id = $1")
        .bind(dee)
        .execute(&pool)
        .await
        .unwrap();
    let candidates = |search: &'static str| {
        let (pool, employee) = (pool.clone(), employee.clone());
        async move {
            intranet::workgroups::service::candidates(&pool, &employee, group, search)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
        }
    };
    assert!(candidates("dee@acme").await.is_empty(), "not by login");
    assert!(candidates("4155550100").await.is_empty(), "not by a phone login");
    assert_eq!(candidates("dee.dunn").await, ["Dee Dunn"]);
    // Everyone active but the members (Bo made the group), by last name.
    assert_eq!(candidates("").await, ["Cy Cole", "Dee Dunn", "Ann Lee"]);
    intranet::workgroups::service::add_member(&pool, &employee, group, dee, now).await.unwrap();
    assert_eq!(candidates("").await, ["Cy Cole", "Ann Lee"]);
    let again = intranet::workgroups::service::add_member(&pool, &employee, group, dee, now).await;
    assert!(again.as_ref().is_err_and(|e| e.for_field("account_id").is_some()), "{again:?}");
    // Someone of another portal, or no one, cannot be picked.
    let zed = portal_with_admin(&pool, &passwords, "other", "zed@other.test", now).await;
    for outsider in [zed, 999_999] {
        let refused = intranet::workgroups::service::add_member(&pool, &employee, group, outsider, now).await;
        assert!(refused.as_ref().is_err_and(|e| e.for_field("account_id").is_some()), "{refused:?}");
    }
}

/// Every page of a search, followed by "Next page" to the end: the people's ids, and the
/// pages themselves (to walk back through).
async fn every_page(
    pool: &PgPool,
    who: &intranet::access::PortalCaller,
    filter: EmployeeFilter,
    search: &str,
) -> (Vec<i64>, Vec<intranet::people::EmployeePage>) {
    let (mut ids, mut pages, mut cursor) = (Vec::new(), Vec::new(), Cursor::First);
    loop {
        let page = list_employees(pool, who, filter, search, cursor).await.unwrap();
        ids.extend(page.rows.iter().map(|r| r.account_id));
        pages.push(page.clone());
        match page.next {
            Some(next) => cursor = Cursor::After(next),
            None => return (ids, pages),
        }
    }
}

/// The people a search must find, in list order, straight from the search columns.
async fn every_match(pool: &PgPool, column: &str, status: &str, search: &str) -> Vec<i64> {
    sqlx::query_scalar(&format!(
        "SELECT account_id FROM memberships WHERE portal_id = 1 AND status = $1::membership_status AND {column} LIKE '%' || $2 || '%'
         ORDER BY sort_name, account_id"
    ))
    .bind(status)
    .bind(search)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A one-word search whose people all come late in name order (a common surname in a big
/// portal) goes word by word: the same people, in the same order, as every match sorted,
/// page after page in both directions, and logins stay private.
#[sqlx::test]
async fn a_one_word_search_finds_every_match_in_order_however_late_they_come(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    // 2,100 Adamses fill the list's start, past what a search walks in list order; after
    // them 130 Garcias (every tenth dismissed), each with the surname in their own e-mail
    // address, someone who is a Garcia only by position, and someone only by login (and
    // no contact e-mail).
    sqlx::query(
        "WITH a AS (INSERT INTO accounts (login, password_hash, first_name, last_name)
                    SELECT 'a' || g || '@acme.test', 'x', 'Al', 'Adams' FROM generate_series(1, 2100) g
                    UNION ALL
                    SELECT 'gil' || g || '.garcia@acme.test', 'x', 'Gil' || g, 'Garcia' FROM generate_series(1, 130) g
                    RETURNING id, login)
         INSERT INTO memberships (portal_id, account_id, status, role, contact_email)
         SELECT 1, id, CASE WHEN login LIKE 'gil%0.garcia@%' THEN 'dismissed' ELSE 'active' END::membership_status, 'employee', login FROM a",
    )
    .execute(&pool)
    .await
    .unwrap();
    let liaison = add_member(&pool, "acme", "zed@acme.test", ("Zed", "Zulu"), "active", "employee").await;
    sqlx::query("UPDATE memberships SET position = 'Garcia liaison' WHERE account_id = $1").bind(liaison).execute(&pool).await.unwrap();
    let hidden = add_member(&pool, "acme", "hal@acme.test", ("Hal", "Hidden"), "active", "employee").await;
    sqlx::query("UPDATE accounts SET login = 'garcia.zzq' WHERE id = $1").bind(hidden).execute(&pool).await.unwrap();
    sqlx::query("UPDATE memberships SET contact_email = NULL WHERE account_id = $1").bind(hidden).execute(&pool).await.unwrap();
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let (admin, employee) = (caller(&pool, ann, "acme").await, caller(&pool, bo, "acme").await);

    for search in ["garcia", "GARCIA", "arci"] {
        let wanted = every_match(&pool, "search_text", "active", &search.to_lowercase()).await;
        assert_eq!(wanted.len(), 117 + 2, "the seeded matches");
        assert!(wanted.contains(&hidden) && wanted.contains(&liaison));
        let (found, pages) = every_page(&pool, &admin, EmployeeFilter::Employees, search).await;
        assert_eq!(found, wanted, "{search}: an administrator's pages");
        assert_eq!(pages.len(), 3);
        // "Previous page" from the last page gives back the middle page exactly.
        let back =
            list_employees(&pool, &admin, EmployeeFilter::Employees, search, Cursor::Before(pages[2].previous.unwrap())).await.unwrap();
        assert_eq!(back.rows, pages[1].rows);
    }
    let (found, pages) = every_page(&pool, &employee, EmployeeFilter::Employees, "garcia").await;
    assert_eq!(found, every_match(&pool, "search_public", "active", "garcia").await);
    let back =
        list_employees(&pool, &employee, EmployeeFilter::Employees, "garcia", Cursor::Before(pages[2].previous.unwrap())).await.unwrap();
    assert_eq!(back.rows, pages[1].rows);
    assert!(!found.contains(&hidden), "an employee does not find a login");
    assert!(found.contains(&liaison));
    let (dismissed, _) = every_page(&pool, &admin, EmployeeFilter::Dismissed, "garcia").await;
    assert_eq!(dismissed, every_match(&pool, "search_text", "dismissed", "garcia").await);
    assert_eq!(dismissed.len(), 13);

    // The words follow every change: a new name and login, a dismissal.
    let renamed: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'gil1.garcia@acme.test'").fetch_one(&pool).await.unwrap();
    sqlx::query("UPDATE accounts SET last_name = 'Gomez', login = 'gomez@acme.test' WHERE id = $1")
        .bind(renamed)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE memberships SET contact_email = NULL WHERE account_id = $1").bind(renamed).execute(&pool).await.unwrap();
    act_on_person(&pool, &admin, liaison, PersonAction::Dismiss, Utc::now()).await.unwrap();
    let (found, _) = every_page(&pool, &admin, EmployeeFilter::Employees, "garcia").await;
    assert_eq!(found, every_match(&pool, "search_text", "active", "garcia").await);
    assert!(!found.contains(&renamed) && !found.contains(&liaison));
    let (gomez, _) = every_page(&pool, &admin, EmployeeFilter::Employees, "gomez").await;
    assert_eq!(gomez, [renamed]);
    let (dismissed, _) = every_page(&pool, &admin, EmployeeFilter::Dismissed, "liaison").await;
    assert_eq!(dismissed, [liaison]);

    // A word only a login has is for administrators, and goes with its last person.
    assert_eq!(every_page(&pool, &admin, EmployeeFilter::Employees, "zzq").await.0, [hidden]);
    assert!(every_page(&pool, &employee, EmployeeFilter::Employees, "zzq").await.0.is_empty());
    let public_words = |word: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT public FROM portal_words WHERE word = $1").bind(word).fetch_optional(&pool).await.unwrap()
        }
    };
    assert_eq!(public_words("zzq").await, Some(false));
    assert_eq!(public_words("garcia").await, Some(true));
    sqlx::query("DELETE FROM memberships WHERE account_id = $1").bind(hidden).execute(&pool).await.unwrap();
    assert_eq!(public_words("zzq").await, None);
    assert_eq!(public_words("gomez").await, Some(true));
    let words_without_person: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM portal_words pw WHERE NOT EXISTS (SELECT 1 FROM member_words mw WHERE mw.portal_id = pw.portal_id AND mw.word = pw.word)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(words_without_person, 0);
}
