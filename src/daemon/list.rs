//! `keymapd list`: every input device, what it is and which profile claims it, as aligned text.
//! Read-only: it opens devices to identify them and never grabs one.

use std::path::Path;

use crate::profile::{DeviceInfo, Match, ProfileSet};

use super::devices;
use super::{explain_open, load_profiles, Error};

pub fn list(config: &Path) -> Result<(), Error> {
    let set = if config.exists() {
        match load_profiles(config) {
            Ok(set) => set,
            Err(e) => {
                eprintln!("{e}; listing devices as if there were no profiles");
                ProfileSet { profiles: Vec::new(), warnings: Vec::new() }
            }
        }
    } else {
        ProfileSet { profiles: Vec::new(), warnings: Vec::new() }
    };
    let mut rows: Vec<[String; 6]> = Vec::new();
    let mut unopened = 0;
    for node in devices::enumerate() {
        let path = node.devnode.display().to_string();
        match devices::open(&node.devnode) {
            Ok(dev) => {
                let info = devices::info(&dev);
                let kb = if info.is_pointer {
                    "pointer"
                } else if info.is_keyboard {
                    "yes"
                } else {
                    "no"
                };
                rows.push([
                    path,
                    info.id(),
                    kb.into(),
                    or_dash(&info.name),
                    or_dash(&info.phys),
                    claim(&set, &info),
                ]);
            }
            Err(e) => {
                unopened += 1;
                rows.push([
                    path,
                    "?".into(),
                    "?".into(),
                    "?".into(),
                    "?".into(),
                    format!("cannot open: {}", short(&e)),
                ]);
                if unopened == 1 {
                    eprintln!("{}", explain_open(&node.devnode, &e));
                }
            }
        }
    }
    if rows.is_empty() {
        eprintln!("no input devices found under /dev/input");
        return Ok(());
    }
    let header = ["PATH", "ID", "KEYBOARD", "NAME", "PHYS", "PROFILE"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", line.trim_end());
    }
    if unopened > 0 {
        eprintln!("{unopened} device(s) could not be opened (see above); run as root to see them all");
    }
    Ok(())
}

fn short(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied (needs root or the `input` group)".into(),
        _ => e.to_string(),
    }
}

/// Which profile claims the device, or why none does.
fn claim(set: &ProfileSet, info: &DeviceInfo) -> String {
    // Display only: the daemon itself recognises its device by sysfs path, never by name.
    if devices::is_keymapd_output(info) {
        if info.product == super::uinput::POINTER_PRODUCT {
            return "a keymapd virtual pointer (never grabbed)".into();
        }
        return "a keymapd virtual keyboard (never grabbed)".into();
    }
    match set.match_device(info) {
        Match::Claimed { profile, selector, tied_with: None } => {
            format!("{} (via {selector})", set.profiles[profile].name)
        }
        Match::Claimed { profile, selector, tied_with: Some(t) } => {
            format!("{} (via {selector}; {})", set.profiles[profile].name, set.describe_tie(&t))
        }
        Match::Unclaimed(why) if set.profiles.is_empty() => format!("no profile claims it ({why})"),
        Match::Unclaimed(why) => why,
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.into()
    }
}
