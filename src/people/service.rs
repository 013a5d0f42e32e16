use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{EmployeeFilter, EmployeePage, EmployeeRow, PersonProfile};
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::auth::session;
use crate::domain::search_pattern;
use crate::domain::{MembershipStatus, NamedId, Role};
use crate::error::AppError;
use crate::live::Topic;
use crate::live::server::notify;
use crate::structure::service::department_choices;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cursor {
    #[default]
    First,
    After(i64),
    Before(i64),
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    account_id: i64,
    first_name: String,
    last_name: String,
    position: String,
    department: String,
    contact_email: Option<String>,
    role: Role,
    /// People awaiting approval in the portal (administrators only; 0 otherwise), the
    /// same on every row: the "Pending" tab's badge, without a query of its own.
    pending: i64,
}

/// What a page reads of each of its people's memberships.
const LISTED_COLUMNS: &str = "account_id, position, contact_email, role, department_id, sort_name";

/// How many people of the list a search walks in name order before it turns to the
/// trigram index instead.
const SEARCH_SCAN_BUDGET: i64 = 2_000;

/// How a page's people are found.
enum Strategy<'a> {
    /// In list order (the `memberships_list` index), the page and one more.
    InOrder,
    /// The first this-many people in list order, of whom those matching the pattern.
    InOrderUpTo(i64, &'a str),
    /// Every match from the trigram index, sorted.
    FromIndex(&'a str),
    /// The first people in list order of each of these words (those of the portal's
    /// words that contain a one-word search), merged.
    ByWords(&'a [String]),
}

/// A one-word search goes word by word when at most this many of the portal's words
/// contain it; more (a few letters of every e-mail address, say), and it takes every
/// match from the trigram index instead.
const SEARCH_MAX_WORDS: i64 = 32;

/// One page of a filter, from a cursor, in either direction.
struct PageQuery<'a> {
    caller: &'a PortalCaller,
    filter: EmployeeFilter,
    anchor: Option<&'a (String, i64)>,
    backwards: bool,
}

impl PageQuery<'_> {
    /// Built per request so each combination gets its own plan (a generic plan full of
    /// "$n IS NULL OR" would not use the indexes). The page's people are chosen first
    /// and only those 51 are joined to their accounts and departments. The page size is
    /// written into the text rather than bound: a kept plan then knows a page is 51
    /// people (a bound limit is guessed at a share of the whole portal, and a plan for
    /// that many joins them by reading every account).
    fn build<'q>(&self, strategy: Strategy<'q>) -> sqlx::QueryBuilder<'q, sqlx::Postgres> {
        let order = if self.backwards { " ORDER BY sort_name DESC, account_id DESC" } else { " ORDER BY sort_name, account_id" };
        // Logins are private: only administrators find people by them.
        let search_column = if self.caller.is_admin { "search_text" } else { "search_public" };
        let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        if let Strategy::FromIndex(pattern) = strategy {
            // Materialized, so the planner cannot trade the index for an ordered walk.
            // Only the sort key is kept of every match (a common surname matches tens of
            // thousands at a million people): the page's 51 are read in full afterwards.
            query.push("WITH found AS MATERIALIZED (");
            self.push_members(&mut query, "sort_name, account_id");
            query.push(" AND ").push(search_column).push(" LIKE ").push_bind(pattern.to_string()).push(") ");
        }
        query.push("SELECT m.account_id, a.first_name, a.last_name, m.position, d.name AS department, m.contact_email, m.role, ");
        if self.caller.is_admin {
            query
                .push("(SELECT count(*) FROM memberships WHERE portal_id = ")
                .push_bind(self.caller.portal_id)
                .push(" AND status = 'pending_approval')");
        } else {
            query.push("0::int8");
        }
        query.push(" AS pending FROM (");
        match strategy {
            Strategy::InOrder => {
                self.push_members(&mut query, LISTED_COLUMNS);
                query.push(order);
            }
            Strategy::InOrderUpTo(budget, pattern) => {
                query.push("SELECT * FROM (");
                self.push_members(&mut query, &format!("{LISTED_COLUMNS}, {search_column} AS search"));
                query.push(order).push(" LIMIT ").push_bind(budget);
                query.push(") walked WHERE search LIKE ").push_bind(pattern.to_string()).push(order);
            }
            Strategy::FromIndex(_) => {
                query.push("SELECT listed.* FROM (SELECT * FROM found").push(order).push(" LIMIT ").push(PAGE_SIZE + 1);
                self.push_listed_rows(&mut query);
            }
            Strategy::ByWords(words) => {
                // A person found by two of the words counts once.
                query.push("SELECT listed.* FROM (SELECT DISTINCT sort_name, account_id FROM unnest(").push_bind(words.to_vec());
                query.push("::text[]) AS w (word) CROSS JOIN LATERAL (SELECT sort_name, account_id FROM member_words WHERE portal_id = ");
                query.push_bind(self.caller.portal_id).push(" AND status = ").push_bind(self.filter.status()).push(" AND word = w.word");
                if !self.caller.is_admin {
                    query.push(" AND NOT private");
                }
                self.push_anchor(&mut query);
                query.push(order).push(" LIMIT ").push(PAGE_SIZE + 1).push(") found");
                query.push(order).push(" LIMIT ").push(PAGE_SIZE + 1);
                self.push_listed_rows(&mut query);
            }
        }
        query.push(" LIMIT ").push(PAGE_SIZE + 1);
        query.push(") m JOIN accounts a ON a.id = m.account_id JOIN departments d ON d.id = m.department_id");
        query.push(if self.backwards { " ORDER BY m.sort_name DESC, m.account_id DESC" } else { " ORDER BY m.sort_name, m.account_id" });
        query
    }

    /// `SELECT columns FROM memberships WHERE` the filter and the cursor.
    fn push_members(&self, query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, columns: &str) {
        query.push("SELECT ").push(columns).push(" FROM memberships WHERE portal_id = ").push_bind(self.caller.portal_id);
        query.push(" AND status = ").push_bind(self.filter.status());
        if self.filter == EmployeeFilter::Administrators {
            query.push(" AND role = 'admin'");
        }
        self.push_anchor(query);
    }

    /// Closes a `SELECT listed.* FROM (` the page's keys `) page` and joins their
    /// memberships in full.
    fn push_listed_rows(&self, query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>) {
        query.push(") page JOIN memberships listed ON listed.portal_id = ").push_bind(self.caller.portal_id);
        query.push(" AND listed.account_id = page.account_id");
    }

    /// ` AND (sort_name, account_id)` past the cursor, in the page's direction.
    fn push_anchor(&self, query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>) {
        if let Some((sort_name, id)) = self.anchor {
            query.push(if self.backwards { " AND (sort_name, account_id) < (" } else { " AND (sort_name, account_id) > (" });
            query.push_bind(sort_name.clone()).push(", ").push_bind(*id).push(")");
        }
    }

    /// The portal's words that contain a one-word search, when the search can go word by
    /// word: ASCII letters and digits alone (so it lies inside one word; see migration
    /// 0024), three or more of them (the trigram index finds nothing shorter), at most
    /// [`SEARCH_MAX_WORDS`] words, and not the administrators filter (the words do not
    /// know roles). Colleagues see only public words: a word that only logins have
    /// neither finds nor, by its count, hints at anyone.
    async fn matching_words(&self, pool: &PgPool, search: &str, pattern: &str) -> Result<Option<Vec<String>>, AppError> {
        let search = search.trim();
        let one_word = search.chars().all(|c| c.is_ascii_alphanumeric());
        if !one_word || search.len() < 3 || self.filter == EmployeeFilter::Administrators {
            return Ok(None);
        }
        // Not kept as a prepared statement, for the reason `list_employees` gives.
        let words: Vec<String> =
            sqlx::query_scalar("SELECT word FROM portal_words WHERE portal_id = $1 AND word LIKE $2 AND (public OR $3) LIMIT $4")
                .bind(self.caller.portal_id)
                .bind(pattern)
                .bind(self.caller.is_admin)
                .bind(SEARCH_MAX_WORDS + 1)
                .persistent(false)
                .fetch_all(pool)
                .await?;
        Ok((words.len() as i64 <= SEARCH_MAX_WORDS).then_some(words))
    }
}

/// One page of a filter. Keyset pagination on (sort_name, account_id): every page costs
/// the same index range scan, however deep.
pub async fn list_employees(
    pool: &PgPool,
    caller: &PortalCaller,
    filter: EmployeeFilter,
    search: &str,
    cursor: Cursor,
) -> Result<EmployeePage, AppError> {
    if filter.admins_only() {
        caller.require_admin()?;
    }
    crate::domain::check_search(search).map_err(|m| AppError::invalid("search", m))?;
    let pattern = search_pattern(search);
    let anchor_id = match cursor {
        Cursor::First => None,
        Cursor::After(id) | Cursor::Before(id) => Some(id),
    };
    let anchor = match anchor_id {
        Some(id) => sqlx::query_scalar!("SELECT sort_name FROM memberships WHERE portal_id = $1 AND account_id = $2", caller.portal_id, id)
            .fetch_optional(pool)
            .await?
            .map(|sort_name| (sort_name, id)),
        None => None,
    };
    let backwards = matches!(cursor, Cursor::Before(_)) && anchor.is_some();

    let page = PageQuery { caller, filter, anchor: anchor.as_ref(), backwards };
    // A search is not kept as a prepared statement: Postgres would switch a kept one to
    // a generic plan after five runs, and a plan that does not know the search word
    // cannot tell a walk from a trigram lookup. A page in list order has one good plan
    // (the `memberships_list` index) whatever its portal and cursor, and is kept, so the
    // most visited page is not parsed and planned again on every visit.
    let mut rows: Vec<ListedRow> = match &pattern {
        None => page.build(Strategy::InOrder).build_query_as().fetch_all(pool).await?,
        // A search walks the list in order for a while: a common word ("developer") fills
        // the page within a few hundred rows. A rare word, or one whose people sit
        // together in name order ("Garcia": every Garcia comes after every Adams), does
        // not; then the matches are taken from the trigram index and sorted.
        Some(pattern) => {
            let scanned: Vec<ListedRow> =
                page.build(Strategy::InOrderUpTo(SEARCH_SCAN_BUDGET, pattern)).build_query_as().persistent(false).fetch_all(pool).await?;
            if scanned.len() as i64 > PAGE_SIZE {
                scanned
            } else if let Some(words) = page.matching_words(pool, search, pattern).await? {
                page.build(Strategy::ByWords(&words)).build_query_as().persistent(false).fetch_all(pool).await?
            } else {
                page.build(Strategy::FromIndex(pattern)).build_query_as().persistent(false).fetch_all(pool).await?
            }
        }
    };

    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if backwards {
        rows.reverse();
    }
    let first = rows.first().map(|r| r.account_id);
    let last = rows.last().map(|r| r.account_id);
    let (previous, next) = match (anchor.is_some(), backwards) {
        (false, _) => (None, if more { last } else { None }),
        (true, false) => (first, if more { last } else { None }),
        (true, true) => (if more { first } else { None }, last),
    };
    let pending_count = match rows.first() {
        Some(row) => row.pending,
        // An empty page carries no count; only then is it asked for on its own.
        None if caller.is_admin => {
            sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM memberships WHERE portal_id = $1 AND status = 'pending_approval'"#,
                caller.portal_id
            )
            .fetch_one(pool)
            .await?
        }
        None => 0,
    };
    Ok(EmployeePage {
        rows: rows
            .into_iter()
            .map(|r| EmployeeRow {
                account_id: r.account_id,
                name: format!("{} {}", r.first_name, r.last_name),
                position: r.position,
                department: r.department,
                contact_email: r.contact_email,
                is_admin: r.role == Role::Admin,
            })
            .collect(),
        previous,
        next,
        viewer_is_admin: caller.is_admin,
        pending_count,
    })
}

/// A person's page. Colleagues see active people; administrators see everyone.
pub async fn profile(pool: &PgPool, caller: &PortalCaller, account_id: i64) -> Result<PersonProfile, AppError> {
    let row = sqlx::query!(
        "SELECT a.first_name, a.last_name, a.login, m.position, m.phone, m.contact_email, m.status AS \"status: MembershipStatus\", m.role AS \"role: Role\",
                d.id AS department_id, d.name AS department_name, mb.address AS \"mailbox_email?\",
                EXISTS (SELECT 1 FROM two_factor t WHERE t.account_id = m.account_id AND t.enabled_at IS NOT NULL) AS \"two_factor!\"
         FROM memberships m JOIN accounts a ON a.id = m.account_id JOIN departments d ON d.id = m.department_id
         LEFT JOIN mailboxes mb ON mb.portal_id = m.portal_id AND mb.account_id = m.account_id
         WHERE m.portal_id = $1 AND m.account_id = $2",
        caller.portal_id,
        account_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.status != MembershipStatus::Active && !caller.is_admin {
        return Err(AppError::NotFound);
    }
    let workgroups = sqlx::query_as!(
        NamedId,
        "SELECT w.id, w.name FROM workgroup_members wm JOIN workgroups w ON w.id = wm.workgroup_id
         WHERE wm.portal_id = $1 AND wm.account_id = $2 ORDER BY lower(w.name)",
        caller.portal_id,
        account_id
    )
    .fetch_all(pool)
    .await?;
    let department_choices = if caller.is_admin { department_choices(pool, caller.portal_id).await? } else { Vec::new() };
    Ok(PersonProfile {
        account_id,
        name: format!("{} {}", row.first_name, row.last_name),
        position: row.position,
        phone: row.phone,
        contact_email: row.contact_email,
        login: if caller.is_admin || caller.account_id == account_id { Some(row.login) } else { None },
        mailbox_email: if caller.is_admin || caller.account_id == account_id { row.mailbox_email } else { None },
        department: NamedId { id: row.department_id, name: row.department_name },
        status: row.status,
        is_admin: row.role == Role::Admin,
        workgroups,
        viewer_is_admin: caller.is_admin,
        two_factor_on: caller.is_admin.then_some(row.two_factor),
        is_me: caller.account_id == account_id,
        department_choices,
    })
}

/// What an administrator can do to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonAction {
    MakeAdmin,
    RemoveAdmin,
    Dismiss,
    Hire,
}

impl PersonAction {
    pub fn parse(raw: &str) -> Result<PersonAction, AppError> {
        match raw {
            "make_admin" => Ok(PersonAction::MakeAdmin),
            "remove_admin" => Ok(PersonAction::RemoveAdmin),
            "dismiss" => Ok(PersonAction::Dismiss),
            "hire" => Ok(PersonAction::Hire),
            _ => Err(AppError::invalid("action", "Unknown action.")),
        }
    }

    fn audit_name(self) -> &'static str {
        match self {
            PersonAction::MakeAdmin => "made administrator",
            PersonAction::RemoveAdmin => "removed administrator",
            PersonAction::Dismiss => "dismissed",
            PersonAction::Hire => "hired again",
        }
    }
}

pub const LAST_ADMIN_MESSAGE: &str = "This is the last active administrator of the portal. Make someone else an administrator first.";

/// Applies an administrator's action to a person, in one transaction with its audit
/// entry. Dismissal blocks the portal at once (every portal request checks the status)
/// and ends the person's sessions unless they are still active in another portal.
pub async fn act_on_person(
    pool: &PgPool,
    caller: &PortalCaller,
    account_id: i64,
    action: PersonAction,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let member = sqlx::query!(
        r#"SELECT status AS "status: MembershipStatus", role AS "role: Role" FROM memberships WHERE portal_id = $1 AND account_id = $2 FOR UPDATE"#,
        caller.portal_id,
        account_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let is_active_admin = member.status == MembershipStatus::Active && member.role == Role::Admin;
    if matches!(action, PersonAction::RemoveAdmin | PersonAction::Dismiss) && is_active_admin {
        let other_admins = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM memberships
               WHERE portal_id = $1 AND role = 'admin' AND status = 'active' AND account_id <> $2"#,
            caller.portal_id,
            account_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if other_admins == 0 {
            return Err(AppError::Conflict(LAST_ADMIN_MESSAGE.into()));
        }
    }
    let (status, role) = match action {
        PersonAction::MakeAdmin | PersonAction::RemoveAdmin if member.status != MembershipStatus::Active => {
            return Err(AppError::Conflict("Only active employees can be made or removed as administrators.".into()));
        }
        PersonAction::MakeAdmin => (MembershipStatus::Active, Role::Admin),
        PersonAction::RemoveAdmin => (MembershipStatus::Active, Role::Employee),
        PersonAction::Dismiss if member.status != MembershipStatus::Active => {
            return Err(AppError::Conflict("Only active employees can be dismissed.".into()));
        }
        // A dismissed administrator comes back, if hired again, as an employee: rights
        // are granted again on purpose, never restored by accident.
        PersonAction::Dismiss => (MembershipStatus::Dismissed, Role::Employee),
        PersonAction::Hire if member.status != MembershipStatus::Dismissed => {
            return Err(AppError::Conflict("Only dismissed employees can be hired again.".into()));
        }
        PersonAction::Hire => (MembershipStatus::Active, member.role),
    };
    sqlx::query!(
        "UPDATE memberships SET status = $3, role = $4 WHERE portal_id = $1 AND account_id = $2",
        caller.portal_id,
        account_id,
        status as MembershipStatus,
        role as Role
    )
    .execute(&mut *tx)
    .await?;
    if action == PersonAction::Dismiss {
        let active_elsewhere = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE account_id = $1 AND status = 'active') AS "active!""#,
            account_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if !active_elsewhere {
            session::end_all_for_account(&mut *tx, account_id, None).await?;
        }
    }
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, action.audit_name(), Some(account_id), "", now).await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    notify(&mut *tx, caller.portal_id, Topic::Access).await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator resets a person's two-factor log-in (a lost phone and no recovery
/// codes left): the person logs in with the password alone until they set it up again.
/// Written to this portal's audit log, to the person's security log, and as a notice to
/// the person. Their own set-up they turn off in their network profile.
pub async fn reset_two_factor(pool: &PgPool, caller: &PortalCaller, account_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    if account_id == caller.account_id {
        return Err(AppError::Conflict("Turn your own two-factor log-in off in your network profile.".into()));
    }
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    // Only the portal's own active people: an account that merely shares the server is
    // none of this administrator's business.
    let active = crate::access::is_active_member(&mut tx, caller.portal_id, account_id).await?;
    if !active {
        return Err(AppError::NotFound);
    }
    // A reset weakens the log-in: only an administrator who uses two-factor log-in may do
    // it, and only for someone whose account no other portal relies on.
    if !crate::auth::two_factor::is_on(&mut tx, caller.account_id).await? {
        return Err(AppError::Conflict("Turn on two-factor log-in for yourself first, in your network profile.".into()));
    }
    let elsewhere = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE account_id = $1 AND portal_id <> $2 AND status = 'active') AS "elsewhere!""#,
        account_id,
        caller.portal_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if elsewhere {
        return Err(AppError::Conflict(
            "This person also works in other Bitrix24 portals, which their two-factor log-in protects too: \
             they turn it off themselves, with a recovery code, in their network profile."
                .into(),
        ));
    }
    if !crate::auth::two_factor::remove(&mut tx, account_id).await? {
        return Err(AppError::Conflict("This person does not use two-factor log-in.".into()));
    }
    let detail = format!("by an administrator of {}", caller.portal_name);
    crate::audit::security_event(&mut *tx, Some(account_id), "two-factor log-in reset", &detail, now).await?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "reset two-factor log-in", Some(account_id), "", now).await?;
    // By e-mail as well as in the bell: a reset the person did not ask for must reach them
    // even if they never open the portal.
    let login = sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1", account_id).fetch_one(&mut *tx).await?;
    if crate::domain::Email::parse(&login).is_ok() {
        let brand = crate::auth::letters::account_brand(&mut tx, account_id).await?;
        let letter = crate::auth::letters::TwoFactorReset { brand: &brand, portal: &caller.portal_name };
        crate::mail::outbox::enqueue_email(&mut *tx, &login, &crate::auth::letters::two_factor_reset(&letter)?, &[]).await?;
    }
    let text =
        "An administrator reset your two-factor log-in: you now log in with your password alone. Set it up again in your network profile.";
    crate::notices::server::for_account(
        &mut tx,
        caller.portal_id,
        account_id,
        crate::notices::NoticeKind::Security,
        caller.account_id,
        text,
        now,
    )
    .await?;
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    // An administrator held back by the portal's two-factor rule is so again at once.
    notify(&mut *tx, caller.portal_id, Topic::Access).await?;
    tx.commit().await?;
    Ok(())
}
