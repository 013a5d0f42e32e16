//! Registration settings and quick registration. Admins switch the portal's reusable
//! link on and off, choose Public or Moderated, list domains whose people need no
//! approval, write the greeting, regenerate the link, and allow everyone to invite.
//! A person who opens the link confirms their address first; then one rule
//! ([`outcome`]) decides whether they are in at once or wait for an administrator.
//! The same rule answers the admins' "Check an address".
//! Feature. May depend on: `membership`, `access`, `auth`, the platform and the base; no
//! other feature.

pub mod api;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod letters;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::domain::Email;

pub const MAX_GREETING_CHARS: usize = 1000;
pub const MAX_TRUSTED_DOMAINS: usize = 100;
/// How long the link in a confirmation email stays usable.
pub const CONFIRMATION_HOURS: i64 = 24;

/// The registration settings, as administrators see and change them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationSettings {
    pub enabled: bool,
    pub moderated: bool,
    pub trusted_domains: Vec<String>,
    pub greeting: String,
    /// The whole quick registration link.
    pub link: String,
    pub everyone_can_invite: bool,
}

/// The invite dialog's "Quick registration" tab, for anyone who may invite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickRegistration {
    /// None while quick registration is switched off.
    pub link: Option<String>,
    pub moderated: bool,
    pub is_admin: bool,
}

/// What happens to a person who registers through the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// An active employee at once, announced in the Activity Stream and General chat.
    Active,
    /// Pending confirmation until an administrator approves.
    AwaitsApproval,
    /// The link is switched off or was regenerated: nobody can register through it.
    SwitchedOff,
    /// The address is already a member's login or contact email.
    AlreadyMember,
}

impl Outcome {
    /// The rule preview's answer.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Active => "Would be active at once.",
            Outcome::AwaitsApproval => "Would await administrator approval.",
            Outcome::SwitchedOff => "Could not register: quick registration is switched off.",
            Outcome::AlreadyMember => "A user with this email already exists.",
        }
    }
}

/// The rules one portal applies to registrations.
#[derive(Debug, Clone)]
pub struct Rules {
    pub enabled: bool,
    pub moderated: bool,
    pub trusted_domains: Vec<String>,
    pub code: String,
}

/// The one rule for a person who confirmed `email` after coming through the link with
/// `code_used`. (Membership is checked against the database by the caller.)
pub fn outcome(rules: &Rules, code_used: &str, email: &Email) -> Outcome {
    if !rules.enabled || code_used != rules.code {
        return Outcome::SwitchedOff;
    }
    let domain = email.as_str().rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    // Exact match only: "example.com" does not trust "mail.example.com" unless listed.
    if !rules.moderated || rules.trusted_domains.iter().any(|trusted| trusted == domain) {
        Outcome::Active
    } else {
        Outcome::AwaitsApproval
    }
}

/// Reads "Don't require confirmation for domains": names separated by commas, spaces or
/// new lines; a leading "@" is allowed. Answers the lower-cased, de-duplicated list, or
/// a message naming the first bad entry.
pub fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let mut domains: Vec<String> = Vec::new();
    for entry in text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|e| !e.is_empty()) {
        let domain = entry.trim_start_matches('@').trim_end_matches('.').to_lowercase();
        if !is_domain_name(&domain) {
            return Err(format!("“{entry}” is not a domain name, like company.com."));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > MAX_TRUSTED_DOMAINS {
        return Err(format!("List at most {MAX_TRUSTED_DOMAINS} domains."));
    }
    Ok(domains)
}

/// A DNS name of at least two labels of letters, digits and inner hyphens, with an
/// alphabetic (or punycode) top-level label.
fn is_domain_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top = labels.last().copied().unwrap_or_default();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && (top.chars().all(|c| c.is_ascii_lowercase()) && top.len() >= 2 || top.starts_with("xn--"))
}

/// The longest name an invite link may have.
pub const MAX_LINK_NAME_CHARS: usize = 100;
/// Invite links a portal may have open at once.
pub const MAX_OPEN_LINKS: i64 = 100;
/// The largest "Maximum uses" an invite link takes.
pub const MAX_LINK_USES: i32 = 100_000;

/// Where an invite link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Open,
    UsedUp,
    Expired,
    Revoked,
}

impl LinkState {
    pub fn label(self) -> &'static str {
        match self {
            LinkState::Open => "Open",
            LinkState::UsedUp => "Used up",
            LinkState::Expired => "Expired",
            LinkState::Revoked => "Revoked",
        }
    }
}

/// One named invite link, as Settings lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteLinkRow {
    pub id: i64,
    pub name: String,
    /// The whole link, to copy.
    pub link: String,
    pub uses: i32,
    pub max_uses: Option<i32>,
    /// "31 Dec 2026", the last day it works, in the viewer's zone.
    pub expires_on: Option<String>,
    /// None: the top department.
    pub department: Option<String>,
    pub moderated: bool,
    pub state: LinkState,
}

/// The quick registration page, for whoever opened the link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegistrationPage {
    Open { portal_name: String, greeting: String, moderated: bool },
    SwitchedOff,
}

/// The page a confirmation link opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConfirmationPage {
    Ready {
        portal_name: String,
        email: String,
    },
    /// Used, expired, unknown, or its registration link was switched off since.
    Unusable,
}

/// What confirming did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmed {
    pub outcome: Outcome,
    pub portal_name: String,
    pub portal_slug: String,
    /// The address already had a network account: it joined with its own password.
    pub existing_account: bool,
    /// For the server's own use (logging a new account in); not sent to the browser.
    #[serde(skip)]
    pub account_id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(enabled: bool, moderated: bool, trusted: &[&str]) -> Rules {
        Rules { enabled, moderated, trusted_domains: trusted.iter().map(|d| d.to_string()).collect(), code: "current".into() }
    }

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    #[test]
    fn the_outcome_table() {
        let ann = email("ann@acme.com");
        let sub = email("bob@mail.acme.com");
        let other = email("eve@other.org");
        // Public: everyone is in at once.
        assert_eq!(outcome(&rules(true, false, &[]), "current", &other), Outcome::Active);
        // Moderated: trusted domains are in at once, exact domain only.
        let moderated = rules(true, true, &["acme.com"]);
        assert_eq!(outcome(&moderated, "current", &ann), Outcome::Active);
        assert_eq!(outcome(&moderated, "current", &sub), Outcome::AwaitsApproval);
        assert_eq!(outcome(&moderated, "current", &other), Outcome::AwaitsApproval);
        // Switched off or regenerated: nobody, whatever the type or domain.
        for rules in [rules(false, false, &[]), rules(false, true, &["acme.com"])] {
            assert_eq!(outcome(&rules, "current", &ann), Outcome::SwitchedOff);
        }
        assert_eq!(outcome(&rules(true, false, &[]), "old", &ann), Outcome::SwitchedOff);
    }

    #[test]
    fn domains_are_checked_and_normalized() {
        assert_eq!(
            parse_domains(" Acme.COM, @mail.acme.com\nacme.com;xn--80ak6aa92e.com ").unwrap(),
            vec!["acme.com", "mail.acme.com", "xn--80ak6aa92e.com"]
        );
        assert_eq!(parse_domains("").unwrap(), Vec::<String>::new());
        for bad in ["localhost", "acme..com", "-acme.com", "acme.c0m", "ann@acme.com", "acme.com/x", "a_b.com", "acme.c"] {
            assert!(parse_domains(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_domains("x.com bad!").unwrap_err().contains("bad!"));
        let many: Vec<String> = (0..=MAX_TRUSTED_DOMAINS).map(|i| format!("d{i}.com")).collect();
        assert!(parse_domains(&many.join(",")).is_err());
    }
}
