//! Thin, safe wrappers over the few raw Linux calls the daemon needs: ioctls, the monotonic
//! clock, a timerfd, and reading/writing `input_event` arrays (the request numbers and the event
//! layout come from the `input-sys` crate). No policy lives here.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

pub use input_sys::{
    event as new_event, event_time, input_event, ui_get_sysname, Request, EVIOCSCLOCKID, EV_ABS, EV_KEY,
    EV_LED, EV_MSC, EV_REL, EV_REP, EV_SYN, KEYBOARD_LEDS, MSC_SCAN, SYN_DROPPED, SYN_REPORT, UI_ABS_SETUP,
    UI_DEV_CREATE, UI_DEV_DESTROY, UI_DEV_SETUP, UI_SET_ABSBIT, UI_SET_EVBIT, UI_SET_KEYBIT, UI_SET_LEDBIT,
    UI_SET_MSCBIT, UI_SET_PHYS, UI_SET_PROPBIT, UI_SET_RELBIT,
};

/// `ioctl(fd, request, arg)` with an integer argument.
pub fn ioctl_int(fd: RawFd, request: Request, arg: libc::c_int) -> io::Result<()> {
    // SAFETY: the request takes an int by value; the kernel validates fd and request.
    let r = unsafe { libc::ioctl(fd, request as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `ioctl(fd, request, ptr)`; returns the ioctl's non-negative result.
///
/// # Safety
/// `ptr` must point to memory of the size and layout the request expects.
pub unsafe fn ioctl_ptr<T>(fd: RawFd, request: Request, ptr: *mut T) -> io::Result<libc::c_int> {
    // SAFETY: the caller guarantees `ptr` fits the request; the kernel validates fd and request.
    let r = unsafe { libc::ioctl(fd, request as _, ptr) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Asks for the device's event timestamps on CLOCK_MONOTONIC, the clock of the engine and the
/// timerfd (EVIOCSCLOCKID, per open file); false if the kernel refuses (they stay CLOCK_REALTIME).
pub fn use_monotonic_timestamps(fd: RawFd) -> bool {
    let mut clock_id: libc::c_int = libc::CLOCK_MONOTONIC;
    // SAFETY: EVIOCSCLOCKID reads one int through the pointer, which points to one.
    match unsafe { ioctl_ptr(fd, EVIOCSCLOCKID, &mut clock_id) } {
        Ok(_) => true,
        Err(e) => {
            log::debug!("EVIOCSCLOCKID: {e}; using CLOCK_REALTIME timestamps");
            false
        }
    }
}

/// The time on a clock (CLOCK_MONOTONIC for the engine and the timerfd) since the clock's origin.
pub fn clock_now(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec; clock_gettime cannot fail for the clocks used here.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

pub fn monotonic_now() -> Duration {
    clock_now(libc::CLOCK_MONOTONIC)
}

/// Reads as many whole events as fit into `buf`; `Ok(0)` when none are waiting.
pub fn read_events(fd: RawFd, buf: &mut [input_event]) -> io::Result<usize> {
    let size = std::mem::size_of_val(buf);
    // SAFETY: buf is valid for `size` bytes and input_event is plain old data.
    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), size) };
    if r < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::WouldBlock { Ok(0) } else { Err(e) };
    }
    Ok(r as usize / std::mem::size_of::<input_event>())
}

/// Writes all of `events` in one `write(2)`.
pub fn write_events(fd: RawFd, events: &[input_event]) -> io::Result<()> {
    let size = std::mem::size_of_val(events);
    loop {
        // SAFETY: events is valid for `size` bytes.
        let r = unsafe { libc::write(fd, events.as_ptr().cast(), size) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r as usize != size {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short write of input events"));
        }
        return Ok(());
    }
}

pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain fcntl calls on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A CLOCK_MONOTONIC timerfd armed at absolute times: the loop's only source of timeouts.
pub struct TimerFd {
    fd: OwnedFd,
    armed: Option<Duration>,
}

impl TimerFd {
    pub fn new() -> io::Result<TimerFd> {
        // SAFETY: timerfd_create returns a new descriptor or -1.
        let fd =
            unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor we own.
        Ok(TimerFd { fd: unsafe { OwnedFd::from_raw_fd(fd) }, armed: None })
    }

    /// Arms the timer for `at` (absolute, CLOCK_MONOTONIC), or disarms it; a no-op if unchanged.
    pub fn set(&mut self, at: Option<Duration>) -> io::Result<()> {
        if self.armed == at {
            return Ok(());
        }
        // A zero it_value disarms; an absolute time in the past fires at once, so never pass 0.
        let value = match at {
            Some(t) => libc::timespec {
                tv_sec: t.as_secs() as libc::time_t,
                tv_nsec: t.subsec_nanos().max(1) as libc::c_long,
            },
            None => libc::timespec { tv_sec: 0, tv_nsec: 0 },
        };
        let spec =
            libc::itimerspec { it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 }, it_value: value };
        // SAFETY: spec is a valid itimerspec; the old value is not requested.
        let r = unsafe {
            libc::timerfd_settime(self.fd.as_raw_fd(), libc::TFD_TIMER_ABSTIME, &spec, std::ptr::null_mut())
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        self.armed = at;
        Ok(())
    }

    /// Consumes the expiration count after the fd became readable.
    pub fn clear(&mut self) {
        let mut n = 0u64;
        // SAFETY: reads 8 bytes into n; EAGAIN (spurious wakeup) is fine.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut n as *mut u64).cast(), 8) };
        self.armed = None;
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The peer's credentials (`SO_PEERCRED`) of a connected Unix socket: pid, uid, gid.
pub fn peer_cred(fd: RawFd) -> io::Result<libc::ucred> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given; the kernel checks fd.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred)
}

/// This process's effective uid.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The uid of the user `name` (through NSS, as `getent passwd` sees it), if there is one.
pub fn user_uid(name: &str) -> Option<u32> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: `passwd` is plain data (integers and pointers); all zero is a valid value.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the size given; `out` is set to `&mut pwd` or null.
    let r = unsafe { libc::getpwnam_r(name.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out) };
    (r == 0 && !out.is_null()).then_some(pwd.pw_uid)
}
