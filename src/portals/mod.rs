//! Portals: sign-up ("Create your Bitrix24") and the portal frame. The creator of a
//! portal is its first administrator; a portal's pages are for its active members only.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

/// What a portal page needs to know about the portal and the person looking at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalHome {
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub my_role: String,
    pub my_name: String,
    pub my_account_id: i64,
    /// Whether "Invite users" is offered to this person.
    pub can_invite: bool,
}

/// Every plan, cheapest first (the database's CHECK lists the same keys).
pub const PLANS: [&str; 6] = ["free", "basic", "standard", "professional", "crm_plus", "project_plus"];

pub fn plan_name(plan: &str) -> &'static str {
    match plan {
        "basic" => "Basic",
        "standard" => "Standard",
        "professional" => "Professional",
        "crm_plus" => "CRM+",
        "project_plus" => "Project+",
        _ => "Free",
    }
}
