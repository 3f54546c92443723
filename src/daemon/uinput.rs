//! The daemon's output devices: one virtual clone per grabbed keyboard ([`VirtualClone`]),
//! created through /dev/uinput with the original's identity, written one frame per `write` and
//! read for the LED state the desktop sets; and, only when a profile emits a mouse button, the
//! one virtual pointer all keyboards share for those ([`Output`]). It never remaps.
//!
//! Why a clone per keyboard: libinput and the compositors decide per device (a PS/2 keyboard is
//! internal, so it is paired with the touchpad's disable-while-typing and the lid switch; a USB
//! one is external; per-keyboard layouts and repeat rates). A clone that mirrors bus, vendor,
//! product, version and name gets exactly the treatment its original would have.

use std::ffi::{CString, OsStr};
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::keys::{Key, KeySet};

use super::frame::Frame;
use super::sys::{
    self, input_event, EV_ABS, EV_KEY, EV_LED, EV_MSC, EV_REL, EV_REP, EV_SYN, KEYBOARD_LEDS, MSC_SCAN,
};

/// The pointer for mouse buttons (`leftmouse` …): a keyboard must not declare them (see
/// [`declared_key`]), so they go out through a device of their own.
pub const POINTER_NAME: &str = "keymapd virtual pointer";
/// Product "vp" (virtual pointer).
pub const POINTER_PRODUCT: u16 = 0x7670;
pub const UINPUT: &str = "/dev/uinput";
/// BUS_VIRTUAL; vendor "km": only for humans reading `keymapd list`.
pub const BUSTYPE: u16 = 0x06;
pub const VENDOR: u16 = 0x6b6d;
/// What every clone's `phys` starts with: how people, tools, tests (and another keymapd) tell
/// a clone from its original, whose name and IDs it shares.
pub const CLONE_PHYS_PREFIX: &str = "keymapd/";

/// The key codes a clone may declare: every KEY_* code, but no mouse, joystick, gamepad or
/// tablet button (BTN_MISC..=0x15f and BTN_TRIGGER_HAPPY*). Declaring those makes udev/libinput
/// tag the device as a mouse or joystick (ID_INPUT_MOUSE/JOYSTICK), and desktops then treat the
/// keyboard as a pointer or a game controller. Mouse buttons go out through the virtual pointer
/// instead ([`is_mouse_button`]); the other buttons cannot be emitted (the kernel drops codes a
/// device did not declare), which `keymapd check` warns about.
pub fn declared_key(code: u16) -> bool {
    Key::new(code).is_some_and(Key::is_keyboard_key)
}

/// BTN_LEFT ..= BTN_TASK (`leftmouse`, `rightmouse`, `middlemouse`, `mouse1` …): emitted on the
/// virtual pointer.
pub fn is_mouse_button(code: u16) -> bool {
    Key::new(code).is_some_and(Key::is_mouse_button)
}

/// A clone's `phys`: [`CLONE_PHYS_PREFIX`] and the original's phys, or its event node's name when
/// it has none (uinput devices often do not), cut to what the kernel keeps (63 bytes).
pub fn clone_phys(original_phys: &str, devnode: &Path) -> String {
    let tail = if original_phys.is_empty() {
        devnode.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    } else {
        original_phys.to_owned()
    };
    let mut phys = format!("{CLONE_PHYS_PREFIX}{tail}");
    while phys.len() > 63 {
        phys.pop();
    }
    phys
}

/// What a clone is: the original's identity and what it can send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloneSpec {
    pub name: String,
    pub bustype: u16,
    pub vendor: u16,
    pub product: u16,
    pub version: u16,
    pub phys: String,
    /// The original's keys and every key its profile can emit, mouse buttons left out.
    pub keys: KeySet,
    /// The original's LEDs (the keyboard LEDs, caps/num/scroll/compose/kana, only).
    pub leds: Vec<u16>,
    /// A keyboard that also moves a pointer (claimed by its vendor:product or name:): what its
    /// pointer half can send, so that its pointer events pass through its clone unchanged.
    pub pointer: Option<PointerCaps>,
}

/// The pointer half of a keyboard that also moves a pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointerCaps {
    /// Key codes that are not keyboard keys (mouse, touch and tool buttons).
    pub buttons: Vec<u16>,
    pub rel: Vec<u16>,
    /// Each absolute axis and its value, minimum, maximum, fuzz, flat and resolution.
    pub abs: Vec<(u16, [i32; 6])>,
    /// INPUT_PROP_* (a touchpad's INPUT_PROP_POINTER, INPUT_PROP_BUTTONPAD …).
    pub props: Vec<u16>,
}

impl CloneSpec {
    /// The keys a clone of a device with `original` keys running `keymap` declares: the
    /// original's, every key the keymap can emit (nested actions, macros, chords), and the
    /// modifiers (layers hold them) - never a button ([`declared_key`]).
    pub fn keys_for(original: &KeySet, keymap: &crate::keymap::Keymap) -> KeySet {
        let mut keys = KeySet::default();
        let mut add = |k: Key| {
            if declared_key(k.code()) {
                keys.set(k, true);
            }
        };
        original.iter().for_each(&mut add);
        for layer in 0..keymap.layers().len() {
            for a in keymap.layer_actions(layer as crate::keymap::LayerId) {
                keymap.action_keys(a, &mut add);
            }
        }
        crate::keymap::MOD_KEYS.into_iter().for_each(&mut add);
        keys
    }

    /// The buttons of the clone of a keyboard that also moves a pointer: its own (`original`'s
    /// non-keyboard codes) and the mouse buttons `keymap` can emit, in code order.
    pub fn buttons_for(original: &KeySet, keymap: &crate::keymap::Keymap) -> Vec<u16> {
        let mut buttons: Vec<u16> =
            original.iter().filter(|k| !k.is_keyboard_key()).map(|k| k.code()).collect();
        let mut add = |k: Key| {
            if k.is_mouse_button() {
                buttons.push(k.code());
            }
        };
        for layer in 0..keymap.layers().len() {
            for a in keymap.layer_actions(layer as crate::keymap::LayerId) {
                keymap.action_keys(a, &mut add);
            }
        }
        buttons.sort_unstable();
        buttons.dedup();
        buttons
    }
}

/// The one device all keyboards share: the virtual pointer for emitted mouse buttons, created
/// when a profile first emits one and kept from then on.
#[derive(Default)]
pub struct Output {
    pointer: Option<Pointer>,
}

struct Pointer {
    dev: evdev::uinput::VirtualDevice,
    syspath: PathBuf,
}

fn open_uinput() -> Result<OwnedFd, String> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(UINPUT)
        .map_err(|e| super::explain_open(Path::new(UINPUT), &e))?;
    Ok(file.into())
}

impl Output {
    /// Checks that /dev/uinput can be opened (at start: a daemon that could never create a clone
    /// says so at once, with what the user can do about it).
    pub fn new() -> Result<Output, String> {
        open_uinput()?;
        Ok(Output::default())
    }

    /// Whether the event node is the virtual pointer.
    pub fn owns(&self, node: &super::devices::Node) -> bool {
        self.pointer.as_ref().is_some_and(|p| node.belongs_to(&p.syspath))
    }

    /// Creates the virtual pointer if it does not exist yet: BTN_LEFT..=BTN_TASK and the relative
    /// axes a mouse has (udev and libinput take a device as a pointer only with REL_X/REL_Y). It
    /// is created only for profiles that emit a mouse button, because a pointer device changes
    /// what a desktop does (a touchpad set to "disabled while a mouse is connected" turns off).
    pub fn ensure_pointer(&mut self) -> Result<(), String> {
        if self.pointer.is_some() {
            return Ok(());
        }
        use evdev::{AttributeSet, BusType, InputId, KeyCode, RelativeAxisCode};
        let keys: AttributeSet<KeyCode> = (0x110..=0x117u16).map(KeyCode::new).collect();
        let axes: AttributeSet<RelativeAxisCode> = [
            RelativeAxisCode::REL_X,
            RelativeAxisCode::REL_Y,
            RelativeAxisCode::REL_WHEEL,
            RelativeAxisCode::REL_HWHEEL,
        ]
        .into_iter()
        .collect();
        let mut dev = evdev::uinput::VirtualDevice::builder()
            .and_then(|b| {
                b.name(POINTER_NAME)
                    .input_id(InputId::new(BusType(BUSTYPE), VENDOR, POINTER_PRODUCT, 1))
                    .with_keys(&keys)
            })
            .and_then(|b| b.with_relative_axes(&axes))
            .and_then(|b| b.build())
            .map_err(|e| format!("{UINPUT}: cannot create {POINTER_NAME:?}: {e}"))?;
        let syspath = dev.get_syspath().map_err(|e| format!("{UINPUT}: UI_GET_SYSNAME failed: {e}"))?;
        log::info!("created {POINTER_NAME:?} at {} (a profile emits mouse buttons)", syspath.display());
        self.pointer = Some(Pointer { dev, syspath });
        Ok(())
    }

    /// Creates the virtual pointer if a profile of `set` emits a mouse button (at start and on
    /// every reload; once created it stays).
    pub fn pointer_for(&mut self, set: &crate::profile::ProfileSet) {
        if set.profiles.iter().any(|p| p.keymap.emits_any(Key::is_mouse_button)) {
            if let Err(e) = self.ensure_pointer() {
                log::error!("{e}: mouse buttons in profiles will do nothing");
            }
        }
    }

    fn write_pointer(&self, events: &[input_event]) {
        // Without a pointer (its creation failed and was logged) buttons are dropped.
        if let Some(p) = &self.pointer {
            if let Err(e) = sys::write_events(p.dev.as_raw_fd(), events) {
                log::error!("writing to the virtual pointer failed: {e}");
            }
        }
    }
}

/// One grabbed keyboard's virtual clone.
pub struct VirtualClone {
    fd: OwnedFd,
    syspath: PathBuf,
    /// Reused read buffer for LED events.
    buf: Box<[input_event; 32]>,
    keys: KeySet,
    /// The buttons of a keyboard that also moves a pointer (`None` for a plain keyboard): such
    /// a clone is a pointer itself, and takes the mouse buttons its profile emits too.
    buttons: Option<Vec<u16>>,
}

impl VirtualClone {
    /// Creates the clone. Errors say what the user can do about them.
    pub fn create(spec: &CloneSpec) -> Result<VirtualClone, String> {
        let fd = open_uinput()?;
        let raw = fd.as_raw_fd();
        let setup =
            |what: &str, r: io::Result<()>| r.map_err(|e| format!("{UINPUT}: cannot declare {what}: {e}"));
        // EV_REP: the kernel autorepeats the last key held on this device (250/33 ms until the
        // desktop sets its own rate), so the daemon forwards no repeats itself (see `Frame`).
        // EV_LED: the desktop's caps/num/scroll lock writes come back on this fd (`read_leds`).
        let mut types = vec![EV_SYN, EV_KEY, EV_MSC, EV_REP];
        if !spec.leds.is_empty() {
            types.push(EV_LED);
        }
        if let Some(p) = &spec.pointer {
            if !p.rel.is_empty() {
                types.push(EV_REL);
            }
            if !p.abs.is_empty() {
                types.push(EV_ABS);
            }
        }
        for ev in types {
            setup("event types", sys::ioctl_int(raw, sys::UI_SET_EVBIT, ev.into()))?;
        }
        for key in spec.keys.iter() {
            setup("keys", sys::ioctl_int(raw, sys::UI_SET_KEYBIT, key.code().into()))?;
        }
        if let Some(p) = &spec.pointer {
            for &b in &p.buttons {
                setup("buttons", sys::ioctl_int(raw, sys::UI_SET_KEYBIT, b.into()))?;
            }
            for &r in &p.rel {
                setup("relative axes", sys::ioctl_int(raw, sys::UI_SET_RELBIT, r.into()))?;
            }
            for &(code, [value, minimum, maximum, fuzz, flat, resolution]) in &p.abs {
                setup("absolute axes", sys::ioctl_int(raw, sys::UI_SET_ABSBIT, code.into()))?;
                let mut abs = libc::uinput_abs_setup {
                    code,
                    absinfo: libc::input_absinfo { value, minimum, maximum, fuzz, flat, resolution },
                };
                // SAFETY: UI_ABS_SETUP reads one uinput_abs_setup.
                unsafe { sys::ioctl_ptr(raw, sys::UI_ABS_SETUP, &mut abs) }
                    .map_err(|e| format!("{UINPUT}: UI_ABS_SETUP failed: {e}"))?;
            }
            for &prop in &p.props {
                setup("input properties", sys::ioctl_int(raw, sys::UI_SET_PROPBIT, prop.into()))?;
            }
        }
        setup("MSC_SCAN", sys::ioctl_int(raw, sys::UI_SET_MSCBIT, MSC_SCAN.into()))?;
        for &led in &spec.leds {
            setup("LEDs", sys::ioctl_int(raw, sys::UI_SET_LEDBIT, led.into()))?;
        }
        let phys = CString::new(spec.phys.replace('\0', "")).unwrap_or_default();
        // SAFETY: UI_SET_PHYS reads a NUL-terminated string, which `phys` is for the whole call.
        unsafe { sys::ioctl_ptr(raw, sys::UI_SET_PHYS, phys.as_ptr() as *mut libc::c_char) }
            .map_err(|e| format!("{UINPUT}: UI_SET_PHYS failed: {e}"))?;
        // SAFETY: uinput_setup is plain old data; zeroed is a valid value.
        let mut us: libc::uinput_setup = unsafe { std::mem::zeroed() };
        us.id = libc::input_id {
            bustype: spec.bustype,
            vendor: spec.vendor,
            product: spec.product,
            version: spec.version,
        };
        // The kernel keeps 79 bytes and a NUL.
        for (dst, src) in us.name.iter_mut().take(79).zip(spec.name.bytes().filter(|&b| b != 0)) {
            *dst = src as libc::c_char;
        }
        // SAFETY: UI_DEV_SETUP reads one uinput_setup.
        unsafe { sys::ioctl_ptr(raw, sys::UI_DEV_SETUP, &mut us) }
            .map_err(|e| format!("{UINPUT}: UI_DEV_SETUP failed: {e} (kernel older than 4.5?)"))?;
        // SAFETY: UI_DEV_CREATE takes no argument.
        unsafe { sys::ioctl_ptr(raw, sys::UI_DEV_CREATE, std::ptr::null_mut::<u8>()) }
            .map_err(|e| format!("{UINPUT}: UI_DEV_CREATE failed: {e}"))?;
        let mut name = [0u8; 64];
        // SAFETY: UI_GET_SYSNAME(64) writes at most 64 bytes into name.
        let len = unsafe { sys::ioctl_ptr(raw, sys::ui_get_sysname(name.len()), name.as_mut_ptr()) }
            .map_err(|e| format!("{UINPUT}: UI_GET_SYSNAME failed: {e} (kernel older than 3.15?)"))?;
        let len = (len.max(0) as usize).min(name.len());
        let sysname = &name[..name[..len].iter().position(|&b| b == 0).unwrap_or(len)];
        let syspath = Path::new("/sys/devices/virtual/input").join(OsStr::from_bytes(sysname));
        let buttons = spec.pointer.as_ref().map(|p| p.buttons.clone());
        Ok(VirtualClone {
            fd,
            syspath,
            buf: Box::new([sys::new_event(0, 0, 0); 32]),
            keys: spec.keys,
            buttons,
        })
    }

    /// Whether the event node is this clone's (`/sys/devices/virtual/input/inputN`: the daemon
    /// recognises its own clones by sysfs path).
    pub fn owns(&self, node: &super::devices::Node) -> bool {
        node.belongs_to(&self.syspath)
    }

    /// Whether it declares every key and button of `spec` (a reload whose keymap emits more
    /// needs a new clone).
    pub fn fits(&self, spec: &CloneSpec) -> bool {
        let buttons = spec.pointer.iter().flat_map(|p| &p.buttons);
        spec.keys.iter().all(|k| self.keys.contains(k))
            && buttons.into_iter().all(|b| self.buttons.as_ref().is_some_and(|own| own.contains(b)))
    }

    /// The clone's `/dev/input/eventN`, from sysfs (for logs and `keymapd list`).
    pub fn devnode(&self) -> Option<PathBuf> {
        let dir = std::fs::read_dir(&self.syspath).ok()?;
        dir.flatten()
            .map(|e| e.file_name())
            .find(|n| n.to_string_lossy().starts_with("event"))
            .map(|n| Path::new("/dev/input").join(n))
    }

    /// Writes the frame (events + SYN_REPORT) in one `write`, and empties it. A plain keyboard's
    /// emitted mouse buttons go to the shared virtual pointer, in frames of their own (see
    /// [`Frame::frames`]); the clone of a keyboard that also moves a pointer takes the whole frame
    /// (its own pointer events and buttons, and the buttons its profile emits), so a button
    /// never goes down on one device and up on another.
    pub fn write(&self, frame: &mut Frame, out: &Output) {
        let split = self.buttons.is_none();
        frame.frames(split, |pointer, events| {
            if pointer {
                out.write_pointer(events);
            } else if let Err(e) = sys::write_events(self.fd.as_raw_fd(), events) {
                log::error!("writing to a virtual clone failed: {e}");
            }
        });
        frame.clear();
    }

    /// Reads what clients wrote to the clone; calls `led(code, on)` for each LED event.
    pub fn read_leds(&mut self, mut led: impl FnMut(u16, bool)) -> io::Result<()> {
        loop {
            let n = sys::read_events(self.fd.as_raw_fd(), &mut self.buf[..])?;
            if n == 0 {
                return Ok(());
            }
            for ev in &self.buf[..n] {
                if ev.type_ == EV_LED && KEYBOARD_LEDS.contains(&ev.code) {
                    led(ev.code, ev.value != 0);
                }
            }
        }
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Drop for VirtualClone {
    fn drop(&mut self) {
        // SAFETY: UI_DEV_DESTROY takes no argument; closing the fd would destroy it as well.
        let _ =
            unsafe { sys::ioctl_ptr(self.fd.as_raw_fd(), sys::UI_DEV_DESTROY, std::ptr::null_mut::<u8>()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboard_keys_are_declared_and_pointer_buttons_are_not() {
        assert!(declared_key(1)); // esc
        assert!(declared_key(30)); // a
        assert!(declared_key(0xf8)); // micmute
        assert!(declared_key(0x160)); // KEY_OK
        assert!(declared_key(0x2ff));
        assert!(!declared_key(0));
        assert!(!declared_key(0x110)); // BTN_LEFT
        assert!(!declared_key(0x120)); // BTN_TRIGGER
        assert!(!declared_key(0x14a)); // BTN_TOUCH
        assert!(!declared_key(0x2c0)); // BTN_TRIGGER_HAPPY1
    }

    #[test]
    fn mouse_buttons_are_the_pointers() {
        assert!(is_mouse_button(0x110)); // BTN_LEFT
        assert!(is_mouse_button(0x117)); // BTN_TASK
        assert!(!is_mouse_button(0x10f)); // BTN_9
        assert!(!is_mouse_button(0x118));
        assert!(!is_mouse_button(30));
        assert!((0..0x300).all(|c| !(is_mouse_button(c) && declared_key(c))));
    }

    #[test]
    fn a_clones_phys_says_keymapd_and_names_the_original() {
        let node = Path::new("/dev/input/event3");
        assert_eq!(clone_phys("isa0060/serio0/input0", node), "keymapd/isa0060/serio0/input0");
        assert_eq!(clone_phys("", node), "keymapd/event3");
        let long = "x".repeat(100);
        assert_eq!(clone_phys(&long, node).len(), 63);
        assert!(clone_phys(&long, node).starts_with(CLONE_PHYS_PREFIX));
    }

    #[test]
    fn a_clone_declares_the_originals_keys_what_its_profile_emits_and_no_button() {
        let (p, _) = crate::profile::Profile::parse(
            Path::new("p.toml"),
            "ids = [\"*\"]\n[main]\ncapslock = \"f13\"\nrightalt = \"leftmouse\"\n",
        )
        .unwrap();
        let original = KeySet::from_codes([1, 30, 58, 100, 0x110]);
        let keys = CloneSpec::keys_for(&original, &p.keymap);
        let f13 = Key::new(183).unwrap();
        for k in [1, 30, 58, 100, 183, 29, 42, 125] {
            assert!(keys.contains(Key::new(k).unwrap()), "{k}");
        }
        assert!(keys.contains(f13));
        assert!(!keys.contains(Key::new(0x110).unwrap()), "a button makes it a pointer");
        assert!(!keys.contains(Key::new(48).unwrap()), "b: neither the original's nor emitted");
    }

    #[test]
    fn a_pointer_keyboards_clone_declares_its_buttons_and_the_emitted_ones() {
        let (p, _) = crate::profile::Profile::parse(
            Path::new("p.toml"),
            "ids = [\"1532:0203\"]\n[main]\ncapslock = \"middlemouse\"\nrightalt = \"leftmouse\"\n",
        )
        .unwrap();
        // Its own BTN_LEFT and BTN_RIGHT, and a touch button; the profile adds BTN_MIDDLE.
        let original = KeySet::from_codes([1, 30, 58, 0x110, 0x111, 0x14a]);
        assert_eq!(CloneSpec::buttons_for(&original, &p.keymap), vec![0x110, 0x111, 0x112, 0x14a]);
    }
}
