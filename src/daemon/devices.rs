//! Input devices as the system shows them: the event nodes (udev), opening one, and what it is
//! (`DeviceInfo`: IDs, keyboard or pointer). It never grabs and never decides about profiles.

use std::io;
use std::path::{Path, PathBuf};

use evdev::raw_stream::RawDevice;
use evdev::{AbsoluteAxisCode, KeyCode, RelativeAxisCode};

use crate::profile::DeviceInfo;

use super::uinput;

/// One `/dev/input/eventN` node and its sysfs path (`…/inputM/eventN`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub devnode: PathBuf,
    pub syspath: PathBuf,
}

impl Node {
    /// Whether this node belongs to the input device at `input_syspath` (`…/inputM`), i.e. our
    /// own virtual clones: compared by sysfs path, never by name.
    pub fn belongs_to(&self, input_syspath: &Path) -> bool {
        self.syspath.parent() == Some(input_syspath)
    }

    fn number(&self) -> u32 {
        event_number(&self.devnode)
    }
}

fn event_number(p: &Path) -> u32 {
    p.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("event"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Every event node, in `eventN` order: from udev, or from /dev/input if udev cannot enumerate.
pub fn enumerate() -> Vec<Node> {
    let mut nodes = match enumerate_udev() {
        Ok(n) => n,
        Err(e) => {
            log::warn!("udev enumeration failed ({e}); scanning /dev/input instead");
            enumerate_dev()
        }
    };
    nodes.sort_by_key(Node::number);
    nodes
}

/// Nodes udev has not processed yet are left out while udevd runs: their permissions are not set
/// yet, and the monitor announces them once they are.
fn enumerate_udev() -> io::Result<Vec<Node>> {
    let mut en = udev::Enumerator::new()?;
    en.match_subsystem("input")?;
    en.match_sysname("event*")?;
    let udevd_running = Path::new("/run/udev/control").exists();
    Ok(en
        .scan_devices()?
        .filter(|d| !udevd_running || d.is_initialized())
        .filter_map(|d| {
            Some(Node { devnode: d.devnode()?.to_path_buf(), syspath: d.syspath().to_path_buf() })
        })
        .collect())
}

fn enumerate_dev() -> Vec<Node> {
    let Ok(dir) = std::fs::read_dir("/dev/input") else { return Vec::new() };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("event"))
        .map(|e| {
            let devnode = e.path();
            let class = Path::new("/sys/class/input").join(e.file_name());
            let syspath = std::fs::canonicalize(&class).unwrap_or(class);
            Node { devnode, syspath }
        })
        .collect()
}

/// Opens an event node read-write (LEDs are written to it), falling back to read-only.
pub fn open(devnode: &Path) -> io::Result<RawDevice> {
    RawDevice::open(devnode)
}

const KEY_A: u16 = 30;
const KEY_Z: u16 = 44;
const KEY_SPACE: u16 = 57;
const BTN_MOUSE: u16 = 0x110;
const BTN_TOUCH: u16 = 0x14a;

/// What matching needs to know about a device.
pub fn info(dev: &RawDevice) -> DeviceInfo {
    let id = dev.input_id();
    let keys = dev.supported_keys();
    let rel = dev.supported_relative_axes();
    let has_rel = |a: RelativeAxisCode| rel.is_some_and(|r| r.contains(a));
    let (is_keyboard, is_pointer) = classify(
        |code| keys.is_some_and(|k| k.contains(KeyCode(code))),
        has_rel(RelativeAxisCode::REL_X) && has_rel(RelativeAxisCode::REL_Y),
        dev.supported_absolute_axes().is_some_and(|a| a.contains(AbsoluteAxisCode::ABS_X)),
    );
    DeviceInfo {
        name: dev.name().unwrap_or("").to_owned(),
        vendor: id.vendor(),
        product: id.product(),
        bustype: id.bus_type().0,
        phys: dev.physical_path().unwrap_or("").to_owned(),
        is_keyboard,
        is_pointer,
    }
}

/// (is a typing keyboard, is a pointer) from a device's capabilities.
pub fn classify(has: impl Fn(u16) -> bool, rel_xy: bool, abs_x: bool) -> (bool, bool) {
    // A typing keyboard, close to udev's ID_INPUT_KEYBOARD: every key from escape through the
    // digits and the first two letter rows (codes 1..=31), plus the bottom row's z and space.
    let is_keyboard = (1..=31).all(&has) && has(KEY_A) && has(KEY_Z) && has(KEY_SPACE);
    // Moves a pointer: relative X/Y, a mouse button, or an absolute X with touch (touchpads,
    // touchscreens). Such a device is never claimed, even if it has keys as well.
    let is_pointer = rel_xy || has(BTN_MOUSE) || (abs_x && has(BTN_TOUCH));
    (is_keyboard, is_pointer)
}

/// Whether the device is a keymapd output: a clone (its `phys` starts with `keymapd/`; its name
/// and IDs are its original's) or the virtual pointer (bus, vendor, product). The daemon knows
/// its own by sysfs path; this only keeps it off another instance's.
pub fn is_keymapd_output(info: &DeviceInfo) -> bool {
    is_keymapd_clone(info)
        || (info.bustype == uinput::BUSTYPE
            && info.vendor == uinput::VENDOR
            && info.product == uinput::POINTER_PRODUCT)
}

/// Whether the device is a keymapd virtual clone (by its `phys`).
pub fn is_keymapd_clone(info: &DeviceInfo) -> bool {
    info.phys.starts_with(uinput::CLONE_PHYS_PREFIX)
}

/// `vvvv:pppp name`, the way every log line names a device.
pub fn label(info: &DeviceInfo) -> String {
    format!("{} {}", info.id(), info.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_device_is_recognised_by_sysfs_path() {
        let n = Node {
            devnode: "/dev/input/event7".into(),
            syspath: "/sys/devices/virtual/input/input12/event7".into(),
        };
        assert!(n.belongs_to(Path::new("/sys/devices/virtual/input/input12")));
        assert!(!n.belongs_to(Path::new("/sys/devices/virtual/input/input1")));
    }

    #[test]
    fn keyboards_mice_and_touchpads_are_told_apart() {
        let full_keyboard = |c: u16| (1..0x100).contains(&c);
        assert_eq!(classify(full_keyboard, false, false), (true, false));
        // A power button or a media-key remote is not a typing keyboard.
        assert_eq!(classify(|c| c == 116 || c == 113, false, false), (false, false));
        let mouse = |c: u16| (0x110..0x113).contains(&c);
        assert_eq!(classify(mouse, true, false), (false, true));
        // A keyboard with a built-in touchpad in one device is a pointer: left alone.
        let combo = |c: u16| full_keyboard(c) || c == BTN_TOUCH;
        assert_eq!(classify(combo, false, true), (true, true));
        // Keys and ABS_X without touch (a tablet's buttons, a joystick) do not make a pointer.
        assert_eq!(classify(full_keyboard, false, true), (true, false));
    }

    #[test]
    fn event_nodes_sort_numerically() {
        assert!(event_number(Path::new("/dev/input/event2")) < event_number(Path::new("/dev/input/event10")));
        assert_eq!(event_number(Path::new("/dev/input/mice")), u32::MAX);
    }
}
