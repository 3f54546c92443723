//! Thin, safe wrappers over the few raw Linux calls the daemon needs: ioctl numbers, the
//! monotonic clock, a timerfd, and reading/writing `input_event` arrays. No policy lives here.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

pub use libc::input_event;

pub const EV_SYN: u16 = 0x00;
pub const EV_KEY: u16 = 0x01;
pub const EV_MSC: u16 = 0x04;
pub const EV_LED: u16 = 0x11;
pub const EV_REP: u16 = 0x14;
pub const SYN_REPORT: u16 = 0;
pub const SYN_DROPPED: u16 = 3;
pub const MSC_SCAN: u16 = 4;
/// LED_NUML..=LED_KANA: the keyboard LEDs a desktop sets (num, caps, scroll, compose, kana).
pub const KEYBOARD_LEDS: std::ops::RangeInclusive<u16> = 0..=4;

// _IOC encoding (include/uapi/asm-generic/ioctl.h; a few architectures differ).
#[cfg(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc64"
))]
mod ioc {
    pub const NONE: u32 = 1;
    pub const READ: u32 = 2;
    pub const WRITE: u32 = 4;
    pub const SIZEBITS: u32 = 13;
}
#[cfg(not(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc64"
)))]
mod ioc {
    pub const NONE: u32 = 0;
    pub const READ: u32 = 2;
    pub const WRITE: u32 = 1;
    pub const SIZEBITS: u32 = 14;
}

const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << (16 + ioc::SIZEBITS))
        | (((size as u32) & ((1 << ioc::SIZEBITS) - 1)) << 16)
        | ((ty as u32) << 8)
        | nr as u32
}
const fn iow<T>(ty: u8, nr: u8) -> u32 {
    ioc(ioc::WRITE, ty, nr, std::mem::size_of::<T>())
}

pub const UI_DEV_CREATE: u32 = ioc(ioc::NONE, b'U', 1, 0);
pub const UI_DEV_DESTROY: u32 = ioc(ioc::NONE, b'U', 2, 0);
pub const UI_DEV_SETUP: u32 = iow::<libc::uinput_setup>(b'U', 3);
pub const UI_SET_EVBIT: u32 = iow::<libc::c_int>(b'U', 100);
pub const UI_SET_KEYBIT: u32 = iow::<libc::c_int>(b'U', 101);
pub const UI_SET_MSCBIT: u32 = iow::<libc::c_int>(b'U', 104);
pub const UI_SET_LEDBIT: u32 = iow::<libc::c_int>(b'U', 105);
pub const fn ui_get_sysname(len: usize) -> u32 {
    ioc(ioc::READ, b'U', 44, len)
}
pub const EVIOCSCLOCKID: u32 = iow::<libc::c_int>(b'E', 0xa0);

/// `ioctl(fd, request, arg)` with an integer argument.
pub fn ioctl_int(fd: RawFd, request: u32, arg: libc::c_int) -> io::Result<()> {
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
pub unsafe fn ioctl_ptr<T>(fd: RawFd, request: u32, ptr: *mut T) -> io::Result<libc::c_int> {
    // SAFETY: the caller's contract (above) is the ioctl's.
    let r = unsafe { libc::ioctl(fd, request as _, ptr) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
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

/// An event's timestamp as a duration on the device's clock.
pub fn event_time(ev: &input_event) -> Duration {
    Duration::new(ev.time.tv_sec.max(0) as u64, (ev.time.tv_usec.clamp(0, 999_999) as u32) * 1000)
}

pub fn new_event(type_: u16, code: u16, value: i32) -> input_event {
    input_event { time: libc::timeval { tv_sec: 0, tv_usec: 0 }, type_, code, value }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_the_kernel_headers() {
        // Values from <linux/uinput.h> and <linux/input.h> on x86_64/aarch64.
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            assert_eq!(UI_DEV_CREATE, 0x5501);
            assert_eq!(UI_DEV_DESTROY, 0x5502);
            assert_eq!(UI_DEV_SETUP, 0x405c5503);
            assert_eq!(UI_SET_EVBIT, 0x40045564);
            assert_eq!(UI_SET_KEYBIT, 0x40045565);
            assert_eq!(UI_SET_LEDBIT, 0x40045569);
            assert_eq!(ui_get_sysname(64), 0x8040552c);
            assert_eq!(EVIOCSCLOCKID, 0x400445a0);
        }
    }
}
