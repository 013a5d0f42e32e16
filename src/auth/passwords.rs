//! Password hashing: argon2id at OWASP parameters (19 MiB, t=2, p=1).
//!
//! Hashes run on a small pool of dedicated threads, one per core, so a burst of log-ins
//! queues here instead of filling tokio's threads and memory (19 MiB per hash in
//! flight). The threads run at the lowest CPU priority: page requests always get the CPU
//! first, and hashing takes what is left, which on a busy server is still nearly all
//! of it.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, mpsc};

use argon2::password_hash::{SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::oneshot;

use crate::domain::check_password_length;

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

pub fn argon2id() -> Argon2<'static> {
    // The parameters are constants inside argon2's documented ranges.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, checked when the login is unknown so that an
/// unknown login costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_now("dummy password for unknown logins").unwrap_or_default());

pub fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2id().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_now(password: &str, stored_hash: Option<&str>) -> bool {
    let (hash, known) = match stored_hash {
        Some(hash) => (hash, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let verified = PasswordHash::new(hash).map(|parsed| argon2id().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false);
    known && verified
}

type Job = Box<dyn FnOnce() + Send>;

/// Handle to the hashing threads. Cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
}

impl Passwords {
    pub fn start(threads: usize) -> Passwords {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        LazyLock::force(&DUMMY_HASH);
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new().name(format!("argon2-{index}")).spawn(move || {
                lower_this_threads_priority();
                loop {
                    let job = match receiver.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a hashing thread");
            }
        }
        Passwords { jobs }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs.send(job).ok()?;
        result.await.ok()
    }

    pub async fn hash(&self, password: &str) -> Option<String> {
        let password = password.to_string();
        self.run(move || hash_now(&password).ok()).await.flatten()
    }

    /// True only if the account exists and the password matches. Takes the same time
    /// when `stored_hash` is None.
    pub async fn verify(&self, password: &str, stored_hash: Option<String>) -> bool {
        let password = password.to_string();
        self.run(move || verify_now(&password, stored_hash.as_deref())).await.unwrap_or(false)
    }
}

fn lower_this_threads_priority() {
    // On Linux the nice value belongs to the calling thread only.
    #[cfg(target_os = "linux")]
    // SAFETY: nice() has no memory-safety preconditions.
    unsafe {
        libc::nice(19);
    }
}

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

    #[test]
    fn verify_matches_only_the_right_password() {
        let hash = hash_now("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_now("correct horse battery", Some(&hash)));
        assert!(!verify_now("wrong horse battery", Some(&hash)));
        // Unknown login: the dummy hash is checked and the answer is always no.
        assert!(!verify_now("dummy password for unknown logins", None));
    }
}
