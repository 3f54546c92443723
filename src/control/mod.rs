//! The control socket's protocol (`protocol`): what the daemon, the session agent and the
//! command-line clients say to each other. The daemon's socket server comes with the daemon.

pub mod protocol;
