//! Adding people: the invite dialog ("Invite using e-mail", "Register"), the link a
//! person opens to join, and the Invited list where invitations are resent or
//! cancelled. Links are random, hashed at rest, single-use and expiring; a portal's
//! invitations are capped per day and per request.
//! Feature. May depend on: `registration` (the dialog's Quick registration tab),
//! `structure` (departments), `profile` (the position rule), `membership`, `access`,
//! `auth`, the platform and the base.

pub mod api;
pub mod bulk_ui;
#[cfg(feature = "ssr")]
pub mod export_server;
pub mod funnel;
pub mod funnel_ui;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::domain::Email;
use crate::domain::time::Moment;
use crate::domain::{NamedId, Plan};

/// Rows one request may invite.
pub const MAX_ROWS_PER_REQUEST: usize = 256;
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// The invitation text a portal sends unless its plan allows its own.
pub fn default_message(portal_name: &str) -> String {
    format!("Join us on {portal_name}'s Bitrix24: our intranet for news, chat, workgroups and the company structure.")
}

/// Plans on which the invitation text may be changed.
pub fn plan_allows_custom_message(plan: Plan) -> bool {
    matches!(plan, Plan::Standard | Plan::Professional | Plan::CrmPlus | Plan::ProjectPlus)
}

/// Splits what was typed or pasted into "E-mail addresses": commas, semicolons, spaces
/// and line breaks separate addresses (a pasted spreadsheet column works). Duplicates
/// are dropped; bad entries are reported with the reason, in the order given.
pub fn parse_address_list(text: &str) -> (Vec<Email>, Vec<(String, String)>) {
    let mut good: Vec<Email> = Vec::new();
    let mut bad = Vec::new();
    for entry in
        text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).map(|e| e.trim_matches(|c| c == '<' || c == '>' || c == '"'))
    {
        if entry.is_empty() {
            continue;
        }
        match Email::parse(entry) {
            Ok(email) if !good.contains(&email) => good.push(email),
            Ok(_) => {}
            Err(message) => bad.push((entry.to_string(), message)),
        }
    }
    (good, bad)
}

/// What the invite dialog needs to draw itself for this person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteDialog {
    pub portal_name: String,
    pub plan: Plan,
    pub default_message: String,
    pub message_editable: bool,
    pub departments: Vec<NamedId>,
    pub workgroups: Vec<NamedId>,
    pub can_register: bool,
    pub invitations_left_today: i64,
    /// The fixed SMS text, with a placeholder for the link.
    pub sms_text: String,
    /// False until an administrator of the portal has confirmed their e-mail address.
    pub may_send: bool,
    /// The caller's own address, when it is the one waiting for confirmation.
    pub address_to_confirm: Option<String>,
}

/// The answer to an invite request: per address, what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InviteReport {
    pub invited: Vec<String>,
    /// Already invited and still pending: sent again instead.
    pub resent: Vec<String>,
    /// (address as typed, why not)
    pub refused: Vec<(String, String)>,
}

/// Rows one bulk invitation may hold: a thousand people and room to spare.
pub const MAX_BULK_ROWS: usize = 2000;

/// What the bulk invitation's preview says of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkStatus {
    Ready,
    DuplicateInList,
    AlreadyMember,
    AlreadyInvited,
    /// A bad e-mail address or phone number.
    BadRow,
    UnknownDepartment,
    /// A name or position the profile would refuse (too long, special characters), or a
    /// row broken by an unclosed quote.
    CheckRow,
}

impl BulkStatus {
    pub fn label(self) -> &'static str {
        match self {
            BulkStatus::Ready => "Ready",
            BulkStatus::DuplicateInList => "Duplicate in the list",
            BulkStatus::AlreadyMember => "Already a member",
            BulkStatus::AlreadyInvited => "Already invited",
            BulkStatus::BadRow => "Bad address or number",
            BulkStatus::UnknownDepartment => "Unknown department",
            BulkStatus::CheckRow => "Check this row",
        }
    }
}

/// One row of the list, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRow {
    /// The row's line in the list, from 1.
    pub line: usize,
    /// The e-mail address or phone number as the server reads it (as typed when bad).
    pub contact: String,
    pub first_name: String,
    pub last_name: String,
    /// The department's name, or the top department's when the row names none.
    pub department: String,
    pub position: String,
    pub status: BulkStatus,
    /// Why the row is not sent; empty when it is ready.
    pub reason: String,
}

/// The preview of a bulk invitation: every row with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub rows: Vec<BulkRow>,
    pub ready: usize,
    pub invitations_left_today: i64,
}

/// "Send": how many were invited and how many rows were left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkSent {
    pub invited: usize,
    pub left_out: usize,
}

/// "Complete your registration": what the administrator entered for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationCompletion {
    pub portal_name: String,
    pub first_name: String,
    pub last_name: String,
    pub position: String,
    pub login: String,
}

/// One row of Employees > Invited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: i64,
    pub channel: String,
    pub target: String,
    pub department: String,
    pub invited_by: String,
    pub sent_at: Moment,
    pub expires_at: Moment,
    /// queued, sent, failed: <reason>, accepted, cancelled, expired
    pub delivery: String,
    pub can_manage: bool,
}

/// Which invitations Employees > Invited shows. An accepted invitation leaves the
/// default view (the person is under Employees now) but stays findable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum InvitedShow {
    #[default]
    Waiting,
    Accepted,
    Cancelled,
    All,
}

impl InvitedShow {
    pub const ALL: [InvitedShow; 4] = [InvitedShow::Waiting, InvitedShow::Accepted, InvitedShow::Cancelled, InvitedShow::All];

    pub fn key(self) -> &'static str {
        match self {
            InvitedShow::Waiting => "waiting",
            InvitedShow::Accepted => "accepted",
            InvitedShow::Cancelled => "cancelled",
            InvitedShow::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InvitedShow::Waiting => "Waiting to join",
            InvitedShow::Accepted => "Accepted",
            InvitedShow::Cancelled => "Cancelled",
            InvitedShow::All => "All invitations",
        }
    }

    pub fn from_key(key: &str) -> InvitedShow {
        InvitedShow::ALL.into_iter().find(|show| show.key() == key).unwrap_or_default()
    }
}

/// Invitations shown per page of Employees > Invited.
pub const INVITED_PAGE_SIZE: i64 = 50;

/// One page of Employees > Invited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitedPage {
    pub rows: Vec<InvitationRow>,
    /// How many invitations match, over all pages.
    pub total: i64,
    /// From 1.
    pub page: i64,
    pub pages: i64,
}

/// What the invitation link's page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvitationState {
    /// Fill in name and password (no account with this login yet).
    NewAccount,
    /// The address has an account: log in as it, then join.
    LogInFirst,
    /// Logged in as the invited account: one click joins.
    JoinAs {
        name: String,
    },
    /// Logged in as someone else.
    WrongAccount {
        logged_in_as: String,
    },
    Expired,
    Used,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationPage {
    pub portal_name: String,
    pub portal_slug: String,
    pub inviter: String,
    pub target: String,
    pub message: String,
    pub state: InvitationState,
    /// The name the inviter's list gave, to fill in the registration form.
    pub first_name: String,
    pub last_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_split_on_any_separator_and_report_bad_rows() {
        let pasted = "ann@acme.test, bo@acme.test;cy@acme.test\r\n\"dee@acme.test\"\n<eve@acme.test>\tANN@acme.test\nnot-an-address\n\n";
        let (good, bad) = parse_address_list(pasted);
        let good: Vec<&str> = good.iter().map(Email::as_str).collect();
        assert_eq!(good, ["ann@acme.test", "bo@acme.test", "cy@acme.test", "dee@acme.test", "eve@acme.test"]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "not-an-address");
    }

    #[test]
    fn custom_text_only_on_the_named_plans() {
        let allowed: Vec<Plan> = Plan::ALL.iter().copied().filter(|p| plan_allows_custom_message(*p)).collect();
        assert_eq!(allowed, [Plan::Standard, Plan::Professional, Plan::CrmPlus, Plan::ProjectPlus]);
    }
}
