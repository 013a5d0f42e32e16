//! The portal profile editor and its three email fields. Only one of them is the login,
//! and nobody changes it here: the login belongs to the network account and is changed
//! by its owner in the Network profile. "Contact email" is portal data, editable by the
//! owner and by admins; "E-Mail for mailbox" comes from the mailbox connected in Webmail.
//! Feature. May depend on: `structure` (departments), `membership` (the contact email
//! rule), `access`, the platform and the base.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::domain::NamedId;

/// What the editor shows. Only the owner and the portal's administrators get one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileEditor {
    pub account_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub login: String,
    pub position: String,
    pub phone: String,
    pub contact_email: Option<String>,
    pub mailbox_email: Option<String>,
    pub department: NamedId,
    /// Every department, for an administrator's choice; empty for others.
    pub department_choices: Vec<NamedId>,
    pub is_me: bool,
    pub viewer_is_admin: bool,
}

impl ProfileEditor {
    /// Names belong to the network account, shared by every portal of the person, so
    /// only the person changes them.
    pub fn can_edit_name(&self) -> bool {
        self.is_me
    }

    pub fn can_change_department(&self) -> bool {
        self.viewer_is_admin
    }
}

/// Shown at the top of an administrator's editor for someone else.
pub fn login_notice(login: &str) -> String {
    format!("Edit user authentication data in the user's Bitrix24.Network profile. This employee is using this profile: {login}")
}

pub const MAX_NAME_CHARS: usize = 50;
pub const MAX_POSITION_CHARS: usize = 100;
pub const MAX_PHONE_CHARS: usize = 30;

/// A position: trimmed, may be empty, length-limited, no control characters.
pub fn parse_position(raw: &str) -> Result<String, String> {
    let position = raw.trim();
    if position.chars().count() > MAX_POSITION_CHARS {
        return Err(format!("This is too long (at most {MAX_POSITION_CHARS} characters)."));
    }
    if position.chars().any(char::is_control) {
        return Err("Remove the special characters.".into());
    }
    Ok(position.to_string())
}

/// A phone number for people to read and dial: digits with the usual separators. It is
/// contact information, not a login, so it is kept as written.
pub fn parse_phone(raw: &str) -> Result<String, String> {
    let phone = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if phone.is_empty() {
        return Ok(phone);
    }
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(3..=20).contains(&digits) || phone.chars().count() > MAX_PHONE_CHARS {
        return Err("Enter a phone number of digits, spaces, +, -, and brackets, like +1 (555) 010-7788.".into());
    }
    Ok(phone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_notice_names_the_login() {
        assert_eq!(
            login_notice("ann@acme.test"),
            "Edit user authentication data in the user's Bitrix24.Network profile. This employee is using this profile: ann@acme.test"
        );
    }

    #[test]
    fn phones_keep_their_spelling_and_refuse_letters() {
        assert_eq!(parse_phone("  +1 (555)   010-7788 "), Ok("+1 (555) 010-7788".into()));
        assert_eq!(parse_phone(""), Ok(String::new()));
        for bad in ["call me", "12", "+1 555 010 7788 ext. 4", "<b>5550107788</b>", "1234567890123456789012"] {
            assert!(parse_phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn positions_are_trimmed_and_limited() {
        assert_eq!(parse_position("  Sales manager "), Ok("Sales manager".into()));
        assert_eq!(parse_position(""), Ok(String::new()));
        assert!(parse_position(&"x".repeat(MAX_POSITION_CHARS + 1)).is_err());
        assert!(parse_position("a\u{0007}b").is_err());
    }
}
