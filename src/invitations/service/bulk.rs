//! Bulk invitation from a list (pasted, or an uploaded CSV file): a preview that says of
//! every row whether it is ready or why not, and "Send", which reads the list again under
//! the portal's lock and invites only the ready rows, in one transaction with their
//! outbox messages. For administrators.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use super::sending::{message_for, write_sends};
use super::{inviter_name, members_among, portal_facts, sent_today};
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::crypto::tokens::new_secret;
use crate::domain::phone::PhoneNumber;
use crate::domain::{Channel, Email};
use crate::error::AppError;
use crate::invitations::{BulkPreview, BulkRow, BulkSent, BulkStatus, MAX_BULK_ROWS, default_message};
use crate::live::{Topic, server::notify};
use crate::profile::MAX_NAME_CHARS;
use crate::server::config::Config;

/// The longest list accepted, in bytes: 2,000 rows of about 250 characters.
pub const MAX_LIST_BYTES: usize = 512 * 1024;

/// One row as the list gives it, before anything is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedRow {
    pub line: usize,
    pub contact: String,
    pub first_name: String,
    pub last_name: String,
    pub department: String,
    pub position: String,
}

/// Which column holds what; without a header row, the order the page describes.
#[derive(Debug, Clone, Copy)]
struct Columns {
    contact: usize,
    first_name: Option<usize>,
    last_name: Option<usize>,
    department: Option<usize>,
    position: Option<usize>,
}

const IN_ORDER: Columns = Columns { contact: 0, first_name: Some(1), last_name: Some(2), department: Some(3), position: Some(4) };

impl Columns {
    /// A header row names its columns ("E-mail", "First name", …): it is recognised by a
    /// first cell that is a column name rather than an address or number.
    fn from_header(cells: &[String]) -> Option<Columns> {
        let names: Vec<String> = cells.iter().map(|c| c.to_lowercase().replace(['-', '_'], " ")).collect();
        let find = |words: &[&str]| names.iter().position(|name| words.iter().any(|w| name.contains(w)));
        let contact = find(&["mail", "phone", "login", "contact"])?;
        // A first row with an address or number in it is a person ("Contact center" is a
        // department), not the names of the columns.
        if cells.iter().any(|cell| cell.contains('@') || cell.chars().any(|c| c.is_ascii_digit())) {
            return None;
        }
        Some(Columns {
            contact,
            first_name: find(&["first", "given"]),
            last_name: find(&["last", "family", "surname"]),
            department: find(&["department", "dept"]),
            position: find(&["position", "title"]),
        })
    }
}

/// Reads the list: CSV with commas, semicolons or tabs between fields (a spreadsheet's
/// paste has tabs), quoted fields allowed, an optional header row, blank lines skipped.
pub fn read_list(text: &str) -> Result<Vec<ListedRow>, String> {
    if text.len() > MAX_LIST_BYTES {
        return Err(format!("The list is too long (at most {} KB).", MAX_LIST_BYTES / 1024));
    }
    let first_line = text.lines().find(|line| !line.trim().is_empty()).unwrap_or_default();
    let delimiter = if first_line.contains('\t') {
        b'\t'
    } else if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).delimiter(delimiter).from_reader(text.as_bytes());
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| match error.position() {
            Some(at) => format!("Line {} cannot be read as CSV: check its quotes.", at.line()),
            None => "The list cannot be read as CSV.".to_string(),
        })?;
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.iter().any(|cell| !cell.is_empty()) {
            // The line in the text as the person sees it (the reader's own count skips blank lines).
            // A record's position is where the reader began, before any blank lines it skipped.
            let bytes = text.as_bytes();
            let mut start = record.position().map_or(0, |at| usize::try_from(at.byte()).unwrap_or(0)).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                start += 1;
            }
            let line = bytes[..start].iter().filter(|b| **b == b'\n').count() + 1;
            records.push((line, cells));
        }
    }
    let columns = match records.first().and_then(|(_, cells)| Columns::from_header(cells)) {
        Some(named) => {
            records.remove(0);
            named
        }
        None => IN_ORDER,
    };
    let rows: Vec<ListedRow> = records
        .into_iter()
        .map(|(line, cells)| {
            let cell = |at: Option<usize>| at.and_then(|i| cells.get(i)).cloned().unwrap_or_default();
            ListedRow {
                line,
                contact: cell(Some(columns.contact)),
                first_name: cell(columns.first_name),
                last_name: cell(columns.last_name),
                department: cell(columns.department),
                position: cell(columns.position),
            }
        })
        .collect();
    if rows.len() > MAX_BULK_ROWS {
        return Err(format!("At most {MAX_BULK_ROWS} rows in one list; this one has {}.", rows.len()));
    }
    Ok(rows)
}

/// A row with its reading: the channel and address it goes to, its department, and its
/// status.
struct Checked {
    row: BulkRow,
    channel: Channel,
    department_id: i64,
}

/// Reads and checks every row against the portal: the addresses and numbers, duplicates in
/// the list, members, pending invitations and department names. The same rules for the
/// preview and for "Send".
async fn check_rows(db: &mut PgConnection, config: &Config, portal_id: i64, text: &str) -> Result<Vec<Checked>, AppError> {
    let listed = read_list(text).map_err(|message| AppError::invalid("rows", message))?;
    if listed.is_empty() {
        return Err(AppError::invalid("rows", "Paste or upload at least one row: an e-mail address or phone number, then the names."));
    }
    let departments = sqlx::query!("SELECT id, name, parent_id IS NULL AS \"top!\" FROM departments WHERE portal_id = $1", portal_id)
        .fetch_all(&mut *db)
        .await?;
    let top = departments.iter().find(|d| d.top).map(|d| (d.id, d.name.clone())).unwrap_or_default();
    let mut by_name: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for department in &departments {
        by_name.entry(department.name.trim().to_lowercase()).or_default().push((department.id, department.name.clone()));
    }

    let mut checked = Vec::with_capacity(listed.len());
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for listed in listed {
        let (channel, contact, mut status, mut reason) = read_contact(&listed.contact, config.phone_region.as_deref());
        let (department_id, department) = match listed.department.trim() {
            "" => top.clone(),
            name => match by_name.get(&name.to_lowercase()).map(Vec::as_slice) {
                Some([(id, name)]) => (*id, name.clone()),
                Some(_) => {
                    note(&mut status, &mut reason, BulkStatus::UnknownDepartment, format!("Several departments are called {name}."));
                    (0, name.to_string())
                }
                None => {
                    note(&mut status, &mut reason, BulkStatus::UnknownDepartment, format!("No department is called {name}."));
                    (0, name.to_string())
                }
            },
        };
        let fields = [&listed.contact, &listed.first_name, &listed.last_name, &listed.department, &listed.position];
        if fields.iter().any(|field| field.contains('\n')) {
            // An unclosed quote runs on into the next lines.
            note(&mut status, &mut reason, BulkStatus::CheckRow, "This row runs over several lines: check its quotes.".into());
        }
        if listed.first_name.chars().count() > MAX_NAME_CHARS || listed.last_name.chars().count() > MAX_NAME_CHARS {
            note(&mut status, &mut reason, BulkStatus::CheckRow, format!("A name is too long (at most {MAX_NAME_CHARS} characters)."));
        }
        if fields.iter().any(|field| field.chars().any(char::is_control)) {
            note(&mut status, &mut reason, BulkStatus::CheckRow, "Remove the special characters (tabs, line breaks).".into());
        }
        if let Err(why) = crate::profile::parse_position(&listed.position) {
            note(&mut status, &mut reason, BulkStatus::CheckRow, format!("The position: {why}"));
        }
        if !matches!(status, BulkStatus::BadRow | BulkStatus::CheckRow) {
            if let Some(first) = first_line_of.get(&contact) {
                status = BulkStatus::DuplicateInList;
                reason = format!("The same as line {first}.");
            } else {
                first_line_of.insert(contact.clone(), listed.line);
            }
        }
        checked.push(Checked {
            row: BulkRow {
                line: listed.line,
                contact,
                first_name: listed.first_name,
                last_name: listed.last_name,
                department,
                position: listed.position,
                status,
                reason,
            },
            channel,
            department_id,
        });
    }

    // Members and pending invitations, for every readable address at once.
    let readable: Vec<String> = checked
        .iter()
        .filter(|c| !matches!(c.row.status, BulkStatus::BadRow | BulkStatus::CheckRow | BulkStatus::DuplicateInList))
        .map(|c| c.row.contact.clone())
        .collect();
    let members = members_among(db, portal_id, &readable).await?;
    let invited: HashSet<String> = sqlx::query_scalar!(
        "SELECT target FROM invitations WHERE portal_id = $1 AND status = 'pending' AND target = ANY($2)",
        portal_id,
        &readable
    )
    .fetch_all(&mut *db)
    .await?
    .into_iter()
    .collect();
    for row in checked.iter_mut().map(|c| &mut c.row) {
        if matches!(row.status, BulkStatus::BadRow | BulkStatus::CheckRow | BulkStatus::DuplicateInList) {
            continue;
        }
        if members.contains(&row.contact) {
            (row.status, row.reason) = (BulkStatus::AlreadyMember, "Already an employee of this portal.".into());
        } else if invited.contains(&row.contact) {
            (row.status, row.reason) =
                (BulkStatus::AlreadyInvited, "Invited already (maybe expired): resend it from Employees > Invited.".into());
        }
    }
    Ok(checked)
}

/// The first problem of a row is the one it shows (a bad address before a department).
fn note(status: &mut BulkStatus, reason: &mut String, found: BulkStatus, why: String) {
    if *status == BulkStatus::Ready {
        (*status, *reason) = (found, why);
    }
}

/// The channel and the address as the server reads it; a bad one keeps its text and says why.
fn read_contact(raw: &str, region: Option<&str>) -> (Channel, String, BulkStatus, String) {
    let typed = raw.trim();
    let bad = |why: String| (Channel::Email, typed.to_string(), BulkStatus::BadRow, why);
    if typed.contains('@') {
        return match Email::parse(typed) {
            Ok(email) => (Channel::Email, email.as_str().to_string(), BulkStatus::Ready, String::new()),
            Err(why) => bad(why),
        };
    }
    if typed.chars().any(|c| c.is_ascii_digit()) {
        return match PhoneNumber::parse(typed, region) {
            Ok(number) => (Channel::Sms, number.as_str().to_string(), BulkStatus::Ready, String::new()),
            Err(why) => bad(why),
        };
    }
    bad("Enter an e-mail address or a phone number.".into())
}

/// The preview: every row with its status, and how many invitations the day has left.
pub async fn preview(
    pool: &PgPool,
    config: &Config,
    caller: &PortalCaller,
    text: &str,
    now: DateTime<Utc>,
) -> Result<BulkPreview, AppError> {
    caller.require_admin()?;
    let mut db = pool.acquire().await?;
    let rows: Vec<BulkRow> = check_rows(&mut db, config, caller.portal_id, text).await?.into_iter().map(|c| c.row).collect();
    let facts = portal_facts(&mut db, caller.portal_id, false).await?;
    let left = (config.invites_per_day(facts.plan) - sent_today(&mut db, caller.portal_id, now).await?).max(0);
    Ok(BulkPreview { ready: rows.iter().filter(|r| r.status == BulkStatus::Ready).count(), rows, invitations_left_today: left })
}

/// "Send": the list is checked again under the portal's lock (the preview may be stale),
/// and only its ready rows are invited, each with its own link and message, in one
/// transaction with their outbox messages and audit entries.
pub async fn send(pool: &PgPool, config: &Config, caller: &PortalCaller, text: &str, now: DateTime<Utc>) -> Result<BulkSent, AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let facts = portal_facts(&mut tx, caller.portal_id, false).await?;
    let checked = check_rows(&mut tx, config, caller.portal_id, text).await?;
    let ready: Vec<&Checked> = checked.iter().filter(|c| c.row.status == BulkStatus::Ready).collect();
    if ready.is_empty() {
        return Err(AppError::invalid("rows", "No row is ready to send: the preview says why for each."));
    }
    let left = config.invites_per_day(facts.plan) - sent_today(&mut tx, caller.portal_id, now).await?;
    if ready.len() as i64 > left {
        return Err(AppError::invalid(
            "rows",
            format!(
                "This portal may send {} invitations a day on the {} plan; {} are left today, and this list has {} ready rows.",
                config.invites_per_day(facts.plan),
                facts.plan.name(),
                left.max(0),
                ready.len()
            ),
        ));
    }
    // E-mails carry the standard text; an SMS has its own fixed text and stores none.
    let email_text = default_message(&facts.name);
    let inviter = inviter_name(&mut tx, caller.account_id).await?;
    let expires = now + Duration::days(config.invitation_days);
    for channel in [Channel::Email, Channel::Sms] {
        let rows: Vec<&Checked> = ready.iter().copied().filter(|c| c.channel == channel).collect();
        if rows.is_empty() {
            continue;
        }
        let targets: Vec<String> = rows.iter().map(|c| c.row.contact.clone()).collect();
        let message = if channel == Channel::Email { email_text.as_str() } else { "" };
        let ids: HashMap<String, i64> = sqlx::query!(
            r#"INSERT INTO invitations (portal_id, channel, target, department_id, first_name, last_name, position, message,
                                       invited_by, created_at, sent_at, expires_at)
               SELECT $1, $2, t, d, f, l, p, $8, $9, $10, $10, $11
               FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS x(t, d, f, l, p)
               RETURNING id, target"#,
            caller.portal_id,
            channel as Channel,
            &targets,
            &rows.iter().map(|c| c.department_id).collect::<Vec<_>>(),
            &rows.iter().map(|c| c.row.first_name.clone()).collect::<Vec<_>>(),
            &rows.iter().map(|c| c.row.last_name.clone()).collect::<Vec<_>>(),
            &rows.iter().map(|c| c.row.position.clone()).collect::<Vec<_>>(),
            message,
            caller.account_id,
            now,
            expires
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.target, r.id))
        .collect();
        let invitation_ids: Vec<i64> = targets.iter().map(|t| ids.get(t).copied().unwrap_or_default()).collect();
        let (mut hashes, mut messages, mut tokens) = (Vec::new(), Vec::new(), Vec::new());
        for _ in &targets {
            let (token, hash) = new_secret();
            let link = config.link(&format!("/invite?token={token}"));
            messages.push(message_for(channel, &inviter, &facts.name, message, &link, expires)?);
            hashes.push(hash);
            tokens.push(token);
        }
        write_sends(&mut tx, config, caller, channel, &invitation_ids, &targets, &hashes, &messages, &tokens, now).await?;
        let how = if channel == Channel::Email { "by e-mail, from a list" } else { "by SMS, from a list" };
        sqlx::query!(
            "INSERT INTO audit_log (portal_id, actor_id, action, subject_id, detail, at)
             SELECT $1, $2, 'invited', NULL, $3 || ' to ' || t, $5 FROM unnest($4::text[]) AS t",
            caller.portal_id,
            caller.account_id,
            how,
            &targets,
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    notify(&mut *tx, caller.portal_id, Topic::People).await?;
    tx.commit().await?;
    Ok(BulkSent { invited: ready.len(), left_out: checked.len() - ready.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contacts(rows: &[ListedRow]) -> Vec<(usize, &str, &str)> {
        rows.iter().map(|r| (r.line, r.contact.as_str(), r.department.as_str())).collect()
    }

    #[test]
    fn lists_are_read_with_or_without_a_header_and_any_separator() {
        let plain = "ann@acme.test, Ann, Lee, Sales, Manager\n\n+1 415 555 0100,Bo,Berg\n";
        let rows = read_list(plain).unwrap_or_default();
        assert_eq!(contacts(&rows), [(1, "ann@acme.test", "Sales"), (3, "+1 415 555 0100", "")]);
        assert_eq!(rows[0].position, "Manager");

        let with_header = "Position;Department;E-mail;First name;Last name\nCEO;\"Board; Top\";cy@acme.test;Cy;Cole\n";
        let rows = read_list(with_header).unwrap_or_default();
        assert_eq!(contacts(&rows), [(2, "cy@acme.test", "Board; Top")]);
        assert_eq!((rows[0].first_name.as_str(), rows[0].last_name.as_str(), rows[0].position.as_str()), ("Cy", "Cole", "CEO"));

        let pasted_from_a_sheet = "dee@acme.test\tDee\tDunn\tSales\tAnalyst";
        assert_eq!(read_list(pasted_from_a_sheet).unwrap_or_default()[0].position, "Analyst");
    }

    #[test]
    fn long_lists_are_refused_with_the_count() {
        let text: String = (0..=MAX_BULK_ROWS).map(|i| format!("p{i}@acme.test\n")).collect();
        assert_eq!(read_list(&text).err(), Some(format!("At most {MAX_BULK_ROWS} rows in one list; this one has {}.", MAX_BULK_ROWS + 1)));
    }

    #[test]
    fn contacts_read_as_e_mail_or_phone() {
        assert_eq!(read_contact(" Ann@Acme.test ", None).1, "ann@acme.test");
        assert_eq!(read_contact("+1 415 555 0100", None).0, Channel::Sms);
        assert_eq!(read_contact("not an address", None).2, BulkStatus::BadRow);
        assert_eq!(read_contact("ann@", None).2, BulkStatus::BadRow);
    }
}
