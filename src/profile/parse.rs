//! Profile text → [`Profile`]: TOML with positions, sections, key names and keyd expressions.
use std::path::{Path, PathBuf};

use super::{Diagnostic, Profile, ProfileSet};

pub fn parse_profile(_path: &Path, _text: &str) -> Result<(Profile, Vec<Diagnostic>), Vec<Diagnostic>> {
    todo!()
}

pub fn load_set(_paths: &[PathBuf]) -> Result<ProfileSet, Vec<Diagnostic>> {
    todo!()
}
