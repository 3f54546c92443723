//! `keymapd list`: every input device, what it is and which profile claims it, as aligned text
//! or (`--json`) one JSON object a line. Read-only: it opens devices to identify them and never
//! grabs one.

use std::path::Path;

use crate::profile::{DeviceInfo, Match, ProfileSet, DEFAULT_DIR};

use super::devices;
use super::{explain_open, load_profiles, Error};

/// One device as `keymapd list` shows it.
struct Row {
    path: String,
    /// `None` when the device could not be opened (`error` says why).
    info: Option<DeviceInfo>,
    error: Option<String>,
    /// The claiming profile and selector, or why none claims it.
    profile: Option<(String, String)>,
    note: String,
    /// The event node of the virtual clone a running keymapd made of it (it is grabbed).
    clone: Option<String>,
}

/// For each row, the event node of its virtual clone, if one exists: the device whose `phys` is
/// `keymapd/` and the row's phys (or event node name), as the daemon names its clones.
fn find_clones(rows: &mut [Row]) {
    let clones: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| {
            r.info.as_ref().filter(|i| devices::is_keymapd_clone(i)).map(|i| (i.phys.clone(), r.path.clone()))
        })
        .collect();
    for r in rows.iter_mut() {
        let Some(info) = r.info.as_ref().filter(|i| !devices::is_keymapd_clone(i)) else { continue };
        let phys = super::uinput::clone_phys(&info.phys, Path::new(&r.path));
        if let Some((_, path)) = clones.iter().find(|(p, _)| *p == phys) {
            r.note = format!("{}; grabbed, its virtual clone is {path}", r.note);
            r.clone = Some(path.clone());
        }
    }
}

/// `config`: the profile directory given with `--config` (it must exist), or `None` for the
/// default one (a missing default directory lists the devices as unclaimed).
pub fn list(config: Option<&Path>, json: bool) -> Result<(), Error> {
    let dir = config.unwrap_or(Path::new(DEFAULT_DIR));
    let mut invalid = false;
    let set = if config.is_some() || dir.exists() {
        match load_profiles(dir) {
            Ok(set) => set,
            Err(e @ Error::Config(_)) => return Err(e),
            Err(e) => {
                eprintln!("keymapd: {e}; listing devices as if there were no profiles");
                invalid = true;
                ProfileSet { profiles: Vec::new(), warnings: Vec::new() }
            }
        }
    } else {
        ProfileSet { profiles: Vec::new(), warnings: Vec::new() }
    };
    if set.profiles.is_empty() && !invalid {
        eprintln!(
            "keymapd: no profiles in {}: no keyboard is remapped (add one: see `keymapd check` and the README's quick start)",
            dir.display()
        );
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut unopened = 0;
    for node in devices::enumerate() {
        let path = node.devnode.display().to_string();
        match devices::open(&node.devnode) {
            Ok(dev) => {
                let info = devices::info(&dev);
                let (profile, note) = claim(&set, &info);
                rows.push(Row { path, info: Some(info), error: None, profile, note, clone: None });
            }
            Err(e) => {
                unopened += 1;
                if unopened == 1 {
                    eprintln!("{}", explain_open(&node.devnode, &e));
                }
                let why = format!("cannot open: {}", short(&e));
                rows.push(Row {
                    path,
                    info: None,
                    error: Some(why.clone()),
                    profile: None,
                    note: why,
                    clone: None,
                });
            }
        }
    }
    if rows.is_empty() {
        eprintln!("no input devices found under /dev/input");
        return Ok(());
    }
    find_clones(&mut rows);
    if json {
        for row in &rows {
            println!("{}", json_row(row));
        }
    } else {
        print_table(&rows);
    }
    if unopened > 0 {
        eprintln!("{unopened} device(s) could not be opened (see above); run as root to see them all");
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    let cells = |r: &Row| -> [String; 6] {
        match &r.info {
            Some(info) => {
                let kb = if info.is_pointer {
                    "pointer"
                } else if info.is_keyboard {
                    "yes"
                } else {
                    "no"
                };
                [
                    r.path.clone(),
                    info.id(),
                    kb.into(),
                    or_dash(&info.name),
                    or_dash(&info.phys),
                    r.note.clone(),
                ]
            }
            None => [r.path.clone(), "?".into(), "?".into(), "?".into(), "?".into(), r.note.clone()],
        }
    };
    let header = ["PATH", "ID", "KEYBOARD", "NAME", "PHYS", "PROFILE"].map(String::from);
    let rows: Vec<[String; 6]> = std::iter::once(header).chain(rows.iter().map(cells)).collect();
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
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
}

/// One device as a JSON object (one line): `path`, `id`, `vendor`, `product` (hex strings),
/// `name`, `phys`, `kind` (`keyboard`, `pointer`, `other`), `profile` and `selector` (or null),
/// `note` (the PROFILE column's text), `clone` (the event node of its virtual clone, when a
/// running keymapd grabbed it; or null), `error` (or null: the device could not be opened).
fn json_row(r: &Row) -> serde_json::Value {
    let (profile, selector) = match &r.profile {
        Some((p, s)) => (serde_json::Value::from(p.as_str()), serde_json::Value::from(s.as_str())),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    match &r.info {
        Some(info) => serde_json::json!({
            "path": r.path,
            "id": info.id(),
            "vendor": format!("{:04x}", info.vendor),
            "product": format!("{:04x}", info.product),
            "name": info.name,
            "phys": info.phys,
            "kind": if info.is_pointer { "pointer" } else if info.is_keyboard { "keyboard" } else { "other" },
            "profile": profile,
            "selector": selector,
            "note": r.note,
            "clone": r.clone,
            "error": null,
        }),
        None => serde_json::json!({
            "path": r.path,
            "id": null, "vendor": null, "product": null, "name": null, "phys": null, "kind": null,
            "profile": null, "selector": null,
            "note": r.note,
            "clone": null,
            "error": r.error,
        }),
    }
}

fn short(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied (needs root or the `input` group)".into(),
        _ => e.to_string(),
    }
}

/// Which profile claims the device (name and selector), and the PROFILE column's text.
fn claim(set: &ProfileSet, info: &DeviceInfo) -> (Option<(String, String)>, String) {
    // Display only: the daemon itself recognises its device by sysfs path, never by name.
    if devices::is_keymapd_clone(info) {
        return (None, "a keymapd virtual clone (never grabbed)".into());
    }
    if devices::is_keymapd_output(info) {
        return (None, "a keymapd virtual pointer (never grabbed)".into());
    }
    match set.match_device(info) {
        Match::Claimed { profile, selector, tied_with } => {
            let name = set.profiles[profile].name.clone();
            let note = match tied_with {
                None => format!("{name} (via {selector})"),
                Some(t) => format!("{name} (via {selector}; {})", set.describe_tie(&t)),
            };
            (Some((name, selector)), note)
        }
        Match::Unclaimed(why) if set.profiles.is_empty() => (None, format!("no profile claims it ({why})")),
        Match::Unclaimed(why) => (None, why),
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_name_every_field() {
        let info = DeviceInfo {
            name: "Listed \"Keyboard\"".into(),
            vendor: 0x046d,
            product: 0xc31c,
            bustype: crate::profile::bus::USB,
            phys: "usb-1/input0".into(),
            is_keyboard: true,
            is_pointer: false,
        };
        let row = Row {
            path: "/dev/input/event3".into(),
            info: Some(info),
            error: None,
            profile: Some(("mine".into(), "046d:c31c".into())),
            note: "mine (via 046d:c31c)".into(),
            clone: None,
        };
        assert_eq!(
            json_row(&row).to_string(),
            r#"{"clone":null,"error":null,"id":"046d:c31c","kind":"keyboard","name":"Listed \"Keyboard\"","note":"mine (via 046d:c31c)","path":"/dev/input/event3","phys":"usb-1/input0","product":"c31c","profile":"mine","selector":"046d:c31c","vendor":"046d"}"#
        );
        let row = Row {
            path: "/dev/input/event4".into(),
            info: None,
            error: Some("cannot open: permission denied".into()),
            profile: None,
            note: "cannot open: permission denied".into(),
            clone: None,
        };
        let v = json_row(&row);
        assert_eq!(v["error"], "cannot open: permission denied");
        assert!(v["id"].is_null() && v["profile"].is_null() && v["kind"].is_null());
    }

    fn row(path: &str, name: &str, phys: &str) -> Row {
        let info = DeviceInfo {
            name: name.into(),
            vendor: 1,
            product: 1,
            bustype: 0x11,
            phys: phys.into(),
            is_keyboard: true,
            is_pointer: false,
        };
        Row { path: path.into(), info: Some(info), error: None, profile: None, note: "n".into(), clone: None }
    }

    #[test]
    fn a_grabbed_keyboard_shows_its_clones_event_node() {
        let mut rows = vec![
            row("/dev/input/event0", "AT Translated Set 2 keyboard", "isa0060/serio0/input0"),
            row("/dev/input/event1", "No Phys Keyboard", ""),
            row("/dev/input/event2", "Not Grabbed", "usb-2/input0"),
            row("/dev/input/event7", "AT Translated Set 2 keyboard", "keymapd/isa0060/serio0/input0"),
            row("/dev/input/event8", "No Phys Keyboard", "keymapd/event1"),
        ];
        find_clones(&mut rows);
        let clones: Vec<Option<&str>> = rows.iter().map(|r| r.clone.as_deref()).collect();
        assert_eq!(clones, [Some("/dev/input/event7"), Some("/dev/input/event8"), None, None, None]);
        assert_eq!(rows[0].note, "n; grabbed, its virtual clone is /dev/input/event7");
        assert_eq!(json_row(&rows[1])["clone"], "/dev/input/event8");
        assert!(json_row(&rows[2])["clone"].is_null());
    }
}
