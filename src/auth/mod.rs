//! Log in, log out, sessions and password reset. One answer for every failed log-in
//! ("Incorrect login or password"), the same work for unknown and known logins, and
//! single-use, hashed, expiring reset links.
//! Access layer. May depend on: the platform (`server`, `crypto`, `mail`, `throttle`, `audit`) and
//! the base.

pub mod api;
#[cfg(feature = "ssr")]
pub mod email_confirmation;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod letters;
#[cfg(feature = "ssr")]
pub mod password_policy;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod sms_codes;
#[cfg(feature = "ssr")]
pub mod two_factor;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::domain::{MembershipStatus, Role};

/// The answer to "Forgot password?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetRequested {
    pub message: String,
    /// A phone login: the page now asks for the code from the SMS.
    pub by_code: bool,
    /// The login as the server reads it (a number in E.164), for the code form.
    pub login: String,
}

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
    pub role: Role,
    pub status: MembershipStatus,
}

/// A path on this site ("/invite?token=…"), never another site ("//evil.test",
/// "https://…", "/\\evil.test"): where a log-in may send the person next.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
}

#[cfg(test)]
mod local_path_tests {
    use super::is_local_path;

    #[test]
    fn only_paths_of_this_site_are_local() {
        assert!(is_local_path("/invite?token=abc"));
        for outside in ["//evil.test/x", "https://evil.test", "/\\evil.test", "", "invite", "/a\nb"] {
            assert!(!is_local_path(outside), "{outside:?}");
        }
    }
}
