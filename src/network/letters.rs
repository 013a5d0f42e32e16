//! The e-mails of a login change. Templates in `src/network/letters/`.

use crate::mail::letter::{Email, compose, letter_templates};

/// To an address that already has an account: someone else asked for it as their login.
pub struct LoginTaken<'a> {
    pub brand: &'a str,
    pub address: &'a str,
}

letter_templates!(LoginTaken: LoginTakenText = "network/letters/login_taken.txt", LoginTakenHtml = "network/letters/login_taken.html");

pub fn login_taken(letter: &LoginTaken) -> Result<Email, askama::Error> {
    compose("Login change not possible".into(), &LoginTakenText { letter }, &LoginTakenHtml { letter })
}

/// To the new address: the link that makes it the login.
pub struct ConfirmLogin<'a> {
    pub brand: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub link: &'a str,
}

letter_templates!(ConfirmLogin: ConfirmLoginText = "network/letters/confirm_login.txt", ConfirmLoginHtml = "network/letters/confirm_login.html");

pub fn confirm_login(letter: &ConfirmLogin) -> Result<Email, askama::Error> {
    compose("Confirm your new login".into(), &ConfirmLoginText { letter }, &ConfirmLoginHtml { letter })
}

/// To the old login: a change was asked for (`proof`: what makes it happen), or made.
pub struct LoginChange<'a> {
    pub brand: &'a str,
    pub old: &'a str,
    pub new: &'a str,
    pub proof: &'a str,
}

letter_templates!(LoginChange: ChangingText = "network/letters/login_changing.txt", ChangingHtml = "network/letters/login_changing.html");

pub fn login_changing(letter: &LoginChange) -> Result<Email, askama::Error> {
    compose("Your login is about to change".into(), &ChangingText { letter }, &ChangingHtml { letter })
}

letter_templates!(LoginChange: ChangedText = "network/letters/login_changed.txt", ChangedHtml = "network/letters/login_changed.html");

pub fn login_changed(letter: &LoginChange) -> Result<Email, askama::Error> {
    compose("Your login was changed".into(), &ChangedText { letter }, &ChangedHtml { letter })
}
