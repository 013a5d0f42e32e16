//! Base: one error type for every server function. Variants carry what the person needs
//! to read; internal causes are logged on the server and never sent to the browser. Each
//! variant has a stable code (the `code` of its JSON form) and HTTP status.
//! May depend on: nothing in the crate.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "details", rename_all = "snake_case")]
pub enum AppError {
    /// Bad input in one form field; `field` is the input's `name`.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Please log in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// One message for every failed log-in, whatever the reason.
    #[error("Incorrect login or password")]
    BadCredentials,
    /// A throttle's limit is reached; the next attempt may come after `retry_after`
    /// seconds (also sent as the `Retry-After` header).
    #[error("Too many attempts. Please wait {} and try again.", wait_text(*retry_after))]
    TooManyAttempts { retry_after: u32 },
    #[error("Your registration is awaiting administrator approval.")]
    AwaitingApproval,
    /// Every portal of the account has dismissed it.
    #[error("Your access to this Bitrix24 has been closed by an administrator.")]
    AccessClosed,
    /// The account's password was generated and sent by e-mail: the person chooses their
    /// own (in the network profile) before using any portal.
    #[error("Choose a new password before you continue: the one you were sent works for the first log-in only.")]
    PasswordChangeRequired,
    /// An administrator of a portal that requires two-factor log-in for administrators,
    /// without it: the administrator pages wait until it is set up.
    #[error(
        "This portal asks its administrators to use two-factor log-in. Set it up in your network profile to use the administrator pages."
    )]
    TwoFactorRequired,
    /// The second step of a log-in (the two-factor code) came too late, or without its
    /// first step.
    #[error("Your log-in has timed out. Please enter your login and password again.")]
    LogInExpired,
    /// A state-changing request that did not come from this site.
    #[error("This request did not come from this site and was refused.")]
    CrossSite,
    /// A single-use link that was used, cancelled or has expired.
    #[error("This link has expired or has already been used.")]
    LinkExpired,
    /// The change clashes with data that exists (the message says with what).
    #[error("{0}")]
    Conflict(String),
    /// The server is saturated (the password-hashing queue is full); try again after
    /// `retry_after` seconds.
    #[error("The server is busy. Please try again in a few seconds.")]
    Busy { retry_after: u32 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached the function (network, encoding).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

/// "15 minutes", "1 minute": a wait rounded up to whole minutes.
fn wait_text(seconds: u32) -> String {
    let minutes = seconds.div_ceil(60).max(1);
    if minutes == 1 { "1 minute".into() } else { format!("{minutes} minutes") }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_string(), message: message.into() }
    }

    /// The message for one field, if this error is about that field.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// A message not tied to a field (shown at the top of the form).
    pub fn general_message(&self) -> Option<String> {
        match self {
            AppError::Invalid { .. } => None,
            other => Some(other.to_string()),
        }
    }

    /// The stable name of the variant: the `code` field of the JSON an API client reads.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::BadCredentials => "bad_credentials",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::AwaitingApproval => "awaiting_approval",
            AppError::AccessClosed => "access_closed",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::TwoFactorRequired => "two_factor_required",
            AppError::LogInExpired => "log_in_expired",
            AppError::CrossSite => "cross_site",
            AppError::LinkExpired => "link_expired",
            AppError::Conflict(_) => "conflict",
            AppError::Busy { .. } => "busy",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    /// Seconds a client should wait before trying again (throttles only).
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::TooManyAttempts { retry_after } | AppError::Busy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The HTTP status the server answers with. Stable: clients and tests rely on it.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::Unauthorized | AppError::BadCredentials | AppError::LogInExpired => 401,
            AppError::Forbidden
            | AppError::CrossSite
            | AppError::AwaitingApproval
            | AppError::AccessClosed
            | AppError::PasswordChangeRequired
            | AppError::TwoFactorRequired => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::LinkExpired => 410,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Busy { .. } => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        tracing::error!(%error, "e-mail template error");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_stable() {
        assert_eq!(AppError::invalid("email", "x").status_code(), 422);
        assert_eq!(AppError::BadCredentials.status_code(), 401);
        assert_eq!(AppError::Unauthorized.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::CrossSite.status_code(), 403);
        assert_eq!(AppError::AccessClosed.status_code(), 403);
        assert_eq!(AppError::TwoFactorRequired.status_code(), 403);
        assert_eq!(AppError::LogInExpired.status_code(), 401);
        assert_eq!(AppError::NotFound.status_code(), 404);
        assert_eq!(AppError::Conflict("x".into()).status_code(), 409);
        assert_eq!(AppError::LinkExpired.status_code(), 410);
        assert_eq!(AppError::TooManyAttempts { retry_after: 60 }.status_code(), 429);
        assert_eq!(AppError::Busy { retry_after: 5 }.status_code(), 503);
        assert_eq!(AppError::Internal.status_code(), 500);
    }

    /// The codes are part of the API: clients match on them, so they never change.
    #[test]
    fn codes_are_stable_and_travel_in_the_json() {
        let every = [
            (AppError::invalid("email", "x"), "invalid"),
            (AppError::Unauthorized, "unauthorized"),
            (AppError::Forbidden, "forbidden"),
            (AppError::NotFound, "not_found"),
            (AppError::BadCredentials, "bad_credentials"),
            (AppError::TooManyAttempts { retry_after: 90 }, "too_many_attempts"),
            (AppError::AwaitingApproval, "awaiting_approval"),
            (AppError::AccessClosed, "access_closed"),
            (AppError::PasswordChangeRequired, "password_change_required"),
            (AppError::CrossSite, "cross_site"),
            (AppError::LinkExpired, "link_expired"),
            (AppError::Conflict("x".into()), "conflict"),
            (AppError::Busy { retry_after: 5 }, "busy"),
            (AppError::Internal, "internal"),
            (AppError::Transport("x".into()), "transport"),
        ];
        for (error, code) in every {
            assert_eq!(error.code(), code);
            let json: serde_json::Value = serde_json::to_value(&error).unwrap();
            assert_eq!(json["code"], code, "{json}");
            assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), error);
        }
        let throttled = serde_json::to_value(AppError::TooManyAttempts { retry_after: 90 }).unwrap();
        assert_eq!(throttled["details"]["retry_after"], 90);
    }

    #[test]
    fn waits_are_told_in_whole_minutes() {
        assert_eq!(AppError::TooManyAttempts { retry_after: 900 }.to_string(), "Too many attempts. Please wait 15 minutes and try again.");
        assert_eq!(AppError::TooManyAttempts { retry_after: 61 }.to_string(), "Too many attempts. Please wait 2 minutes and try again.");
        assert_eq!(AppError::TooManyAttempts { retry_after: 0 }.to_string(), "Too many attempts. Please wait 1 minute and try again.");
        assert_eq!(AppError::TooManyAttempts { retry_after: 60 }.retry_after(), Some(60));
        assert_eq!(AppError::Forbidden.retry_after(), None);
    }

    #[test]
    fn field_errors_belong_to_their_field() {
        let error = AppError::invalid("slug", "Taken");
        assert_eq!(error.for_field("slug").as_deref(), Some("Taken"));
        assert_eq!(error.for_field("email"), None);
        assert_eq!(error.general_message(), None);
        assert_eq!(AppError::BadCredentials.general_message().as_deref(), Some("Incorrect login or password"));
    }
}
