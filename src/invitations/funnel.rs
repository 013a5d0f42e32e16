//! The invitation funnel (Employees > Invited > Funnel): how far each invitation got, and
//! the sums by channel, inviter or week. Shared by the server, which counts, and the
//! page, which shows.

use serde::{Deserialize, Serialize};

use crate::domain::time::Moment;

/// The steps an invitation goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FunnelStep {
    Sent,
    Delivered,
    LinkOpened,
    Registered,
    Active,
}

impl FunnelStep {
    pub const ALL: [FunnelStep; 5] =
        [FunnelStep::Sent, FunnelStep::Delivered, FunnelStep::LinkOpened, FunnelStep::Registered, FunnelStep::Active];

    pub fn label(self) -> &'static str {
        match self {
            FunnelStep::Sent => "Sent",
            FunnelStep::Delivered => "Delivered",
            FunnelStep::LinkOpened => "Link opened",
            FunnelStep::Registered => "Registered",
            FunnelStep::Active => "Active",
        }
    }
}

/// How the funnel's sums are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FunnelGrouping {
    #[default]
    Channel,
    Inviter,
    Week,
}

impl FunnelGrouping {
    pub const ALL: [FunnelGrouping; 3] = [FunnelGrouping::Channel, FunnelGrouping::Inviter, FunnelGrouping::Week];

    pub fn key(self) -> &'static str {
        match self {
            FunnelGrouping::Channel => "channel",
            FunnelGrouping::Inviter => "inviter",
            FunnelGrouping::Week => "week",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FunnelGrouping::Channel => "By channel",
            FunnelGrouping::Inviter => "By inviter",
            FunnelGrouping::Week => "By week",
        }
    }

    /// The heading of the table's first column.
    pub fn column(self) -> &'static str {
        match self {
            FunnelGrouping::Channel => "Channel",
            FunnelGrouping::Inviter => "Invited by",
            FunnelGrouping::Week => "Week of",
        }
    }

    pub fn from_key(key: &str) -> FunnelGrouping {
        FunnelGrouping::ALL.into_iter().find(|g| g.key() == key).unwrap_or_default()
    }
}

/// The name a channel has on the page and in the export.
pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "email" => "E-mail",
        "sms" => "SMS",
        "quick_registration" => "Quick registration",
        "invite_link" => "Invite link",
        _ => "Other",
    }
}

/// One group's sums: how many reached each step, in the order of [`FunnelStep::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelCounts {
    pub label: String,
    pub counts: [i64; 5],
}

/// One invitation (or registration through a link) and when it reached each step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    /// E-mail, SMS, Quick registration, or "Invite link: <name>".
    pub channel: String,
    /// The address or number invited, or the address that registered.
    pub contact: String,
    pub invited_by: String,
    /// In the order of [`FunnelStep::ALL`]; None for a step not reached.
    pub steps: [Option<Moment>; 5],
}

/// The "Show" choice of Employees > Invited that opens the funnel.
pub const FUNNEL_KEY: &str = "funnel";

/// The address of a download: `by` is a grouping's key for the sums, or `invitation` for
/// every row with its times.
pub fn funnel_csv_href(slug: &str, by: &str) -> String {
    format!("/p/{slug}/employees/invited/funnel.csv?by={by}")
}

/// Rows of the funnel's list per page.
pub const FUNNEL_PAGE_SIZE: i64 = 50;

/// Employees > Invited > Funnel, as one answer: the sums, the chart drawn from them, and
/// one page of the rows they were counted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub grouping: FunnelGrouping,
    pub groups: Vec<FunnelCounts>,
    pub total: [i64; 5],
    /// The chart as SVG, drawn by the server from `total`.
    pub chart: String,
    pub rows: Vec<FunnelRow>,
    /// From 1.
    pub page: i64,
    pub pages: i64,
}

/// "12 of 40 (30%)": a step's count against the invitations sent.
pub fn share_of_sent(count: i64, sent: i64) -> String {
    if sent == 0 { "0%".to_string() } else { format!("{}%", (count * 100 + sent / 2) / sent) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings_round_trip_and_default_to_channel() {
        for grouping in FunnelGrouping::ALL {
            assert_eq!(FunnelGrouping::from_key(grouping.key()), grouping);
        }
        assert_eq!(FunnelGrouping::from_key("nonsense"), FunnelGrouping::Channel);
    }

    #[test]
    fn shares_round_to_whole_percent() {
        assert_eq!(share_of_sent(0, 0), "0%");
        assert_eq!(share_of_sent(1, 3), "33%");
        assert_eq!(share_of_sent(2, 3), "67%");
        assert_eq!(share_of_sent(3, 3), "100%");
    }
}
