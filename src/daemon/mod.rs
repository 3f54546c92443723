//! The thin I/O shell: device discovery, grab, uinput, event loop, hotplug, reload, signals.
//! The only module that touches the system; all remapping decisions are the engine's.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Other(String),
}

/// `keymapd run`: serve until SIGTERM/SIGINT.
pub fn run(_config: &Path) -> Result<(), Error> {
    Err(Error::Other("not implemented yet".into()))
}

/// `keymapd list`: every input device and which profile claims it.
pub fn list(_config: &Path) -> Result<(), Error> {
    Err(Error::Other("not implemented yet".into()))
}

/// `keymapd test` without `--script`: read matching keyboards without grabbing; echo each key.
pub fn live_test(_config: &Path) -> Result<(), Error> {
    Err(Error::Other("not implemented yet".into()))
}
