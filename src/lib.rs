//! keymapd: a keyboard remapping daemon for Linux.
//! The library is the thin I/O shell (daemon) and the CLI around the pure core (`keymapd-core`).

// No unwrap/expect/panic! outside tests: the workspace [lints] in Cargo.toml deny them (a case
// that truly cannot fail is a match with a fallback, or allowed at the site with a reason).
// Unsafe code only where the system is touched: the daemon's ioctls, timerfd and raw reads.
#![deny(unsafe_code)]

pub mod cli;
pub mod control;
#[allow(unsafe_code)]
pub mod daemon;
pub mod profile_files;
pub mod program_args;
pub mod reference;
pub mod session;
pub mod show;
pub mod term;

// The pure core lives in its own crate (crates/keymapd-core); its modules keep their paths here.
pub use keymapd_core::{engine, import_keyd, keymap, keys, merger, profile, script};
