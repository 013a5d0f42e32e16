//! Workgroups: named groups of a portal's employees. Any active employee can create one
//! (and is its first member); the creator and administrators add and remove members;
//! anyone can leave a group.
//! Feature. May depend on: `structure`, `access`, the platform and the base.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::structure::MemberBrief;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkgroupSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub i_am_member: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkgroupDetail {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: Vec<MemberBrief>,
    pub can_manage: bool,
    pub i_am_member: bool,
    pub my_account_id: i64,
}
