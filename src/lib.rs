//! keymapd: a keyboard remapping daemon for Linux.
//! The library holds the pure core (keys, profiles, engine, merger) and the thin I/O shell (daemon).

pub mod cli;
pub mod daemon;
pub mod engine;
pub mod import_keyd;
pub mod keymap;
pub mod keys;
pub mod merger;
pub mod profile;
pub mod script;
