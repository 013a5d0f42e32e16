//! The e-mails of registration by link. Templates in `src/registration/letters/`.

use crate::mail::letter::{Email, compose, letter_templates};

/// To the person who registered: the link that confirms their address.
pub struct ConfirmRegistration<'a> {
    pub brand: &'a str,
    pub first_name: &'a str,
    pub link: &'a str,
    pub hours: i64,
}

letter_templates!(ConfirmRegistration: ConfirmText = "registration/letters/confirm_registration.txt", ConfirmHtml = "registration/letters/confirm_registration.html");

pub fn confirm_registration(letter: &ConfirmRegistration) -> Result<Email, askama::Error> {
    compose(format!("Confirm your registration at {}", letter.brand), &ConfirmText { letter }, &ConfirmHtml { letter })
}

/// To each administrator: someone awaits approval; `link` opens Pending confirmation.
pub struct AwaitsApproval<'a> {
    pub brand: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub link: &'a str,
}

letter_templates!(AwaitsApproval: AwaitsText = "registration/letters/awaits_approval.txt", AwaitsHtml = "registration/letters/awaits_approval.html");

pub fn awaits_approval(letter: &AwaitsApproval) -> Result<Email, askama::Error> {
    compose(format!("{} awaits approval at {}", letter.name, letter.brand), &AwaitsText { letter }, &AwaitsHtml { letter })
}

/// To the person, once an administrator decided. `link` (log in) is used when approved.
pub struct Decision<'a> {
    pub brand: &'a str,
    pub first_name: &'a str,
    pub link: &'a str,
}

letter_templates!(Decision: ApprovedText = "registration/letters/approved.txt", ApprovedHtml = "registration/letters/approved.html");

letter_templates!(Decision: DeclinedText = "registration/letters/declined.txt", DeclinedHtml = "registration/letters/declined.html");

pub fn decided(letter: &Decision, approved: bool) -> Result<Email, askama::Error> {
    if approved {
        compose(format!("Welcome to {}", letter.brand), &ApprovedText { letter }, &ApprovedHtml { letter })
    } else {
        compose(format!("Your registration at {}", letter.brand), &DeclinedText { letter }, &DeclinedHtml { letter })
    }
}
