//! Platform: the server's cryptography. Password hashing on its own threads (argon2id),
//! random single-use secrets stored only as hashes, and sealing of secrets kept at rest.
//! May depend on: `domain`, `error`. Nothing here knows about accounts or portals.

pub mod passwords;
pub mod sealing;
pub mod tokens;
