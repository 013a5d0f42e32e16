//! Newtypes for values that cross a boundary, and the closed sets of values the database
//! stores (roles, statuses, plans, channels). Each newtype has a private field and one
//! `parse` that returns a message fit to show beside the form field it came from;
//! deserializing goes through the same `parse`, so server-function input is checked on
//! arrival.
//! Base layer. May depend on: `error`.

mod enums;
#[cfg(feature = "ssr")]
pub mod phone;
pub mod time;

pub use enums::{Channel, DeliveryStatus, InvitationStatus, MembershipStatus, Plan, Role};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A row's id with its display name (a department, a workgroup, a person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedId {
    pub id: i64,
    pub name: String,
}

/// An email address, trimmed and lower-cased so that one address is one login.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let candidate = raw.trim().to_lowercase();
        if candidate.is_empty() {
            return Err("Enter an email address.".into());
        }
        if candidate.len() > 254 {
            return Err("This email address is too long.".into());
        }
        let valid =
            email_address::EmailAddress::parse_with_options(&candidate, email_address::Options::default().without_display_text()).is_ok();
        // The crate accepts single-label domains ("a@b"); a company mailbox always has a dot.
        let has_dotted_domain = candidate.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if !valid || !has_dotted_domain {
            return Err("Enter a valid email address, like name@company.com.".into());
        }
        Ok(Email(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The portal's address: the `acme` in `/p/acme`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortalSlug(String);

/// Addresses that would shadow the app's own pages or mislead people.
const RESERVED_SLUGS: &[&str] =
    &["admin", "api", "app", "dev", "login", "logout", "network", "p", "pkg", "portals", "signup", "static", "support", "www"];

impl PortalSlug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let candidate = raw.trim().to_lowercase();
        if candidate.len() < 3 || candidate.len() > 40 {
            return Err("The address must be 3 to 40 characters long.".into());
        }
        let allowed = candidate.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !allowed || candidate.starts_with('-') || candidate.ends_with('-') {
            return Err("Use only Latin letters, digits and hyphens (not at the start or end).".into());
        }
        if RESERVED_SLUGS.contains(&candidate.as_str()) {
            return Err("This address is reserved. Please choose another.".into());
        }
        Ok(PortalSlug(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PortalSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `impl TryFrom<String>` (through `parse`) and `From<T> for String`, for serde.
macro_rules! parsed_from_string {
    ($type:ty) => {
        impl TryFrom<String> for $type {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                <$type>::parse(&raw)
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.0
            }
        }
    };
}

parsed_from_string!(Email);
parsed_from_string!(PortalSlug);

/// A short piece of display text (a person's name, a company name): trimmed, not empty,
/// length-limited. Rendered as text, never as HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayText(String);

impl DisplayText {
    pub fn parse(raw: &str, what: &str, max_chars: usize) -> Result<Self, String> {
        let candidate = raw.trim();
        if candidate.is_empty() {
            return Err(format!("Enter {what}."));
        }
        if candidate.chars().count() > max_chars {
            return Err(format!("This is too long (at most {max_chars} characters)."));
        }
        if candidate.chars().any(char::is_control) {
            return Err("Remove the special characters.".into());
        }
        Ok(DisplayText(candidate.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Password rules (NIST 800-63B): length only, no composition rules. The list of common
/// passwords is checked on the server (`auth::passwords`), which holds it.
/// Longest search text a list accepts.
pub const SEARCH_MAX_CHARS: usize = 100;

/// A search box's text, within [`SEARCH_MAX_CHARS`].
pub fn check_search(text: &str) -> Result<(), String> {
    if text.chars().count() > SEARCH_MAX_CHARS {
        return Err(format!("Search for at most {SEARCH_MAX_CHARS} characters."));
    }
    Ok(())
}

/// The `LIKE` pattern for a search text: lower-cased, wildcards in it taken literally.
pub fn search_pattern(raw: &str) -> Option<String> {
    let text = raw.trim().to_lowercase();
    if text.is_empty() {
        return None;
    }
    let escaped: String = text.chars().take(SEARCH_MAX_CHARS).fold(String::new(), |mut out, c| {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
        out
    });
    Some(format!("%{escaped}%"))
}

/// Longest login: the longest e-mail address (a phone number is far shorter).
pub const LOGIN_MAX_CHARS: usize = 254;

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

pub fn check_password_length(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!("Use at least {PASSWORD_MIN_CHARS} characters."));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(search_pattern("  Ann "), Some("%ann%".into()));
        assert_eq!(search_pattern("50%_off\\"), Some("%50\\%\\_off\\\\%".into()));
        assert_eq!(search_pattern("   "), None);
        assert_eq!(search_pattern(&"x".repeat(500)).map(|p| p.len()), Some(SEARCH_MAX_CHARS + 2));
    }

    #[test]
    fn deserializing_goes_through_parse() {
        let email: Email = serde_json::from_str("\" Ann@Acme.TEST \"").unwrap();
        assert_eq!(email.as_str(), "ann@acme.test");
        assert!(serde_json::from_str::<Email>("\"not an address\"").is_err());
        assert!(serde_json::from_str::<PortalSlug>("\"admin\"").is_err());
        assert_eq!(serde_json::from_str::<PortalSlug>("\"Acme-1\"").unwrap().as_str(), "acme-1");
        assert_eq!(serde_json::to_string(&email).unwrap(), "\"ann@acme.test\"");
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(Email::parse("  Ann@Example.COM ").map(|e| e.to_string()), Ok("ann@example.com".into()));
        assert!(Email::parse("").is_err());
        assert!(Email::parse("ann").is_err());
        assert!(Email::parse("ann@localhost").is_err());
        assert!(Email::parse("ann @example.com").is_err());
        assert!(Email::parse("Ann <ann@example.com>").is_err());
    }

    #[test]
    fn slugs_follow_the_rules() {
        assert_eq!(PortalSlug::parse(" Acme-2 ").map(|s| s.to_string()), Ok("acme-2".into()));
        assert!(PortalSlug::parse("ab").is_err());
        assert!(PortalSlug::parse("-acme").is_err());
        assert!(PortalSlug::parse("acme_co").is_err());
        assert!(PortalSlug::parse("api").is_err());
        assert!(PortalSlug::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn display_text_is_trimmed_and_limited() {
        assert_eq!(DisplayText::parse("  Ann ", "a first name", 5).map(|t| t.as_str().to_string()), Ok("Ann".into()));
        assert!(DisplayText::parse("   ", "a first name", 5).is_err());
        assert!(DisplayText::parse("Annabel", "a first name", 5).is_err());
        assert!(DisplayText::parse("A\u{0}n", "a first name", 5).is_err());
    }

    #[test]
    fn password_length_is_the_only_shape_rule() {
        assert!(check_password_length("short").is_err());
        assert!(check_password_length("longenough").is_ok());
        assert!(check_password_length(&"x".repeat(64)).is_ok());
        assert!(check_password_length(&"x".repeat(129)).is_err());
    }
}
