//! Log in, log out, sessions and password reset. One answer for every failed log-in
//! ("Incorrect login or password"), the same work for unknown and known logins, and
//! single-use, hashed, expiring reset links.

pub mod api;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod tokens;
pub mod ui;

use serde::{Deserialize, Serialize};

/// The logged-in person, as pages need them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub login: String,
    pub first_name: String,
    pub last_name: String,
}

/// One portal the account belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalLink {
    pub slug: String,
    pub name: String,
    pub role: String,
    pub status: String,
}

/// Log-ins are emails or phone numbers; both compare lower-cased and trimmed.
pub fn normalize_login(raw: &str) -> String {
    raw.trim().to_lowercase()
}
