//! keymapd's pure remapping core: key names, profiles, the compiled keymap, the engine and the
//! merger. Everything here is deterministic: no clock, no file, no device, no log.

// What the compiler and clippy enforce here (ARCHITECTURE.md): no unsafe code; no dependency
// that does I/O (Cargo.toml); no clock, sleep, file, process or printing (clippy.toml); no
// unwrap/expect/panic outside tests (the workspace [lints]).
#![forbid(unsafe_code)]

pub mod engine;
pub mod import_keyd;
pub mod keymap;
pub mod keys;
pub mod merger;
pub mod profile;
pub mod script;
