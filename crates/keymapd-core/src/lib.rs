//! keymapd's pure remapping core: key names, profiles, the compiled keymap, the engine and the
//! merger. Everything here is deterministic: no clock, no file, no device, no log.

// As in the daemon crate: nothing here may unwrap, expect or panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod engine;
pub mod import_keyd;
pub mod keymap;
pub mod keys;
pub mod merger;
pub mod profile;
pub mod script;
