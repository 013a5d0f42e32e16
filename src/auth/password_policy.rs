//! The rule every new password meets: its length, and not a well-known password.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::domain::check_password_length;

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect());

/// The whole password policy for a new password: length, and not a common password.
pub fn check_new_password(password: &str) -> Result<(), String> {
    check_password_length(password)?;
    if COMMON_PASSWORDS.contains(password.to_lowercase().as_str()) {
        return Err("This password is too common. Choose one that is harder to guess.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused() {
        assert!(COMMON_PASSWORDS.len() >= 1000);
        assert!(check_new_password("password").is_err());
        assert!(check_new_password("PASSWORD1").is_err());
        assert!(check_new_password("12345678").is_err());
        assert!(check_new_password("correct horse battery").is_ok());
    }
}
