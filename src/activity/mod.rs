//! The Activity Stream (the portal's feed) and the General chat. Employees write posts
//! and messages; the system announces "<name> joined the portal" in both. Text is
//! trimmed, length-limited and always rendered as text. New items reach every open page
//! of the portal live.
//! Feature. May depend on: `invitations` (the "Invite users" button), `access`, the
//! platform and the base.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

pub const MAX_POST_CHARS: usize = 5000;
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A post or a chat message. `author_id` None marks a system notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedItem {
    pub id: i64,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub is_notice: bool,
    pub body: String,
    pub at: crate::domain::time::Moment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Pass as `before` for older items.
    pub older: Option<i64>,
}

/// Checks a post or message text: trimmed, not empty, at most `max` characters.
pub fn check_text(raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("Write something first.".into());
    }
    if text.chars().count() > max {
        return Err(format!("This is too long (at most {max} characters)."));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_limited() {
        assert_eq!(check_text("  hello \n", 10), Ok("hello".into()));
        assert!(check_text(" \n\t ", 10).is_err());
        assert!(check_text(&"é".repeat(11), 10).is_err());
        assert!(check_text(&"é".repeat(10), 10).is_ok());
    }
}
