//! Password hashing: argon2id at OWASP parameters (19 MiB, t=2, p=1).
//!
//! Hashes run on a small pool of dedicated threads, one per core, so a burst of log-ins
//! queues here instead of filling tokio's threads and memory (19 MiB per hash in
//! flight). The threads run at the lowest CPU priority: page requests always get the CPU
//! first, and hashing takes what is left, which on a busy server is still nearly all
//! of it. Each thread keeps its 19 MiB working memory between hashes instead of
//! allocating and zeroing a fresh one every time (about a tenth of a verify's cost).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, mpsc};

use argon2::password_hash::{Output, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::oneshot;

use crate::error::AppError;

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

pub fn argon2id() -> Argon2<'static> {
    // The parameters are constants inside argon2's documented ranges.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, checked when the login is unknown so that an
/// unknown login costs the same time as a wrong password. [`Passwords::start`] refuses
/// to start without it: an empty stand-in would answer unknown logins at once.
static DUMMY_HASH: LazyLock<Result<String, String>> =
    LazyLock::new(|| hash_now("dummy password for unknown logins").map_err(|e| format!("cannot make the dummy password hash: {e}")));

fn dummy_hash() -> &'static str {
    DUMMY_HASH.as_deref().unwrap_or_default()
}

pub fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2id().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// The library's plain verify (fresh memory each time): the reference the benchmark
/// compares the app's pool against.
pub fn verify_now(password: &str, stored_hash: Option<&str>) -> bool {
    let (hash, known) = match stored_hash {
        Some(hash) => (hash, true),
        None => (dummy_hash(), false),
    };
    let verified = PasswordHash::new(hash).map(|parsed| argon2id().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false);
    known && verified
}

/// Verifies like `verify_now`, but computes in `memory`, which is kept between calls.
pub fn verify_in(memory: &mut Vec<Block>, password: &str, stored_hash: Option<&str>) -> bool {
    let (hash, known) = match stored_hash {
        Some(hash) => (hash, true),
        None => (dummy_hash(), false),
    };
    // Always compute, then decide: an unknown login must cost a full hash too.
    let matches = matches_hash(memory, password, hash);
    known && matches
}

/// Whether `password` hashes to `hash`. A stored value that is not a hash this server
/// checks ("!unset": an account whose person has not chosen a password yet) never matches,
/// but costs a full hash all the same, against the dummy: otherwise its refusal would come
/// at once and tell such an account from an unknown login.
fn matches_hash(memory: &mut Vec<Block>, password: &str, hash: &str) -> bool {
    match hash_matches(memory, password, hash) {
        Some(matches) => matches,
        None => {
            let _ = hash_matches(memory, password, dummy_hash());
            false
        }
    }
}

/// `None` when `hash` is not an argon2id hash of version 0x13.
fn hash_matches(memory: &mut Vec<Block>, password: &str, hash: &str) -> Option<bool> {
    let parsed = PasswordHash::new(hash).ok()?;
    if parsed.algorithm.as_str() != "argon2id" || parsed.version.is_some_and(|v| v != 0x13) {
        return None;
    }
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&parsed), parsed.salt, parsed.hash) else { return None };
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).ok()?;
    if memory.len() != params.block_count() {
        *memory = vec![Block::default(); params.block_count()];
    }
    let mut computed = vec![0u8; expected.len()];
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    hasher.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, memory.as_mut_slice()).ok()?;
    // `Output` compares in constant time.
    Some(Output::new(&computed).is_ok_and(|computed| computed == expected))
}

/// Work for a hashing thread; it lends the thread's reusable memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes that may wait per hashing thread. Past that the server is saturated: new work
/// is refused at once (503) instead of queueing memory and time without end.
pub const QUEUED_PER_THREAD: usize = 128;

/// Handle to the hashing threads. Cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::SyncSender<Job>,
    /// Hashes accepted and not yet started (the metrics' hashing queue depth).
    waiting: Arc<AtomicUsize>,
}

/// The hashing threads are saturated; try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saturated;

impl From<Saturated> for crate::error::AppError {
    fn from(_: Saturated) -> Self {
        crate::error::AppError::Busy { retry_after: 5 }
    }
}

impl Passwords {
    /// Starts the hashing threads. Fails (and so stops the start-up) when the dummy hash
    /// for unknown logins cannot be made.
    pub fn start(threads: usize) -> Result<Passwords, String> {
        Passwords::start_with_queue(threads, threads.max(1) * QUEUED_PER_THREAD)
    }

    /// Like [`Passwords::start`], with at most `queued` hashes waiting.
    pub fn start_with_queue(threads: usize, queued: usize) -> Result<Passwords, String> {
        DUMMY_HASH.as_ref().map_err(Clone::clone)?;
        let (jobs, receiver) = mpsc::sync_channel::<Job>(queued);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new().name(format!("argon2-{index}")).spawn(move || {
                lower_this_threads_priority();
                let mut memory = Vec::new();
                loop {
                    let job = match receiver.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(&mut memory),
                        Err(_) => return,
                    }
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a hashing thread");
            }
        }
        Ok(Passwords { jobs, waiting: Arc::default() })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        let waiting = Arc::clone(&self.waiting);
        let job: Job = Box::new(move |memory| {
            waiting.fetch_sub(1, Ordering::Relaxed);
            let _ = done.send(work(memory));
        });
        self.waiting.fetch_add(1, Ordering::Relaxed);
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(refused) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                return Err(match refused {
                    mpsc::TrySendError::Full(_) => Saturated.into(),
                    mpsc::TrySendError::Disconnected(_) => AppError::Internal,
                });
            }
        }
        result.await.map_err(|_| AppError::Internal)
    }

    /// Hashes waiting for a thread.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The argon2id hash of a new password; `Busy` (503) when the threads are saturated.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_string();
        self.run(move |_| hash_now(&password).ok()).await?.ok_or(AppError::Internal)
    }

    /// True only if the account exists and the password matches. Takes the same time
    /// when `stored_hash` is None. `Busy` (503) when the threads are saturated.
    pub async fn verify(&self, password: &str, stored_hash: Option<String>) -> Result<bool, AppError> {
        let password = password.to_string();
        self.run(move |memory| verify_in(memory, &password, stored_hash.as_deref())).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_matches_only_the_right_password() {
        let hash = hash_now("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_now("correct horse battery", Some(&hash)));
        assert!(!verify_now("wrong horse battery", Some(&hash)));
        // Unknown login: the dummy hash is checked and the answer is always no.
        assert!(!verify_now("dummy password for unknown logins", None));
    }

    /// Work beyond the queue is refused at once with `Busy` (503), not queued without end.
    #[tokio::test]
    async fn a_full_queue_answers_busy() {
        let passwords = Passwords::start_with_queue(1, 2).unwrap();
        let attempts = (0..10).map(|_| {
            let passwords = passwords.clone();
            tokio::spawn(async move { passwords.hash("correct horse battery").await })
        });
        let answers: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|joined| joined.unwrap()).collect();
        let busy = answers.iter().filter(|a| matches!(a, Err(AppError::Busy { .. }))).count();
        let hashed = answers.iter().filter(|a| a.is_ok()).count();
        assert!((2..=3).contains(&hashed) && busy + hashed == 10, "hashed {hashed}, busy {busy}");
    }

    #[test]
    fn reused_memory_gives_the_same_answers() {
        let first = hash_now("correct horse battery").unwrap_or_default();
        let second = hash_now("another fine password").unwrap_or_default();
        let mut memory = Vec::new();
        assert!(verify_in(&mut memory, "correct horse battery", Some(&first)));
        assert!(!verify_in(&mut memory, "another fine password", Some(&first)));
        assert!(verify_in(&mut memory, "another fine password", Some(&second)));
        assert!(!verify_in(&mut memory, "correct horse battery", Some(&second)));
        assert!(!verify_in(&mut memory, "dummy password for unknown logins", None));
        assert!(!verify_in(&mut memory, "x", Some("not a hash")));
        // A hash made with other parameters still verifies (memory is resized).
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap_or_default());
        let salt = SaltString::generate(&mut OsRng);
        let other = small.hash_password(b"old parameters", &salt).map(|h| h.to_string()).unwrap_or_default();
        assert!(verify_in(&mut memory, "old parameters", Some(&other)));
        assert_eq!(memory.len(), 8 * 1024);
    }

    /// An unknown login, or an account with no password yet, must do the full argon2
    /// work, or its speed would tell what the account is. (A shortcut is ~1000x faster;
    /// the bound leaves room for a busy machine.)
    #[test]
    fn unknown_logins_cost_a_full_hash() {
        let known = hash_now("correct horse battery").unwrap_or_default();
        let mut memory = Vec::new();
        verify_in(&mut memory, "warm up", Some(&known));
        let time = |stored: Option<&str>, memory: &mut Vec<Block>| {
            let started = std::time::Instant::now();
            for _ in 0..3 {
                verify_in(memory, "wrong password", stored);
            }
            started.elapsed()
        };
        let with_account = time(Some(&known), &mut memory);
        let without_account = time(None, &mut memory);
        assert!(without_account * 3 > with_account, "unknown {without_account:?} vs known {with_account:?}");
        // An account whose person has not chosen a password yet stores no hash.
        let without_password = time(Some("!unset"), &mut memory);
        assert!(without_password * 3 > with_account, "no password yet {without_password:?} vs known {with_account:?}");
    }
}
