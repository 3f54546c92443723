//! The thin I/O shell: device discovery, grab, uinput, event loop, hotplug, reload, signals.
//! The only module that touches the system; all remapping decisions are the engine's.

mod control;
mod devices;
mod event_loop;
mod frame;
mod input;
mod keyboard;
mod keystate;
mod list;
mod live;
pub mod program;
mod registry;
mod reload;
pub mod sys;
mod uinput;

use std::io;
use std::path::{Path, PathBuf};

use crate::profile::{ProfileSet, Severity};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// /dev/uinput cannot be used (no virtual clone could be created); the message says what to do.
    #[error("{0}")]
    Uinput(String),
    /// The profile directory is missing or unusable; the message says what to do.
    #[error("{0}")]
    Config(String),
    /// The profiles have errors (each was logged as `path:line:col: error: …`).
    #[error("{0} error(s) in the profiles; fix them (`keymapd check`) and start again")]
    InvalidProfiles(usize),
    /// `keymapd test`: no keyboard to watch.
    #[error("{0}")]
    NoDevice(String),
    /// The panic escape (backspace+escape+enter) was pressed.
    #[error("panic escape: backspace+escape+enter held together; released every key, ungrabbed every keyboard, exiting")]
    PanicEscape,
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
}

impl Error {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

/// `keymapd run`: serve until SIGTERM/SIGINT, with the control socket at `socket`.
pub fn run(config: &Path, socket: &Path) -> Result<(), Error> {
    event_loop::run(config, socket)
}

/// `keymapd list`: every input device and which profile claims it.
/// `config`: `--config DIR` (must exist), or `None` for the default directory.
pub fn list(config: Option<&Path>, json: bool) -> Result<(), Error> {
    list::list(config, json)
}

/// `keymapd test` without `--script`: read matching keyboards without grabbing; echo each key.
pub fn live_test(config: &Path) -> Result<(), Error> {
    live::live_test(config)
}

/// An open error a user will meet, with what to do about it.
fn explain_open(path: &Path, e: &io::Error) -> String {
    let p = path.display();
    let is_uinput = path == Path::new(uinput::UINPUT);
    match e.kind() {
        io::ErrorKind::NotFound if is_uinput => {
            format!("{p} does not exist: load the uinput module (`modprobe uinput`; to load it at boot, add `uinput` to /etc/modules-load.d/keymapd.conf)")
        }
        io::ErrorKind::PermissionDenied if is_uinput => format!(
            "{p}: permission denied: keymapd needs read-write access to {p}: run it as root, or as a member \
             of the `uinput` group (and `input` for the keyboards) with keymapd's udev rule installed \
             (udev-rules/70-keymapd.rules into /etc/udev/rules.d/, then `udevadm control --reload && \
             udevadm trigger`), which gives group `uinput` access to {p}"
        ),
        io::ErrorKind::PermissionDenied => format!(
            "{p}: permission denied: reading keyboards needs root or membership in the `input` group \
             (`usermod -aG input USER`, then log in again); keymapd's udev rule \
             (udev-rules/70-keymapd.rules) gives group `input` access to keyboards"
        ),
        io::ErrorKind::NotFound => format!("{p}: no such device (it was unplugged?)"),
        _ => format!("{p}: {e}"),
    }
}

/// Loads the profile set from `config`, logging every diagnostic. A directory without profiles
/// is an empty set (the daemon then waits for profiles to appear).
fn load_profiles(config: &Path) -> Result<ProfileSet, Error> {
    load_profiles_into(config, &mut Vec::new())
}

/// [`load_profiles`], also collecting each error line (for `keymapd reload`'s answer).
fn load_profiles_into(config: &Path, errors: &mut Vec<String>) -> Result<ProfileSet, Error> {
    if !config.exists() {
        return Err(Error::Config(format!(
            "{}: no such profile directory: create it and add a profile (e.g. {}/keyboard.toml with `ids = [\"*\"]`), \
             check it with `keymapd check`, or pass --config DIR",
            config.display(),
            config.display()
        )));
    }
    if config.is_dir() && !has_toml(config) {
        return Ok(ProfileSet { profiles: Vec::new(), warnings: Vec::new() });
    }
    match crate::profile_files::load(&[config.to_path_buf()]) {
        Ok(set) => {
            for w in &set.warnings {
                log::warn!("{w}");
            }
            Ok(set)
        }
        Err(diags) => {
            // The failed set's warnings travel with its errors: each is logged at its own level
            // and only the errors are counted.
            for d in &diags {
                match d.severity {
                    Severity::Error => {
                        log::error!("{d}");
                        errors.push(d.to_string());
                    }
                    Severity::Warning => log::warn!("{d}"),
                }
            }
            Err(Error::InvalidProfiles(diags.iter().filter(|d| d.severity == Severity::Error).count()))
        }
    }
}

fn has_toml(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().any(|e| e.path().extension().is_some_and(|x| x == "toml")))
        .unwrap_or(false)
}

/// The directory to watch for a `--config` path (itself, or a file's parent).
fn watch_dir(config: &Path) -> PathBuf {
    if config.is_dir() {
        config.to_path_buf()
    } else {
        match config.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: io::ErrorKind) -> io::Error {
        io::Error::from(kind)
    }

    #[test]
    fn no_uinput_says_to_load_the_module() {
        let m = explain_open(Path::new(uinput::UINPUT), &err(io::ErrorKind::NotFound));
        assert!(m.starts_with("/dev/uinput does not exist: load the uinput module"), "{m}");
        assert!(m.contains("`modprobe uinput`"), "{m}");
        assert!(m.contains("/etc/modules-load.d/"), "{m}");
    }

    #[test]
    fn uinput_permission_names_the_group_and_the_udev_rule() {
        let m = explain_open(Path::new(uinput::UINPUT), &err(io::ErrorKind::PermissionDenied));
        assert!(m.starts_with("/dev/uinput: permission denied"), "{m}");
        assert!(m.contains("member of the `uinput` group"), "{m}");
        assert!(m.contains("udev-rules/70-keymapd.rules"), "{m}");
        assert!(m.contains("udevadm control --reload"), "{m}");
    }

    #[test]
    fn keyboard_errors_are_not_about_uinput() {
        let node = Path::new("/dev/input/event3");
        let m = explain_open(node, &err(io::ErrorKind::PermissionDenied));
        assert!(m.starts_with("/dev/input/event3: permission denied"), "{m}");
        assert!(m.contains("`input` group") && m.contains("70-keymapd.rules"), "{m}");
        assert!(!m.contains("uinput"), "{m}");
        let m = explain_open(node, &err(io::ErrorKind::NotFound));
        assert!(m.contains("no such device") && !m.contains("uinput"), "{m}");
    }
}
