//! The invitation funnel: each invitation's steps with their times, the sums by channel,
//! inviter or week, the chart, and the CSV export. Everything reads the
//! `invitation_funnel` view, so every count is the number of list rows that reached the
//! step. Administrators see the portal's whole funnel; anyone else the invitations they
//! sent themselves, like the Invited list.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::access::PortalCaller;
use crate::domain::time::moment;
use crate::error::AppError;
use crate::invitations::funnel::{
    FUNNEL_PAGE_SIZE, Funnel, FunnelCounts, FunnelGrouping, FunnelRow, FunnelStep, channel_label, share_of_sent,
};

/// The channels in the order the page lists them.
const CHANNEL_ORDER: [&str; 4] = ["email", "sms", "quick_registration", "invite_link"];

const NO_INVITER: &str = "No one (quick registration)";
const DELETED_ACCOUNT: &str = "Deleted account";
const ADDRESS_NOT_KEPT: &str = "Address not kept (never confirmed)";

/// Counts and rows are read in one snapshot, so a person joining in between cannot make
/// them disagree.
async fn snapshot(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    Ok(tx)
}

/// The caller's zone for the weeks, if the database knows its name (its time zone data
/// may be older than the server's); UTC otherwise.
async fn week_zone(tx: &mut PgConnection, caller: &PortalCaller) -> Result<&'static str, AppError> {
    let name = caller.zone.name();
    let mut check = sqlx::Connection::begin(&mut *tx).await?;
    let known = sqlx::query("SELECT now() AT TIME ZONE $1").bind(name).execute(&mut *check).await.is_ok();
    check.rollback().await?;
    Ok(if known { name } else { "UTC" })
}

/// The funnel's sums by the grouping, weeks in `zone`. Each row of the view belongs to
/// exactly one group, so the groups add up to the total.
async fn counts(tx: &mut PgConnection, caller: &PortalCaller, grouping: FunnelGrouping, zone: &str) -> Result<Vec<FunnelCounts>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT CASE $4 WHEN 'channel' THEN f.channel
                          WHEN 'inviter' THEN CASE WHEN f.channel = 'quick_registration' THEN 'quick'
                                                   ELSE coalesce(f.inviter_id::text, 'deleted') END
                          ELSE to_char(date_trunc('week', f.sent_at AT TIME ZONE $5), 'YYYY-MM-DD') END AS "key!",
                  min(coalesce(a.first_name || ' ' || a.last_name, '')) AS "inviter!",
                  count(*) AS "sent!", count(f.delivered_at) AS "delivered!", count(f.opened_at) AS "opened!",
                  count(f.registered_at) AS "registered!", count(f.active_at) AS "active!"
           FROM invitation_funnel f LEFT JOIN accounts a ON a.id = f.inviter_id
           WHERE f.portal_id = $1 AND ($2 OR (f.source = 'invitation' AND f.inviter_id = $3))
           GROUP BY 1"#,
        caller.portal_id,
        caller.is_admin,
        caller.account_id,
        grouping.key(),
        zone
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut groups: Vec<(String, FunnelCounts)> = rows
        .into_iter()
        .map(|r| {
            let label = match grouping {
                FunnelGrouping::Channel => channel_label(&r.key).to_string(),
                FunnelGrouping::Inviter if r.key == "quick" => NO_INVITER.to_string(),
                FunnelGrouping::Inviter if r.key == "deleted" => DELETED_ACCOUNT.to_string(),
                FunnelGrouping::Inviter => r.inviter,
                FunnelGrouping::Week => r.key.clone(),
            };
            (r.key, FunnelCounts { label, counts: [r.sent, r.delivered, r.opened, r.registered, r.active] })
        })
        .collect();
    match grouping {
        FunnelGrouping::Channel => groups.sort_by_key(|(key, _)| CHANNEL_ORDER.iter().position(|c| c == key)),
        FunnelGrouping::Inviter => groups.sort_by(|a, b| a.1.label.cmp(&b.1.label).then(a.0.cmp(&b.0))),
        // Newest week first.
        FunnelGrouping::Week => groups.sort_by(|a, b| b.0.cmp(&a.0)),
    }
    Ok(groups.into_iter().map(|(_, counts)| counts).collect())
}

/// The sums by the grouping, with the zone their weeks are in.
async fn grouped(
    tx: &mut PgConnection,
    caller: &PortalCaller,
    grouping: FunnelGrouping,
) -> Result<(&'static str, Vec<FunnelCounts>), AppError> {
    let zone = if grouping == FunnelGrouping::Week { week_zone(&mut *tx, caller).await? } else { "UTC" };
    Ok((zone, counts(tx, caller, grouping, zone).await?))
}

/// The sum of the groups, step by step.
pub fn total(groups: &[FunnelCounts]) -> [i64; 5] {
    let mut total = [0; 5];
    for group in groups {
        for (sum, count) in total.iter_mut().zip(group.counts) {
            *sum += count;
        }
    }
    total
}

/// One funnel row with the times as stored.
struct StoredRow {
    channel: String,
    contact: String,
    invited_by: String,
    steps: [Option<DateTime<Utc>>; 5],
}

/// The rows the counts are made of, newest first: one page, or all of them (`limit` None).
async fn rows(tx: &mut PgConnection, caller: &PortalCaller, limit: Option<i64>, offset: i64) -> Result<Vec<StoredRow>, AppError> {
    let found = sqlx::query!(
        r#"SELECT f.channel AS "channel!", f.contact AS "contact!", f.inviter_id, l.name AS "link_name?",
                  coalesce(a.first_name || ' ' || a.last_name, '') AS "invited_by!",
                  f.sent_at AS "sent_at!", f.delivered_at, f.opened_at, f.registered_at, f.active_at
           FROM invitation_funnel f
           LEFT JOIN accounts a ON a.id = f.inviter_id
           LEFT JOIN invite_links l ON l.id = f.invite_link_id
           WHERE f.portal_id = $1 AND ($2 OR (f.source = 'invitation' AND f.inviter_id = $3))
           ORDER BY f.sent_at DESC, f.source, f.id DESC
           LIMIT $4 OFFSET $5"#,
        caller.portal_id,
        caller.is_admin,
        caller.account_id,
        limit,
        offset
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(found
        .into_iter()
        .map(|r| StoredRow {
            invited_by: match (r.channel.as_str(), r.inviter_id) {
                ("quick_registration", _) => "—".to_string(),
                (_, None) => DELETED_ACCOUNT.to_string(),
                _ => r.invited_by,
            },
            channel: match r.link_name {
                Some(name) => format!("{}: {name}", channel_label(&r.channel)),
                None => channel_label(&r.channel).to_string(),
            },
            contact: if r.contact.is_empty() { ADDRESS_NOT_KEPT.to_string() } else { r.contact },
            steps: [Some(r.sent_at), r.delivered_at, r.opened_at, r.registered_at, r.active_at],
        })
        .collect())
}

/// Employees > Invited > Funnel: the sums by the grouping, the chart, and one page of rows
/// (a page past the end shows the last one).
pub async fn funnel(
    pool: &PgPool,
    caller: &PortalCaller,
    grouping: FunnelGrouping,
    page: i64,
    now: DateTime<Utc>,
) -> Result<Funnel, AppError> {
    let mut tx = snapshot(pool).await?;
    let (_, groups) = grouped(&mut tx, caller, grouping).await?;
    let total = total(&groups);
    // Every row is sent, so the first step's count is the number of rows.
    let pages = (total[0] + FUNNEL_PAGE_SIZE - 1) / FUNNEL_PAGE_SIZE;
    let page = page.clamp(1, pages.max(1));
    let stored = rows(&mut tx, caller, Some(FUNNEL_PAGE_SIZE), (page - 1) * FUNNEL_PAGE_SIZE).await?;
    tx.commit().await?;
    let rows = stored
        .into_iter()
        .map(|r| FunnelRow {
            channel: r.channel,
            contact: r.contact,
            invited_by: r.invited_by,
            steps: r.steps.map(|at| at.map(|at| moment(at, caller.zone, now))),
        })
        .collect();
    Ok(Funnel { grouping, groups, total, chart: chart(&total), rows, page, pages })
}

/// The funnel as a bar chart: one bar per step, as long as its count against the
/// invitations sent. Its title and description carry the numbers for screen readers; the
/// table beside it has them too. Labels sit above the bars so the text stays legible
/// when a phone's width scales the drawing down.
pub fn chart(total: &[i64; 5]) -> String {
    const WIDTH: i64 = 360;
    const BAR_MAX: i64 = 250;
    const ROW: i64 = 52;
    let sent = total[0];
    let widest = total.iter().copied().max().unwrap_or(0).max(1);
    let description: Vec<String> = FunnelStep::ALL
        .iter()
        .zip(total)
        .map(|(step, count)| format!("{}: {count} ({})", step.label(), share_of_sent(*count, sent)))
        .collect();
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="funnel-chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="funnel-chart-title" aria-describedby="funnel-chart-desc"><title id="funnel-chart-title">Invitation funnel</title><desc id="funnel-chart-desc">{desc}.</desc>"#,
        height = ROW * 5,
        desc = description.join(". ")
    );
    for (index, (step, count)) in FunnelStep::ALL.iter().zip(total).enumerate() {
        let top = index as i64 * ROW;
        let length = if *count == 0 { 0 } else { (count * BAR_MAX / widest).max(3) };
        svg.push_str(&format!(
            r#"<g class="funnel-step step-{index}"><text class="funnel-label" x="0" y="{label_y}">{label}</text><rect class="funnel-bar" x="0" y="{bar_y}" width="{length}" height="22" rx="3"></rect><text class="funnel-count" x="{count_x}" y="{count_y}">{count} ({share})</text></g>"#,
            label_y = top + 15,
            label = step.label(),
            bar_y = top + 21,
            count_x = length + 8,
            count_y = top + 37,
            share = share_of_sent(*count, sent),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A spreadsheet cell: text that a spreadsheet would run as a formula gets a leading
/// apostrophe (an invited address may start with "="), leading spaces or not.
fn cell(text: &str) -> String {
    if text.trim_start_matches(' ').starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

/// The export of every row the caller may see, with each step's time (UTC, RFC 3339).
pub async fn rows_csv(pool: &PgPool, caller: &PortalCaller) -> Result<String, AppError> {
    let mut tx = snapshot(pool).await?;
    let stored = rows(&mut tx, caller, None, 0).await?;
    tx.commit().await?;
    let mut heading = vec!["Channel".to_string(), "Invited".to_string(), "Invited by".to_string()];
    heading.extend(step_labels());
    let records = stored.into_iter().map(|row| {
        let mut record = vec![cell(&row.channel), cell(&row.contact), cell(&row.invited_by)];
        record.extend(row.steps.iter().map(|at| at.map(|at| at.to_rfc3339()).unwrap_or_default()));
        record
    });
    write_csv(heading, records)
}

/// The export of the sums by the grouping, with a closing "Total" row.
pub async fn counts_csv(pool: &PgPool, caller: &PortalCaller, grouping: FunnelGrouping) -> Result<String, AppError> {
    let mut tx = snapshot(pool).await?;
    let (zone, groups) = grouped(&mut tx, caller, grouping).await?;
    tx.commit().await?;
    let first = match grouping {
        FunnelGrouping::Week => format!("{} ({zone})", grouping.column()),
        _ => grouping.column().to_string(),
    };
    let mut heading = vec![first];
    heading.extend(step_labels());
    let total = FunnelCounts { label: "Total".into(), counts: total(&groups) };
    let records = groups.iter().chain(std::iter::once(&total)).map(|group| {
        let mut record = vec![cell(&group.label)];
        record.extend(group.counts.iter().map(|count| count.to_string()));
        record
    });
    write_csv(heading, records)
}

fn step_labels() -> impl Iterator<Item = String> {
    FunnelStep::ALL.iter().map(|step| step.label().to_string())
}

fn write_csv(heading: Vec<String>, records: impl Iterator<Item = Vec<String>>) -> Result<String, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&heading).map_err(|_| AppError::Internal)?;
    for record in records {
        out.write_record(&record).map_err(|_| AppError::Internal)?;
    }
    String::from_utf8(out.into_inner().map_err(|_| AppError::Internal)?).map_err(|_| AppError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_not_run_by_spreadsheets() {
        assert_eq!(cell("=HYPERLINK(\"x\")@acme.test"), "'=HYPERLINK(\"x\")@acme.test");
        assert_eq!(cell("+1 555"), "'+1 555");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("ann@acme.test"), "ann@acme.test");
    }

    #[test]
    fn the_chart_names_every_step_with_its_count_and_share() {
        let svg = chart(&[10, 8, 5, 4, 2]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<desc id=\"funnel-chart-desc\">Sent: 10 (100%). Delivered: 8 (80%). Link opened: 5 (50%). Registered: 4 (40%). Active: 2 (20%).</desc>"));
        // The longest bar is the widest count's; an empty step draws no bar.
        assert!(svg.contains(r#"width="250""#));
        assert!(chart(&[3, 0, 0, 0, 0]).contains(r#"width="0""#));
    }

    #[test]
    fn groups_add_up_to_the_total() {
        let groups = [
            FunnelCounts { label: "E-mail".into(), counts: [5, 4, 3, 2, 1] },
            FunnelCounts { label: "SMS".into(), counts: [2, 2, 1, 1, 1] },
        ];
        assert_eq!(total(&groups), [7, 6, 4, 3, 2]);
    }
}
