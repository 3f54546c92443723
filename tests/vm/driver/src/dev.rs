//! Synthetic uinput devices and evdev nodes, through raw ioctls.
//!
//! The evdev crate's `VirtualDeviceBuilder` cannot declare LEDs, which the
//! LED round trip needs, so devices are set up by hand here.

use crate::names::*;
use std::collections::VecDeque;
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::script::{DevKind, DevSpec};

use input_sys::{
    ui_get_sysname, EVIOCGRAB, UI_ABS_SETUP, UI_DEV_CREATE, UI_DEV_DESTROY, UI_DEV_SETUP, UI_SET_ABSBIT,
    UI_SET_EVBIT, UI_SET_KEYBIT, UI_SET_LEDBIT, UI_SET_MSCBIT, UI_SET_PHYS, UI_SET_PROPBIT, UI_SET_RELBIT,
};

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn ioctl_int(fd: RawFd, req: u64, arg: libc::c_int) -> io::Result<()> {
    // SAFETY: these requests take an int by value.
    cvt(unsafe { libc::ioctl(fd, req as _, arg) }).map(|_| ())
}

/// One input event as the kernel hands it out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ev {
    pub ty: u16,
    pub code: u16,
    pub value: i32,
}

impl Ev {
    pub fn describe(&self) -> String {
        describe(self.ty, self.code, self.value)
    }
}

fn write_events(fd: RawFd, evs: &[Ev]) -> io::Result<()> {
    let mut raw: Vec<libc::input_event> = Vec::with_capacity(evs.len());
    for e in evs {
        raw.push(libc::input_event {
            time: libc::timeval { tv_sec: 0, tv_usec: 0 },
            type_: e.ty,
            code: e.code,
            value: e.value,
        });
    }
    let bytes = std::mem::size_of_val(raw.as_slice());
    // SAFETY: the buffer holds `bytes` bytes of plain data.
    let n = unsafe { libc::write(fd, raw.as_ptr() as *const libc::c_void, bytes) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n as usize != bytes {
        return Err(io::Error::other(format!("short write ({n} of {bytes} bytes)")));
    }
    Ok(())
}

/// Waits until `fd` is readable or `ms` pass.
fn wait_readable(fd: RawFd, ms: i32) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    r > 0
}

#[derive(Default)]
struct Shared {
    queue: VecDeque<Ev>,
    /// The fd reported ENODEV (device gone) or another read error.
    gone: bool,
    error: Option<String>,
}

/// Events read from a non-blocking fd (evdev node or uinput fd) by a thread
/// of its own, so that events written just before a device is destroyed are
/// not lost (evdev refuses reads once its device is gone).
pub struct Reader {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reader {
    pub fn new(fd: OwnedFd) -> Reader {
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || read_loop(fd, &sh, &st));
        Reader { shared, stop, thread: Some(thread) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The device is gone and every event it sent has been consumed.
    pub fn exhausted(&self) -> bool {
        let g = self.lock();
        g.gone && g.queue.is_empty()
    }

    /// The next event, waiting until `deadline`.
    pub fn next(&mut self, deadline: Instant) -> io::Result<Option<Ev>> {
        let mut g = self.lock();
        loop {
            if let Some(e) = g.queue.pop_front() {
                return Ok(Some(e));
            }
            if let Some(err) = g.error.take() {
                return Err(io::Error::other(err));
            }
            let now = Instant::now();
            if g.gone || now >= deadline {
                return Ok(None);
            }
            g = self.shared.1.wait_timeout(g, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Drops everything read so far (after letting the thread catch up).
    pub fn flush(&mut self) {
        std::thread::sleep(Duration::from_millis(5));
        self.lock().queue.clear();
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_loop(fd: OwnedFd, shared: &(Mutex<Shared>, Condvar), stop: &AtomicBool) {
    let raw = fd.as_raw_fd();
    let mut buf = [input_sys::event(0, 0, 0); 64];
    while !stop.load(Ordering::Relaxed) {
        if !wait_readable(raw, 50) {
            continue;
        }
        // SAFETY: reading plain data into a buffer of the right size.
        let n =
            unsafe { libc::read(raw, buf.as_mut_ptr() as *mut libc::c_void, std::mem::size_of_val(&buf)) };
        let mut g = shared.0.lock().unwrap_or_else(|p| p.into_inner());
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => continue,
                Some(libc::ENODEV) => g.gone = true,
                _ => {
                    g.gone = true;
                    g.error = Some(format!("read: {e}"));
                }
            }
            shared.1.notify_all();
            return;
        }
        if n == 0 {
            g.gone = true;
            shared.1.notify_all();
            return;
        }
        let count = n as usize / std::mem::size_of::<libc::input_event>();
        for e in &buf[..count] {
            g.queue.push_back(Ev { ty: e.type_, code: e.code, value: e.value });
        }
        shared.1.notify_all();
    }
}

/// A synthetic device made through /dev/uinput.
pub struct Synthetic {
    pub spec: DevSpec,
    uinput: OwnedFd,
    pub node: PathBuf,
    /// Reader on the device's own evdev node (what an ungrabbed reader sees).
    pub node_reader: Reader,
    /// Reader on the uinput fd (LED writes come back here).
    pub uinput_reader: Reader,
}

impl Synthetic {
    pub fn create(spec: &DevSpec) -> Result<Synthetic, String> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/uinput")
            .map_err(|e| format!("open /dev/uinput: {e}"))?;
        let uinput: OwnedFd = f.into();
        let fd = uinput.as_raw_fd();
        let setup = || -> io::Result<()> {
            ioctl_int(fd, UI_SET_EVBIT, EV_SYN as i32)?;
            ioctl_int(fd, UI_SET_EVBIT, EV_KEY as i32)?;
            match spec.kind {
                DevKind::Keyboard => {
                    ioctl_int(fd, UI_SET_EVBIT, EV_MSC as i32)?;
                    ioctl_int(fd, UI_SET_EVBIT, EV_LED as i32)?;
                    if spec.rep {
                        ioctl_int(fd, UI_SET_EVBIT, EV_REP as i32)?;
                    }
                    // Every keyboard key (or the `keys=` given); the button range
                    // (0x100..0x160) is left out so udev does not take it for a
                    // mouse or joystick.
                    match &spec.keys {
                        Some(keys) => {
                            for &code in keys {
                                ioctl_int(fd, UI_SET_KEYBIT, code.into())?;
                            }
                        }
                        None => {
                            for code in (1..0x100).chain(0x160..=KEY_MAX as i32) {
                                ioctl_int(fd, UI_SET_KEYBIT, code)?;
                            }
                        }
                    }
                    ioctl_int(fd, UI_SET_MSCBIT, MSC_SCAN as i32)?;
                    for led in [LED_NUML, LED_CAPSL, LED_SCROLLL] {
                        ioctl_int(fd, UI_SET_LEDBIT, led as i32)?;
                    }
                    if spec.pointer {
                        // A keyboard with a pointer in the same device (a gaming keyboard).
                        ioctl_int(fd, UI_SET_EVBIT, EV_REL as i32)?;
                        for b in [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE] {
                            ioctl_int(fd, UI_SET_KEYBIT, b as i32)?;
                        }
                        for r in [REL_X, REL_Y, REL_WHEEL] {
                            ioctl_int(fd, UI_SET_RELBIT, r as i32)?;
                        }
                    }
                }
                DevKind::Mouse => {
                    ioctl_int(fd, UI_SET_EVBIT, EV_REL as i32)?;
                    for b in [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE] {
                        ioctl_int(fd, UI_SET_KEYBIT, b as i32)?;
                    }
                    for r in [REL_X, REL_Y, REL_WHEEL] {
                        ioctl_int(fd, UI_SET_RELBIT, r as i32)?;
                    }
                }
                DevKind::Touchpad => {
                    // A clickpad of 100 x 60 mm (resolution 10 units/mm), two slots.
                    for b in [
                        BTN_LEFT, 0x14a, /* BTN_TOUCH */
                        0x145, /* BTN_TOOL_FINGER */
                        0x14d, /* BTN_TOOL_DOUBLETAP */
                    ] {
                        ioctl_int(fd, UI_SET_KEYBIT, b as i32)?;
                    }
                    ioctl_int(fd, UI_SET_EVBIT, 0x03 /* EV_ABS */)?;
                    // ABS_X, ABS_Y, ABS_MT_SLOT, ABS_MT_POSITION_X/Y, ABS_MT_TRACKING_ID.
                    for (code, min, max, res) in [
                        (0x00, 0, 1000, 10),
                        (0x01, 0, 600, 10),
                        (0x2f, 0, 1, 0),
                        (0x35, 0, 1000, 10),
                        (0x36, 0, 600, 10),
                        (0x39, 0, 65535, 0),
                    ] {
                        ioctl_int(fd, UI_SET_ABSBIT, code)?;
                        let abs = libc::uinput_abs_setup {
                            code: code as u16,
                            absinfo: libc::input_absinfo {
                                value: 0,
                                minimum: min,
                                maximum: max,
                                fuzz: 0,
                                flat: 0,
                                resolution: res,
                            },
                        };
                        // SAFETY: UI_ABS_SETUP reads one uinput_abs_setup.
                        cvt(unsafe {
                            libc::ioctl(fd, UI_ABS_SETUP as _, &abs as *const libc::uinput_abs_setup)
                        })?;
                    }
                    ioctl_int(fd, UI_SET_PROPBIT, 0 /* INPUT_PROP_POINTER */)?;
                    ioctl_int(fd, UI_SET_PROPBIT, 2 /* INPUT_PROP_BUTTONPAD */)?;
                }
                DevKind::LidSwitch => {
                    ioctl_int(fd, UI_SET_EVBIT, 0x05 /* EV_SW */)?;
                    ioctl_int(fd, input_sys::UI_SET_SWBIT, 0 /* SW_LID */)?;
                }
            }
            let phys = CString::new(spec.phys.clone()).map_err(|_| io::Error::other("NUL in phys"))?;
            // SAFETY: UI_SET_PHYS takes a pointer to a NUL-terminated string.
            cvt(unsafe { libc::ioctl(fd, UI_SET_PHYS as _, phys.as_ptr()) })?;
            let mut s = input_sys::uinput_setup {
                id: input_sys::input_id {
                    bustype: spec.bus,
                    vendor: spec.vendor,
                    product: spec.product,
                    version: spec.version,
                },
                name: [0; 80],
                ff_effects_max: 0,
            };
            for (d, c) in s.name.iter_mut().zip(spec.name.bytes().take(79)) {
                *d = c as libc::c_char;
            }
            // SAFETY: UI_DEV_SETUP reads one uinput_setup.
            cvt(unsafe { libc::ioctl(fd, UI_DEV_SETUP as _, &s as *const input_sys::uinput_setup) })?;
            // SAFETY: no argument.
            cvt(unsafe { libc::ioctl(fd, UI_DEV_CREATE as _) })?;
            Ok(())
        };
        let since = coarse_now();
        setup().map_err(|e| format!("uinput setup of {}: {e}", spec.id))?;

        let mut name = [0u8; 64];
        // SAFETY: the kernel writes at most 64 bytes.
        cvt(unsafe { libc::ioctl(fd, ui_get_sysname(64) as _, name.as_mut_ptr()) })
            .map_err(|e| format!("UI_GET_SYSNAME: {e}"))?;
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        let sysname = String::from_utf8_lossy(&name[..end]).into_owned();

        let deadline = Instant::now() + Duration::from_secs(10);
        let node = loop {
            if let Some(n) = event_node_of(&format!("/sys/class/input/{sysname}")) {
                if n.exists() {
                    break n;
                }
            }
            if Instant::now() > deadline {
                return Err(format!("no /dev/input/event* node for {} ({sysname}) after 10 s", spec.id));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        wait_udev(&node, since, deadline);
        let node_fd = open_node(&node, false).map_err(|e| format!("open {}: {e}", node.display()))?;
        let dup = uinput.try_clone().map_err(|e| format!("dup: {e}"))?;
        Ok(Synthetic {
            spec: spec.clone(),
            uinput,
            node,
            node_reader: Reader::new(node_fd),
            uinput_reader: Reader::new(dup),
        })
    }

    /// Writes one frame: the events then SYN_REPORT.
    pub fn emit(&self, evs: &[Ev]) -> Result<(), String> {
        let mut all = evs.to_vec();
        all.push(Ev { ty: EV_SYN, code: SYN_REPORT, value: 0 });
        write_events(self.uinput.as_raw_fd(), &all)
            .map_err(|e| format!("write to uinput ({}): {e}", self.spec.id))
    }
}

impl Drop for Synthetic {
    fn drop(&mut self) {
        // SAFETY: no argument; closing the fd would destroy it as well.
        unsafe { libc::ioctl(self.uinput.as_raw_fd(), UI_DEV_DESTROY as _) };
    }
}

/// The /dev/input/eventN node of the input device at `sys` (a /sys path of an inputN).
pub fn event_node_of(sys: &str) -> Option<PathBuf> {
    let rd = std::fs::read_dir(sys).ok()?;
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with("event") {
            return Some(PathBuf::from(format!("/dev/input/{n}")));
        }
    }
    None
}

/// The clock file timestamps are taken from (coarse wall clock).
pub fn coarse_now() -> (i64, i64) {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: one valid timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    (ts.tv_sec, ts.tv_nsec)
}

/// Waits (bounded) until udev has processed the node: its database entry was
/// written at or after `since` (a `coarse_now()` taken before the device was
/// made, so a stale entry of an earlier device with the same number does
/// not count). Falls back to `udevadm settle`. No-op without udevd.
pub fn wait_udev(node: &Path, since: (i64, i64), deadline: Instant) {
    use std::os::unix::fs::MetadataExt;
    if !Path::new("/run/udev/control").exists() {
        return;
    }
    if let Some(db) = udev_db_path(node) {
        loop {
            if let Ok(m) = std::fs::metadata(&db) {
                if (m.mtime(), m.mtime_nsec()) >= since {
                    return;
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let _ = std::process::Command::new("udevadm")
        .args(["settle", "--timeout=5"])
        .stdin(std::process::Stdio::null())
        .status();
}

/// udev's properties of a node, without running udevadm: the kernel's
/// uevent variables plus the `E:` lines of udev's database entry. None if
/// udev has no entry for it.
pub fn udev_props(node: &Path) -> Option<Vec<(String, String)>> {
    let db = std::fs::read_to_string(udev_db_path(node)?).ok()?;
    let mut out = Vec::new();
    let name = node.file_name()?.to_string_lossy().into_owned();
    if let Ok(ue) = std::fs::read_to_string(format!("/sys/class/input/{name}/uevent")) {
        for l in ue.lines() {
            if let Some((k, v)) = l.split_once('=') {
                let v = if k == "DEVNAME" { format!("/dev/{v}") } else { v.to_string() };
                out.push((k.to_string(), v));
            }
        }
    }
    for l in db.lines() {
        if let Some((k, v)) = l.strip_prefix("E:").and_then(|r| r.split_once('=')) {
            out.push((k.to_string(), v.to_string()));
        }
    }
    Some(out)
}

fn udev_db_path(node: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let rdev = std::fs::metadata(node).ok()?.rdev();
    let (maj, min) = (libc::major(rdev), libc::minor(rdev));
    Some(PathBuf::from(format!("/run/udev/data/c{maj}:{min}")))
}

pub fn open_node(node: &Path, write: bool) -> io::Result<OwnedFd> {
    let f: File = OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(node)?;
    Ok(f.into())
}

/// Is someone else holding an EVIOCGRAB on this node? Probes with a grab of
/// our own on a fresh fd, released at once.
pub fn grabbed_by_other(node: &Path) -> Result<bool, String> {
    let fd = open_node(node, false).map_err(|e| format!("open {}: {e}", node.display()))?;
    let raw = fd.as_raw_fd();
    match ioctl_int(raw, EVIOCGRAB, 1) {
        Ok(()) => {
            let _ = ioctl_int(raw, EVIOCGRAB, 0);
            Ok(false)
        }
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Ok(true),
        Err(e) => Err(format!("EVIOCGRAB on {}: {e}", node.display())),
    }
}

/// Writes a frame (events + SYN_REPORT) to an evdev node's fd.
pub fn write_frame(fd: RawFd, evs: &[Ev]) -> io::Result<()> {
    let mut all = evs.to_vec();
    all.push(Ev { ty: EV_SYN, code: SYN_REPORT, value: 0 });
    write_events(fd, &all)
}

/// All input devices (/sys/class/input/inputN) whose name is `name`, newest
/// last, as (N, event node).
pub fn find_by_name(name: &str) -> Vec<(u32, PathBuf)> {
    find_by(|d| d.join("name"), name)
}

/// The highest input device number there is now (`/sys/class/input/inputN`; the kernel hands
/// out increasing numbers, never one twice).
pub fn newest_input() -> u32 {
    let Ok(rd) = std::fs::read_dir("/sys/class/input") else { return 0 };
    rd.flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_prefix("input").and_then(|n| n.parse().ok()))
        .max()
        .unwrap_or(0)
}

/// How many input devices have a `phys` starting with `prefix`.
pub fn count_clones(prefix: &str) -> usize {
    let Ok(rd) = std::fs::read_dir("/sys/class/input") else { return 0 };
    rd.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("input"))
        .filter(|e| std::fs::read_to_string(e.path().join("phys")).is_ok_and(|p| p.starts_with(prefix)))
        .count()
}

/// All input devices whose sysfs attribute `attr(dir)` reads `value`, newest last, as (N, event node).
pub fn find_by(attr: impl Fn(&Path) -> PathBuf, value: &str) -> Vec<(u32, PathBuf)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/sys/class/input") else { return out };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let Some(num) = n.strip_prefix("input").and_then(|d| d.parse::<u32>().ok()) else { continue };
        let Ok(got) = std::fs::read_to_string(attr(&e.path())) else { continue };
        if got.trim_end_matches('\n') != value {
            continue;
        }
        if let Some(node) = event_node_of(&e.path().to_string_lossy()) {
            out.push((num, node));
        }
    }
    out.sort();
    out
}
