//! The company structure: a tree of departments, each with a name, a parent and one
//! head. Every portal has one top department (named after the company) where people
//! added without a department land. Administrators edit the tree; tree edits take a
//! portal-wide lock so concurrent moves cannot make a cycle.
//! Feature. May depend on: `access`, the platform and the base; no other feature.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub head_id: Option<i64>,
    pub head_name: Option<String>,
    pub member_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    /// Parents come before their children; siblings in name order.
    pub departments: Vec<Department>,
    pub viewer_is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberBrief {
    pub account_id: i64,
    pub name: String,
    pub position: String,
}

/// The first members of one department, for its detail panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentMembers {
    pub members: Vec<MemberBrief>,
    pub total: i64,
}

/// A department with its place in the tree, for drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    pub department: Department,
    pub children: Vec<TreeNode>,
}

/// Builds the tree from a list in tree order (as the server sends it), keeping that
/// order among siblings. Departments whose parent is missing are dropped (they cannot
/// exist: the database keeps parents inside the portal).
pub fn build_tree(departments: &[Department]) -> Option<TreeNode> {
    let mut children: std::collections::HashMap<i64, Vec<&Department>> = std::collections::HashMap::new();
    for department in departments {
        if let Some(parent) = department.parent_id {
            children.entry(parent).or_default().push(department);
        }
    }
    fn node(department: &Department, children: &std::collections::HashMap<i64, Vec<&Department>>) -> TreeNode {
        let kids = children.get(&department.id).map(|kids| kids.iter().map(|kid| node(kid, children)).collect()).unwrap_or_default();
        TreeNode { department: department.clone(), children: kids }
    }
    let top = departments.iter().find(|d| d.parent_id.is_none())?;
    Some(node(top, &children))
}

/// Orders names the way people read them: "Team 2" before "Team 10", case ignored.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(text: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((was_digit, chunk)) if *was_digit == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (left, right) = (chunks(a), chunks(b));
    for ((left_digit, l), (right_digit, r)) in left.iter().zip(right.iter()) {
        let order = if *left_digit && *right_digit {
            let (l, r) = (l.trim_start_matches('0'), r.trim_start_matches('0'));
            l.len().cmp(&r.len()).then_with(|| l.cmp(r))
        } else {
            l.cmp(r)
        };
        if order.is_ne() {
            return order;
        }
    }
    left.len().cmp(&right.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_naturally() {
        let mut names = vec!["Team 10", "team 2", "Team 1", "Sales", "Team 02b", "Accounting"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["Accounting", "Sales", "Team 1", "team 2", "Team 02b", "Team 10"]);
    }

    fn department(id: i64, parent_id: Option<i64>) -> Department {
        Department { id, parent_id, name: format!("D{id}"), head_id: None, head_name: None, member_count: 0 }
    }

    #[test]
    fn the_tree_hangs_from_the_top_department() {
        let list = vec![department(1, None), department(2, Some(1)), department(3, Some(2)), department(4, Some(1))];
        let tree = build_tree(&list)
            .map(|t| (t.department.id, t.children.iter().map(|c| (c.department.id, c.children.len())).collect::<Vec<_>>()));
        assert_eq!(tree, Some((1, vec![(2, 1), (4, 0)])));
        assert_eq!(build_tree(&[]), None);
    }
}
