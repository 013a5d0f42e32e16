//! Platform: in-app notices, the bell in the portal's top bar. A notice is written in the
//! transaction of the change it tells of ("<name> asks to join" to each administrator,
//! "<name> accepted your invitation" to the inviter) and read by its one recipient, so
//! it reaches people who log in by phone as well. Callers check who may read.
//! May depend on: `live`, `domain`, `error`.

#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

use crate::domain::time::Moment;

/// What a notice tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    /// Someone registered through the quick registration link and awaits approval.
    JoinRequest,
    /// Someone accepted an invitation the reader sent.
    InvitationAccepted,
    /// Something was done to the reader's account's security (a two-factor reset).
    Security,
}

impl NoticeKind {
    pub fn key(self) -> &'static str {
        match self {
            NoticeKind::JoinRequest => "join_request",
            NoticeKind::InvitationAccepted => "invitation_accepted",
            NoticeKind::Security => "security",
        }
    }

    pub fn parse(key: &str) -> Option<NoticeKind> {
        [NoticeKind::JoinRequest, NoticeKind::InvitationAccepted, NoticeKind::Security].into_iter().find(|kind| kind.key() == key)
    }
}

/// One notice as its reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i64,
    pub kind: NoticeKind,
    pub text: String,
    /// The person the notice is about.
    pub subject_id: Option<i64>,
    pub at: Moment,
    pub read: bool,
    /// A join request still waiting: the notice offers Approve and Deny.
    pub awaits_decision: bool,
}

/// The bell: the newest notices and how many are unread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Notices {
    pub unread: i64,
    pub items: Vec<Notice>,
}

/// Notices the bell lists (the newest).
pub const NOTICES_SHOWN: i64 = 30;
