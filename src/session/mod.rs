//! The session agent's desktop backends (placeholder for this branch: the agent's own module
//! replaces this file at merge).

/// The focused window: its application id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    pub app_id: String,
    pub title: String,
}

pub mod gnome;
