//! Secrets handed to a browser or put in a link: 256 random bits from the OS, given
//! out once, and only their SHA-256 kept in the database.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// A fresh secret: the text to hand out and the hash to store.
pub fn new_secret() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&token);
    (token, hash)
}

/// An id for one request in the logs: 16 hex digits, not a secret.
pub fn new_request_id() -> String {
    format!("{:016x}", OsRng.next_u64())
}

/// A 6-digit code for an SMS, every value equally likely.
pub fn new_code() -> String {
    // Rejection sampling: values past the last whole million would favour low codes.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let value = OsRng.next_u32();
        if value < LIMIT {
            return format!("{:06}", value % 1_000_000);
        }
    }
}

pub fn hash_secret(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
        }
    }

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let (a, a_hash) = new_secret();
        let (b, _) = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(a_hash, hash_secret(&a));
        assert_ne!(a_hash, a.as_bytes());
    }
}
