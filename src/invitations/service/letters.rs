//! Every message the invitation steps send, in one place. E-mails are rendered from the
//! templates in `src/invitations/letters/` (HTML and plain text); SMS are plain text.

use chrono::{DateTime, Utc};

use crate::mail::letter::{Email, compose, letter_templates};

/// The e-mail invitation. `message` is the inviter's text ("Message text"), if any.
pub struct Invitation<'a> {
    pub brand: &'a str,
    pub inviter: &'a str,
    pub message: &'a str,
    pub link: &'a str,
    pub valid_until: String,
}

letter_templates!(Invitation: InvitationText = "invitations/letters/invitation.txt", InvitationHtml = "invitations/letters/invitation.html");

pub fn invitation_email(inviter: &str, portal: &str, message: &str, link: &str, expires: DateTime<Utc>) -> Result<Email, askama::Error> {
    let letter = Invitation { brand: portal, inviter, message, link, valid_until: expires.format("%Y-%m-%d").to_string() };
    compose(format!("{inviter} invites you to {portal}"), &InvitationText { letter: &letter }, &InvitationHtml { letter: &letter })
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
pub struct Accepted<'a> {
    pub brand: &'a str,
    pub name: &'a str,
    pub target: &'a str,
    pub link: &'a str,
}

letter_templates!(Accepted: AcceptedText = "invitations/letters/accepted.txt", AcceptedHtml = "invitations/letters/accepted.html");

pub fn accepted(letter: &Accepted) -> Result<Email, askama::Error> {
    compose(format!("{} accepted your invitation", letter.name), &AcceptedText { letter }, &AcceptedHtml { letter })
}

/// To the inviter, when the person asks for a new invitation on an expired link.
pub struct RenewalAsked<'a> {
    pub brand: &'a str,
    pub target: &'a str,
    pub link: &'a str,
}

letter_templates!(RenewalAsked: RenewalAskedText = "invitations/letters/renewal_asked.txt", RenewalAskedHtml = "invitations/letters/renewal_asked.html");

pub fn renewal_asked(letter: &RenewalAsked) -> Result<Email, askama::Error> {
    compose(format!("{} asks for a new invitation", letter.target), &RenewalAskedText { letter }, &RenewalAskedHtml { letter })
}

/// To a person an administrator registered "without confirmation": the login and a
/// random password, good for the first log-in only. `registrar` is that administrator.
pub struct RegisteredWithPassword<'a> {
    pub brand: &'a str,
    pub registrar: &'a str,
    pub first_name: &'a str,
    pub position: &'a str,
    pub login: &'a str,
    pub password: &'a str,
    pub link: &'a str,
}

letter_templates!(
    RegisteredWithPassword: WithPasswordText = "invitations/letters/registered_with_password.txt",
    WithPasswordHtml = "invitations/letters/registered_with_password.html"
);

pub fn registered_with_password(letter: &RegisteredWithPassword) -> Result<Email, askama::Error> {
    compose(format!("Your account at {}", letter.brand), &WithPasswordText { letter }, &WithPasswordHtml { letter })
}

/// To a person registered with confirmation: a link to "Complete your registration",
/// valid `days` days.
pub struct CompleteRegistration<'a> {
    pub brand: &'a str,
    pub registrar: &'a str,
    pub first_name: &'a str,
    pub position: &'a str,
    pub login: &'a str,
    pub link: &'a str,
    pub days: i64,
}

letter_templates!(
    CompleteRegistration: CompleteText = "invitations/letters/complete_registration.txt",
    CompleteHtml = "invitations/letters/complete_registration.html"
);

pub fn complete_registration(letter: &CompleteRegistration) -> Result<Email, askama::Error> {
    compose(format!("Complete your registration at {}", letter.brand), &CompleteText { letter }, &CompleteHtml { letter })
}

#[cfg(test)]
mod letter_tests {
    use super::*;

    #[test]
    fn names_and_the_message_text_cannot_add_markup_to_the_html_part() {
        let expires = DateTime::parse_from_rfc3339("2026-12-08T10:00:00Z").unwrap().with_timezone(&Utc);
        let email =
            invitation_email("Eve <b>", "Acme & Co", "<img src=x onerror=alert(1)>\nSee you", "http://x.test/invite?token=t", expires)
                .unwrap();
        assert_eq!(email.subject, "Eve <b> invites you to Acme & Co");
        assert!(!email.html.contains("<img") && !email.html.contains("<b>"), "{}", email.html);
        assert!(email.html.contains("&#60;img src=x onerror=alert(1)&#62;"), "{}", email.html);
        assert!(email.html.contains("<strong>Acme &#38; Co</strong>"), "{}", email.html);
        // The text part is plain text: nothing escaped, the message as typed.
        assert!(email.text.contains("<img src=x onerror=alert(1)>\nSee you\n\nAccept the invitation: http://x.test/invite?token=t"));
        assert!(email.text.contains("valid until 2026-12-08"), "{}", email.text);
    }

    #[test]
    fn without_a_message_text_there_is_no_empty_quote() {
        let expires = Utc::now();
        let email = invitation_email("Ann Lee", "Acme", "", "http://x.test/i", expires).unwrap();
        assert!(email.text.starts_with("Ann Lee invites you to join Acme on Bitrix24.\n\nAccept the invitation:"), "{}", email.text);
        assert!(!email.html.contains("border-left:3px"), "{}", email.html);
    }
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
