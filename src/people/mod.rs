//! People of a portal: the Employees lists (filters, search, keyset pagination), a
//! person's page, and the administrators' actions on people (make or remove admin,
//! dismiss, hire), each written to the audit log. The last active administrator can
//! be neither demoted nor dismissed.
//! Feature, the top one. May depend on: `invitations` (the Invited list), `registration`
//! (the approval queue), `structure`, `access`, `auth`, the platform and the base.

pub mod api;
#[cfg(feature = "ssr")]
pub mod seed;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::domain::{MembershipStatus, NamedId};

/// The Employees page filters. Pending and Dismissed are for administrators only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmployeeFilter {
    Employees,
    Invited,
    Pending,
    Administrators,
    Dismissed,
}

impl EmployeeFilter {
    pub const ALL: [EmployeeFilter; 5] = [
        EmployeeFilter::Employees,
        EmployeeFilter::Invited,
        EmployeeFilter::Pending,
        EmployeeFilter::Administrators,
        EmployeeFilter::Dismissed,
    ];

    /// The value in the page's address (`?filter=`).
    pub fn key(self) -> &'static str {
        match self {
            EmployeeFilter::Employees => "employees",
            EmployeeFilter::Invited => "invited",
            EmployeeFilter::Pending => "pending",
            EmployeeFilter::Administrators => "admins",
            EmployeeFilter::Dismissed => "dismissed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmployeeFilter::Employees => "Employees",
            EmployeeFilter::Invited => "Invited",
            EmployeeFilter::Pending => "Pending confirmation",
            EmployeeFilter::Administrators => "Administrators",
            EmployeeFilter::Dismissed => "Dismissed",
        }
    }

    pub fn from_key(key: &str) -> EmployeeFilter {
        EmployeeFilter::ALL.into_iter().find(|f| f.key() == key).unwrap_or(EmployeeFilter::Employees)
    }

    pub fn admins_only(self) -> bool {
        matches!(self, EmployeeFilter::Pending | EmployeeFilter::Dismissed)
    }

    /// The membership status the filter lists.
    pub fn status(self) -> MembershipStatus {
        match self {
            EmployeeFilter::Employees | EmployeeFilter::Administrators => MembershipStatus::Active,
            EmployeeFilter::Invited => MembershipStatus::Invited,
            EmployeeFilter::Pending => MembershipStatus::PendingApproval,
            EmployeeFilter::Dismissed => MembershipStatus::Dismissed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmployeeRow {
    pub account_id: i64,
    pub name: String,
    pub position: String,
    pub department: String,
    pub contact_email: Option<String>,
    pub is_admin: bool,
}

/// One page of a filter, in name order, with cursors for the neighbouring pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmployeePage {
    pub rows: Vec<EmployeeRow>,
    /// Pass as `before` to get the previous page.
    pub previous: Option<i64>,
    /// Pass as `after` to get the next page.
    pub next: Option<i64>,
    pub viewer_is_admin: bool,
    /// Registrations awaiting approval (the badge); 0 for non-admins.
    pub pending_count: i64,
}

/// A person's page in one portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonProfile {
    pub account_id: i64,
    pub name: String,
    pub position: String,
    pub phone: String,
    pub contact_email: Option<String>,
    /// The login (network account): for the person and admins only.
    pub login: Option<String>,
    /// The connected Webmail mailbox's address: for the person and admins only.
    pub mailbox_email: Option<String>,
    pub department: NamedId,
    pub status: MembershipStatus,
    pub is_admin: bool,
    pub workgroups: Vec<NamedId>,
    pub viewer_is_admin: bool,
    /// Whether the person logs in with two-factor log-in: for administrators only.
    pub two_factor_on: Option<bool>,
    pub is_me: bool,
    /// Every department, indented by depth, for an administrator's "Move to" choice.
    pub department_choices: Vec<NamedId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_and_unknown_keys_fall_back() {
        for filter in EmployeeFilter::ALL {
            assert_eq!(EmployeeFilter::from_key(filter.key()), filter);
        }
        assert_eq!(EmployeeFilter::from_key("nonsense"), EmployeeFilter::Employees);
        assert!(EmployeeFilter::Dismissed.admins_only() && EmployeeFilter::Pending.admins_only());
        assert!(!EmployeeFilter::Invited.admins_only());
    }
}
