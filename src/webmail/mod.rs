//! Webmail: an employee connects their IMAP mailbox to the portal. The server proves the
//! settings with a real IMAP login before saving them, seals the password with the
//! server's key, and the mailbox's address becomes the profile's "E-Mail for mailbox".
//! The owner manages their mailbox; administrators may connect or disconnect an
//! employee's in Manage Email Accounts. Nobody ever sees a password again.
//! Feature. May depend on: `access`, the platform and the base; no other feature.

pub mod api;
#[cfg(feature = "ssr")]
pub mod imap_client;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod targets;
pub mod ui;

use serde::{Deserialize, Serialize};

/// How the connection to the IMAP server is secured. Plain-text IMAP is not offered:
/// the password would cross the network readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// TLS from the first byte (IMAPS, usually port 993).
    Tls,
    /// A plain connection upgraded by the STARTTLS command (usually port 143).
    StartTls,
}

impl Security {
    pub const ALL: [Security; 2] = [Security::Tls, Security::StartTls];

    pub fn key(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Security::Tls => "SSL/TLS",
            Security::StartTls => "STARTTLS",
        }
    }

    pub fn parse(key: &str) -> Option<Security> {
        Security::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::StartTls => 143,
        }
    }
}

/// A connected mailbox as its owner sees it: everything but the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub address: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: Security,
    pub username: String,
    pub connected_at: crate::domain::time::Moment,
}

/// One row of Manage Email Accounts (administrators): an employee's connected mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxAccount {
    pub account_id: i64,
    pub name: String,
    pub login: String,
    pub address: String,
    /// "imap.example.com:993 (SSL/TLS)"
    pub server: String,
    /// The last real IMAP log-in that worked (connecting, or opening Webmail).
    pub last_checked: Option<crate::domain::time::Moment>,
}

/// A server name as typed into "IMAP server": a DNS name or an IP address.
pub fn parse_host(raw: &str) -> Result<String, String> {
    let host = raw.trim().trim_end_matches('.').to_lowercase();
    if host.is_empty() {
        return Err("Enter the IMAP server, like imap.company.com.".into());
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(host);
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if host.len() > 253 || !labels_ok {
        return Err("Enter a server name like imap.company.com, or an IP address.".into());
    }
    Ok(host)
}

pub fn parse_port(raw: &str) -> Result<u16, String> {
    match raw.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err("Enter a port number from 1 to 65535 (usually 993 for SSL/TLS, 143 for STARTTLS).".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_and_addresses_are_accepted_and_junk_is_not() {
        assert_eq!(parse_host(" IMAP.Example.com. "), Ok("imap.example.com".into()));
        assert_eq!(parse_host("127.0.0.1"), Ok("127.0.0.1".into()));
        assert_eq!(parse_host("::1"), Ok("::1".into()));
        assert_eq!(parse_host("localhost"), Ok("localhost".into()));
        for bad in ["", "imap example.com", "-bad.com", "a..b", "imap.example.com/x", "<script>"] {
            assert!(parse_host(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ports_are_numbers_from_1_to_65535() {
        assert_eq!(parse_port(" 993 "), Ok(993));
        for bad in ["0", "65536", "abc", "", "-1"] {
            assert!(parse_port(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn security_keys_round_trip() {
        for s in Security::ALL {
            assert_eq!(Security::parse(s.key()), Some(s));
        }
        assert_eq!(Security::parse("plain"), None);
    }
}
