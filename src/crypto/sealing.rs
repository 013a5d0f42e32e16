//! Mailbox passwords at rest: sealed with XChaCha20-Poly1305 under a key from the
//! server's configuration. The row's owner is bound in as associated data, so a sealed
//! password copied onto another row does not open.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::fmt;

const NONCE_LEN: usize = 24;

/// The key that seals mailbox passwords. Its `id` is stored beside each sealed password,
/// so a server started with a different key says so instead of failing obscurely.
#[derive(Clone)]
pub struct MailboxKey {
    key: [u8; 32],
    id: String,
}

impl fmt::Debug for MailboxKey {
    // Never print the key itself (configuration is logged at start-up).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailboxKey({})", self.id)
    }
}

impl MailboxKey {
    /// A key written as base64 of 32 bytes (what `head -c 32 /dev/urandom | base64` gives).
    pub fn from_base64(text: &str) -> Result<MailboxKey, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| "the mailbox key is not valid base64".to_string())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| "the mailbox key must be 32 bytes".to_string())?;
        Ok(MailboxKey::from_bytes(key))
    }

    /// A fresh random key, for tests and benchmarks.
    pub fn random() -> MailboxKey {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        MailboxKey::from_bytes(key)
    }

    fn from_bytes(key: [u8; 32]) -> MailboxKey {
        let digest = Sha256::digest(key);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        MailboxKey { key, id }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.key))
    }

    /// Nonce followed by ciphertext and tag. A random 192-bit nonce never repeats in
    /// practice, so one key can seal any number of passwords.
    pub fn seal(&self, secret: &str, owner: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: owner })
            .map_err(|_| "sealing failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], owner: &[u8]) -> Result<String, String> {
        if sealed.len() <= NONCE_LEN {
            return Err("the sealed password is too short".into());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: owner })
            .map_err(|_| "the sealed password does not open with this key".to_string())?;
        String::from_utf8(plain).map_err(|_| "the sealed password is not text".into())
    }
}

/// What a sealed password is bound to: its portal and account.
pub fn owner_tag(portal_id: i64, account_id: i64) -> Vec<u8> {
    format!("mailbox:{portal_id}:{account_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_password_opens_only_with_its_key_and_owner() {
        let key = MailboxKey::random();
        let sealed = key.seal("hunter2-secret", &owner_tag(1, 2)).unwrap_or_default();
        assert!(!sealed.windows(6).any(|w| w == b"hunter"), "the password must not appear in the sealed bytes");
        assert_eq!(key.open(&sealed, &owner_tag(1, 2)).as_deref(), Ok("hunter2-secret"));
        assert!(key.open(&sealed, &owner_tag(1, 3)).is_err(), "another row's owner must not open it");
        assert!(MailboxKey::random().open(&sealed, &owner_tag(1, 2)).is_err(), "another key must not open it");
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(key.open(&tampered, &owner_tag(1, 2)).is_err());
    }

    #[test]
    fn two_seals_of_one_password_differ() {
        let key = MailboxKey::random();
        assert_ne!(key.seal("same", b"o"), key.seal("same", b"o"));
    }

    #[test]
    fn keys_load_from_base64_and_hide_in_debug_output() {
        let text = STANDARD.encode([7u8; 32]);
        let key = MailboxKey::from_base64(&format!("{text}\n")).unwrap_or_else(|_| MailboxKey::random());
        assert_eq!(key.id().len(), 8);
        assert_eq!(MailboxKey::from_base64(&text).map(|k| k.id().to_string()), Ok(key.id().to_string()));
        assert!(!format!("{key:?}").contains(&text));
        assert!(MailboxKey::from_base64("c2hvcnQ=").is_err());
        assert!(MailboxKey::from_base64("not base64!").is_err());
    }
}
