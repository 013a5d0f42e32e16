//! Every message the invitation steps send, in one place.

use chrono::{DateTime, Utc};

pub fn invitation_email(inviter: &str, portal: &str, message: &str, link: &str, expires: DateTime<Utc>) -> (String, String) {
    let subject = format!("{inviter} invites you to {portal}");
    let body = format!(
        "{inviter} invites you to join {portal} on Bitrix24.\n\n{message}\n\nAccept the invitation: {link}\n\n\
         The link is valid until {}. If you did not expect this invitation, ignore this email.\n",
        expires.format("%Y-%m-%d")
    );
    (subject, body)
}

/// The fixed SMS text (SMS cannot be customised: every character costs). The names in it
/// are chosen by whoever signed up, so they are cut to [`SMS_NAME_CHARS`] and lose
/// anything that could turn the message into someone else's: links, addresses and
/// numbers (a "call this number" or "open this link" of a fake sender).
pub fn sms_text(inviter: &str, portal: &str, link: &str) -> String {
    format!("{} invites you to {} on Bitrix24: {link}", sms_name(inviter), sms_name(portal))
}

/// Longest inviter or portal name in an SMS.
pub const SMS_NAME_CHARS: usize = 40;

fn sms_name(name: &str) -> String {
    let kept: Vec<&str> = name
        .split_whitespace()
        .filter(|word| !word.contains(['/', '@', ':']) && !word.contains("www.") && !word.chars().any(|c| c.is_ascii_digit()))
        .collect();
    let joined = kept.join(" ");
    let cut: String = joined.chars().take(SMS_NAME_CHARS).collect();
    if cut.trim().is_empty() { "A colleague".into() } else { cut.trim().to_string() }
}

/// To the inviter, when the person joined.
pub fn accepted(name: &str, target: &str, portal: &str, profile_link: &str) -> (String, String) {
    (
        format!("{name} accepted your invitation"),
        format!("{name} ({target}) accepted your invitation and joined {portal}.\n\nTheir profile: {profile_link}\n"),
    )
}

/// To the inviter, when the person asks for a new invitation on an expired link.
pub fn renewal_asked(target: &str, portal: &str, invited_list_link: &str) -> (String, String) {
    (
        format!("{target} asks for a new invitation"),
        format!(
            "The invitation you sent to {target} for {portal} has expired, and they ask for a new one.\n\n\
             Resend it from the Invited list: {invited_list_link}\n"
        ),
    )
}

/// To a person registered "without confirmation": the login and a random password.
pub fn registered_with_password(first_name: &str, portal: &str, login: &str, password: &str, login_link: &str) -> (String, String) {
    (
        format!("Your account at {portal}"),
        format!(
            "Hello {first_name},\n\nyou have been registered at {portal}'s Bitrix24.\n\nLogin: {login}\nPassword: {password}\n\n\
             Log in at {login_link} and change the password in your Network profile.\n"
        ),
    )
}

/// To a person registered with confirmation: a link to set their own password.
pub fn registered_set_password(first_name: &str, portal: &str, login: &str, link: &str, days: i64) -> (String, String) {
    (
        format!("Set your password for {portal}"),
        format!(
            "Hello {first_name},\n\nyou have been registered at {portal}'s Bitrix24. Your login is {login}.\n\n\
             Set your password: {link}\n\nThe link is valid for {days} days.\n"
        ),
    )
}

#[cfg(test)]
mod sms_tests {
    use super::*;

    #[test]
    fn names_in_an_sms_carry_no_links_numbers_or_length() {
        assert_eq!(sms_text("Ann Lee", "Acme Ltd", "<link>"), "Ann Lee invites you to Acme Ltd on Bitrix24: <link>");
        let hostile = sms_text("Bank: call +1 555 0100", "Your account is locked visit http://evil.test now", "<link>");
        assert!(!hostile.contains("evil") && !hostile.contains("555") && !hostile.contains("http"), "{hostile}");
        let long = sms_text(&"Verylongname ".repeat(10), "Acme", "<link>");
        assert!(long.len() < 100, "{long}");
        assert_eq!(sms_text("12345", "Acme", "<link>"), "A colleague invites you to Acme on Bitrix24: <link>");
    }
}
