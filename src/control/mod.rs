//! The control socket's protocol (`protocol`): what the daemon, the session agent and the
//! command-line clients say to each other; and the command-line side (`client`: `keymapd status`,
//! `reload`, `listen`). The daemon's server is `daemon::control`.

pub mod client;
pub mod protocol;
