//! Running the app in production: health and readiness answers, Prometheus metrics, a
//! request id on every request and log line, and the stop signal. Server side only.
//! Platform layer. May depend on: `server`, `live`, `crypto`, `error`.

pub mod health;
pub mod metrics;
pub mod request_id;
pub mod shutdown;
