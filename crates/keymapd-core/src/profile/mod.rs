//! Profiles: the TOML schema, parsing with source positions, validation, and device-ID matching.
//! Pure: it is given the files' bytes and returns values or `path:line:col` diagnostics.

pub mod expr;
mod ids;
mod parse;
mod unicode;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::keymap::Keymap;

pub use ids::{bus, DeviceClass, DeviceInfo, IdKind, IdSelector, Specificity};

/// The `[global]` settings a profile may set.
pub use parse::SETTINGS;

/// The default profile directory.
pub const DEFAULT_DIR: &str = "/etc/keymapd";

#[derive(Copy, Clone, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A problem in a profile, at a position in its file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is not at a position (an unreadable file).
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.path.display(), sev, self.message)
        } else {
            write!(f, "{}:{}:{}: {}: {}", self.path.display(), self.line, self.col, sev, self.message)
        }
    }
}

/// One keyboard's profile: which devices it claims and what it does to them.
pub struct Profile {
    /// The file stem (`usb-keyboard` for `usb-keyboard.toml`).
    pub name: String,
    pub path: PathBuf,
    pub ids: Vec<IdSelector>,
    pub keymap: Arc<Keymap>,
}

impl Profile {
    /// Parses and validates one profile from its text.
    pub fn parse(path: &Path, text: &str) -> Result<(Profile, Vec<Diagnostic>), Vec<Diagnostic>> {
        parse::parse_profile(path, text)
    }

    /// The best (most specific) selector of this profile that claims `dev`, unless an exclusion
    /// (`-…`) rules `dev` out.
    pub fn claims(&self, dev: &DeviceInfo) -> Option<&IdSelector> {
        ids::best_claim(&self.ids, dev)
    }
}

/// How a device was matched against the profile set.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Match {
    /// Claimed by `profile` (an index into [`ProfileSet::profiles`]) through `selector`.
    /// `tied_with`: another profile that claims the device just as specifically (two `name:`
    /// globs that both fit it). `keymapd check` refuses identical selectors, but whether two
    /// different ones overlap is only known per device; the earlier file wins, and the daemon
    /// and `keymapd list` say so.
    Claimed { profile: usize, selector: String, tied_with: Option<Tie> },
    /// Not claimed, and why.
    Unclaimed(String),
}

/// The other profile of a tie: which one, and the selector through which it fits the device.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Tie {
    pub profile: usize,
    pub selector: String,
}

/// All profiles of a directory (or of the files given), validated together.
pub struct ProfileSet {
    pub profiles: Vec<Profile>,
    pub warnings: Vec<Diagnostic>,
}

impl ProfileSet {
    /// Validates profiles the shell has read (`keymapd::profile_files::load` reads them from
    /// files and directories): `unreadable` what could not be listed, `files` each file's bytes
    /// or why it could not be read, in order. All files are checked; any error fails the set.
    pub fn from_files(
        unreadable: Vec<(PathBuf, String)>,
        files: Vec<(PathBuf, Result<Vec<u8>, String>)>,
    ) -> Result<ProfileSet, Vec<Diagnostic>> {
        parse::build_set(unreadable, files)
    }

    /// Which profile claims `dev`: the most specific claim wins; ties go to the first file by
    /// name (`keymapd check` refuses identical selectors; any other tie is in the result).
    pub fn match_device(&self, dev: &DeviceInfo) -> Match {
        ids::match_device(&self.profiles, dev)
    }

    /// What a claim's tie says, for the daemon's `match` line and `keymapd list`.
    pub fn describe_tie(&self, tie: &Tie) -> String {
        format!("tied with {} via {}: the earlier file wins", self.profiles[tie.profile].name, tie.selector)
    }
}
