//! The I/O half of loading profiles: list directories, read files (bounded, never blocking on a
//! FIFO); the core (`ProfileSet::from_files`) validates what was read.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::profile::{Diagnostic, ProfileSet};

/// Profiles larger than this are refused (a keyboard's profile is a few KiB).
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;

/// Loads profiles from files and directories (a directory contributes its `*.toml` files, in
/// name order). All files are read and checked; any error fails the whole set.
pub fn load(paths: &[PathBuf]) -> Result<ProfileSet, Vec<Diagnostic>> {
    let mut unreadable = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            match profile_files(p) {
                Ok(f) => files.extend(f),
                Err(e) => unreadable.push((p.clone(), e)),
            }
        } else {
            files.push(p.clone());
        }
    }
    let files = files.into_iter().map(|f| {
        let bytes = read_profile(&f);
        (f, bytes)
    });
    ProfileSet::from_files(unreadable, files.collect())
}

/// Reads one profile file, refusing what is not a small regular file.
fn read_profile(path: &Path) -> Result<Vec<u8>, String> {
    // Open first (non-blocking, so a FIFO cannot hang us), then judge the file that was opened:
    // checking the path and reading it separately would let it be swapped in between.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let too_large =
        |len: u64| format!("file too large ({len} bytes; a profile may have at most {MAX_PROFILE_BYTES})");
    if meta.len() > MAX_PROFILE_BYTES {
        return Err(too_large(meta.len()));
    }
    // A file growing while it is read is cut at the limit and refused, never read whole.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The `*.toml` files of a directory, in name order; hidden and editor files are skipped.
fn profile_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let err = |e: std::io::Error| format!("cannot read directory: {e}");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('#') || !name.ends_with(".toml") {
            continue;
        }
        files.push(entry.path());
    }
    files.sort();
    Ok(files)
}
