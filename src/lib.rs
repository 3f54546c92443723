//! keymapd: a keyboard remapping daemon for Linux.
//! The library is the thin I/O shell (daemon) and the CLI around the pure core (`keymapd-core`).

// Input, the system or a file must never be able to panic the daemon: it would take the keyboard
// with it. So no unwrap/expect/panic! outside tests (unit tests are `cfg(test)`; integration
// tests, benches and the fuzz crate are other crates). A case that truly cannot fail is written
// as a match with a fallback, or allowed at the site with a comment that says why.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cli;
pub mod daemon;
pub mod profile_files;

// The pure core lives in its own crate (crates/keymapd-core); its modules keep their paths here.
pub use keymapd_core::{engine, import_keyd, keymap, keys, merger, profile, script};
