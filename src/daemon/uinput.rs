//! The one virtual keyboard (`keymapd virtual keyboard`): created once through /dev/uinput,
//! written one frame per `write`, read for the LED state the desktop sets; and, only when a
//! profile emits a mouse button, a virtual pointer beside it for those. It never remaps.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::keys::Key;

use super::frame::Frame;
use super::sys::{self, input_event, EV_KEY, EV_LED, EV_MSC, EV_REP, EV_SYN, KEYBOARD_LEDS, MSC_SCAN};

pub const NAME: &str = "keymapd virtual keyboard";
/// The pointer for mouse buttons (`leftmouse` …): a keyboard must not declare them (see
/// [`declared_key`]), so they go out through a device of their own.
pub const POINTER_NAME: &str = "keymapd virtual pointer";
/// Product "vp" (virtual pointer).
pub const POINTER_PRODUCT: u16 = 0x7670;
pub const UINPUT: &str = "/dev/uinput";
/// BUS_VIRTUAL; vendor/product "km"/"vk": only for humans reading `keymapd list`.
pub const BUSTYPE: u16 = 0x06;
pub const VENDOR: u16 = 0x6b6d;
pub const PRODUCT: u16 = 0x766b;

/// The key codes the virtual keyboard declares: every KEY_* code, but no mouse, joystick,
/// gamepad or tablet button (BTN_MISC..=0x15f and BTN_TRIGGER_HAPPY*). Declaring those makes
/// udev/libinput tag the device as a mouse or joystick (ID_INPUT_MOUSE/JOYSTICK), and desktops
/// then treat our keyboard as a pointer or a game controller. Mouse buttons go out through the
/// virtual pointer instead ([`is_mouse_button`]); the other buttons cannot be emitted (the kernel
/// drops codes a device did not declare), which `keymapd check` warns about.
pub fn declared_key(code: u16) -> bool {
    Key::new(code).is_some_and(Key::is_keyboard_key)
}

/// BTN_LEFT ..= BTN_TASK (`leftmouse`, `rightmouse`, `middlemouse`, `mouse1` …): emitted on the
/// virtual pointer.
pub fn is_mouse_button(code: u16) -> bool {
    Key::new(code).is_some_and(Key::is_mouse_button)
}

pub struct VirtualKeyboard {
    fd: OwnedFd,
    syspath: PathBuf,
    /// Reused read buffer for LED events.
    buf: Box<[input_event; 32]>,
    /// The virtual pointer, once a profile emits a mouse button ([`VirtualKeyboard::ensure_pointer`]);
    /// kept from then on, like the keyboard.
    pointer: Option<Pointer>,
}

struct Pointer {
    dev: evdev::uinput::VirtualDevice,
    syspath: PathBuf,
}

impl VirtualKeyboard {
    /// Creates the device. Errors say what the user can do about them.
    pub fn create() -> Result<VirtualKeyboard, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(UINPUT)
            .map_err(|e| super::explain_open(Path::new(UINPUT), &e))?;
        let fd: OwnedFd = file.into();
        let raw = fd.as_raw_fd();
        let setup =
            |what: &str, r: io::Result<()>| r.map_err(|e| format!("{UINPUT}: cannot declare {what}: {e}"));
        // EV_REP: the kernel autorepeats the last key held on this device (250/33 ms until the
        // desktop sets its own rate), so the daemon forwards no repeats itself (see `Frame`).
        // EV_LED: the desktop's caps/num/scroll lock writes come back on this fd (`read_leds`).
        for ev in [EV_SYN, EV_KEY, EV_MSC, EV_LED, EV_REP] {
            setup("event types", sys::ioctl_int(raw, sys::UI_SET_EVBIT, ev.into()))?;
        }
        for code in (0..0x300u16).filter(|&c| declared_key(c)) {
            setup("keys", sys::ioctl_int(raw, sys::UI_SET_KEYBIT, code.into()))?;
        }
        setup("MSC_SCAN", sys::ioctl_int(raw, sys::UI_SET_MSCBIT, MSC_SCAN.into()))?;
        for led in KEYBOARD_LEDS {
            setup("LEDs", sys::ioctl_int(raw, sys::UI_SET_LEDBIT, led.into()))?;
        }
        // SAFETY: uinput_setup is plain old data; zeroed is a valid value.
        let mut us: libc::uinput_setup = unsafe { std::mem::zeroed() };
        us.id = libc::input_id { bustype: BUSTYPE, vendor: VENDOR, product: PRODUCT, version: 1 };
        for (dst, src) in us.name.iter_mut().zip(NAME.bytes()) {
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
        Ok(VirtualKeyboard { fd, syspath, buf: Box::new([sys::new_event(0, 0, 0); 32]), pointer: None })
    }

    /// `/sys/devices/virtual/input/inputN`: how the daemon recognises its own device.
    pub fn syspath(&self) -> &Path {
        &self.syspath
    }

    /// Whether the event node belongs to one of our own devices (keyboard or pointer).
    pub fn owns(&self, node: &super::devices::Node) -> bool {
        node.belongs_to(&self.syspath) || self.pointer.as_ref().is_some_and(|p| node.belongs_to(&p.syspath))
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

    /// Writes the frame (events + SYN_REPORT) in one `write`, and empties it; mouse buttons go
    /// to the virtual pointer, in frames of their own (see [`Frame::frames`]).
    pub fn write(&self, frame: &mut Frame) {
        frame.frames(|pointer, events| {
            if !pointer {
                if let Err(e) = sys::write_events(self.fd.as_raw_fd(), events) {
                    log::error!("writing to the virtual keyboard failed: {e}");
                }
            } else if let Some(p) = &self.pointer {
                // Without a pointer (its creation failed and was logged) buttons are dropped.
                if let Err(e) = sys::write_events(p.dev.as_raw_fd(), events) {
                    log::error!("writing to the virtual pointer failed: {e}");
                }
            }
        });
        frame.clear();
    }

    /// Reads what clients wrote to the virtual keyboard; calls `led(code, on)` for each LED event.
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

impl Drop for VirtualKeyboard {
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
}
