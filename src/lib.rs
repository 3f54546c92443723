//! keymapd: a keyboard remapping daemon for Linux.
//! The library holds the pure core (keys, profiles, engine, merger) and the thin I/O shell (daemon).

// Input, the system or a file must never be able to panic the daemon: it would take the keyboard
// with it. So no unwrap/expect/panic! outside tests (unit tests are `cfg(test)`; integration
// tests, benches and the fuzz crate are other crates). A case that truly cannot fail is written
// as a match with a fallback, or allowed at the site with a comment that says why.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cli;
pub mod control;
pub mod daemon;
pub mod engine;
pub mod import_keyd;
pub mod keymap;
pub mod keys;
pub mod merger;
pub mod profile;
pub mod reference;
pub mod script;
pub mod session;
pub mod show;
