//! evio: the few evdev and uinput calls the VM bench needs, on libc alone (shared by the floor
//! and the bench runner). Thin wrappers over syscalls; no policy, no allocation per event.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use input_sys::{
    event as ev, event_time as stamp, input_event, BUS_USB, EVIOCGRAB, EVIOCSCLOCKID, EV_KEY, EV_LED, EV_MSC,
    EV_REP, EV_SYN, KEY_MAX, MSC_SCAN, SYN_DROPPED, SYN_REPORT, UI_DEV_CREATE, UI_DEV_SETUP, UI_SET_EVBIT,
    UI_SET_KEYBIT, UI_SET_LEDBIT, UI_SET_MSCBIT,
};

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn ioctl_int(fd: RawFd, req: libc::c_ulong, arg: libc::c_int) -> io::Result<()> {
    // SAFETY: these requests take an int by value.
    check(unsafe { libc::ioctl(fd, req, arg) }).map(|_| ())
}

/// CLOCK_MONOTONIC now.
pub fn now() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Opens a device node read-only (blocking unless `nonblock`).
pub fn open(path: &Path, nonblock: bool) -> io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut flags = libc::O_RDONLY | libc::O_CLOEXEC;
    if nonblock {
        flags |= libc::O_NONBLOCK;
    }
    // SAFETY: c is a valid C string; the fd returned is owned by us.
    let fd = check(unsafe { libc::open(c.as_ptr(), flags) })?;
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The device's name (EVIOCGNAME).
pub fn name(fd: RawFd) -> io::Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: EVIOCGNAME(256) writes at most 256 bytes.
    let n =
        check(unsafe { libc::ioctl(fd, input_sys::eviocgname(buf.len()) as _, buf.as_mut_ptr()) })? as usize;
    let s = &buf[..n.min(buf.len())];
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    Ok(String::from_utf8_lossy(&s[..end]).into_owned())
}

/// The /dev/input/event* node of the device called `wanted`, waiting up to `timeout` for it.
pub fn find(wanted: &str, timeout: Duration) -> io::Result<PathBuf> {
    let start = Instant::now();
    loop {
        if let Ok(dir) = std::fs::read_dir("/dev/input") {
            for entry in dir.flatten() {
                let path = entry.path();
                if !entry.file_name().as_bytes().starts_with(b"event") {
                    continue;
                }
                let Ok(fd) = open(&path, true) else { continue };
                if name(fd.as_raw_fd()).is_ok_and(|n| n == wanted) {
                    return Ok(path);
                }
            }
        }
        if start.elapsed() > timeout {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("no input device named `{wanted}`")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Takes the device for ourselves (EVIOCGRAB).
pub fn grab(fd: RawFd) -> io::Result<()> {
    ioctl_int(fd, EVIOCGRAB, 1)
}

/// Makes the device stamp its events with CLOCK_MONOTONIC (EVIOCSCLOCKID).
pub fn clock_monotonic(fd: RawFd) -> io::Result<()> {
    let id: libc::c_int = libc::CLOCK_MONOTONIC;
    // SAFETY: EVIOCSCLOCKID reads one int through the pointer.
    check(unsafe { libc::ioctl(fd, EVIOCSCLOCKID, &id) }).map(|_| ())
}

/// Reads whatever events are available into `buf` (blocking if the fd is); returns how many.
pub fn read(fd: RawFd, buf: &mut [input_event]) -> io::Result<usize> {
    let size = std::mem::size_of::<input_event>();
    // SAFETY: buf is valid for writes of its whole length in bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), std::mem::size_of_val(buf)) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize / size)
}

/// Writes a whole frame with one `write`.
pub fn write(fd: RawFd, frame: &[input_event]) -> io::Result<()> {
    // SAFETY: frame is valid for reads of its whole length in bytes.
    let n = unsafe { libc::write(fd, frame.as_ptr().cast(), std::mem::size_of_val(frame)) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n as usize != std::mem::size_of_val(frame) {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short write to uinput"));
    }
    Ok(())
}

/// A uinput keyboard that declares EV_KEY codes 1..=KEY_MAX except the pointer and joystick
/// buttons (as a keyboard does, so that udev tags it ID_INPUT_KEYBOARD and nothing else).
pub struct Uinput {
    fd: OwnedFd,
}

impl Uinput {
    pub fn create(name: &str, bustype: u16, vendor: u16, product: u16) -> io::Result<Uinput> {
        Self::create_with(name, bustype, vendor, product, false)
    }

    /// With `like_keymapd`, the device also declares what keymapd's virtual keyboard declares
    /// beyond keys (EV_MSC with MSC_SCAN, EV_LED with the keyboard LEDs, EV_REP) and is opened
    /// read-write as keymapd's is: the kernel then does per event what it does for keymapd's
    /// device (autorepeat timer on presses), so the floor differs from keymapd only in the process.
    pub fn create_with(
        name: &str,
        bustype: u16,
        vendor: u16,
        product: u16,
        like_keymapd: bool,
    ) -> io::Result<Uinput> {
        let path = c"/dev/uinput";
        let mode = if like_keymapd { libc::O_RDWR | libc::O_NONBLOCK } else { libc::O_WRONLY };
        // SAFETY: path is a valid C string; the fd returned is owned by us.
        let fd = check(unsafe { libc::open(path.as_ptr(), mode | libc::O_CLOEXEC) })?;
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let raw = fd.as_raw_fd();
        ioctl_int(raw, UI_SET_EVBIT, EV_SYN.into())?;
        ioctl_int(raw, UI_SET_EVBIT, EV_KEY.into())?;
        if like_keymapd {
            for ev in [EV_MSC, EV_LED, EV_REP] {
                ioctl_int(raw, UI_SET_EVBIT, ev.into())?;
            }
            ioctl_int(raw, UI_SET_MSCBIT, MSC_SCAN.into())?;
            for led in 0..5 {
                ioctl_int(raw, UI_SET_LEDBIT, led)?;
            }
        }
        for code in 1..=KEY_MAX {
            if (0x100..=0x15f).contains(&code) || (0x2c0..=0x2e7).contains(&code) {
                continue;
            }
            ioctl_int(raw, UI_SET_KEYBIT, code.into())?;
        }
        // SAFETY: uinput_setup is plain old data; zeroed is a valid value.
        let mut setup: libc::uinput_setup = unsafe { std::mem::zeroed() };
        setup.id = libc::input_id { bustype, vendor, product, version: 1 };
        for (d, s) in setup.name.iter_mut().zip(name.bytes().take(79)) {
            *d = s as libc::c_char;
        }
        // SAFETY: UI_DEV_SETUP reads one uinput_setup.
        check(unsafe { libc::ioctl(raw, UI_DEV_SETUP, &setup) })?;
        // SAFETY: UI_DEV_CREATE takes no argument.
        check(unsafe { libc::ioctl(raw, UI_DEV_CREATE) })?;
        Ok(Uinput { fd })
    }

    /// Writes a whole frame with one `write`.
    pub fn write(&self, frame: &[input_event]) -> io::Result<()> {
        write(self.fd.as_raw_fd(), frame)
    }
}
