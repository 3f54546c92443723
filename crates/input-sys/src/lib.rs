//! The Linux input ABI as keymapd, its VM test driver and its bench floor use it: the `_IOC`
//! encoding of ioctl requests, the evdev and uinput request numbers, the event types and codes
//! they name, and the `input_event` layout. Constants and plain conversions only: calling the
//! system (and the `unsafe` that takes) stays with each caller.
#![forbid(unsafe_code)]

use std::time::Duration;

pub use libc::{input_event, input_id, uinput_setup};

/// An ioctl request number, as `libc::ioctl` takes it (`as _` converts for libcs that differ).
pub type Request = libc::c_ulong;

// _IOC encoding (include/uapi/asm-generic/ioctl.h; a few architectures differ).
#[cfg(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc64"
))]
mod dir {
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
mod dir {
    pub const NONE: u32 = 0;
    pub const READ: u32 = 2;
    pub const WRITE: u32 = 1;
    pub const SIZEBITS: u32 = 14;
}

/// `_IOC(dir, type, nr, size)`.
const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> Request {
    ((dir << (16 + dir::SIZEBITS))
        | (((size as u32) & ((1 << dir::SIZEBITS) - 1)) << 16)
        | ((ty as u32) << 8)
        | nr as u32) as Request
}
/// `_IO(type, nr)`: no argument.
const fn io(ty: u8, nr: u8) -> Request {
    ioc(dir::NONE, ty, nr, 0)
}
/// `_IOW(type, nr, T)`: the kernel reads a `T`.
const fn iow<T>(ty: u8, nr: u8) -> Request {
    ioc(dir::WRITE, ty, nr, std::mem::size_of::<T>())
}
/// `_IOC(_IOC_READ, type, nr, len)`: the kernel writes up to `len` bytes.
const fn ior_len(ty: u8, nr: u8, len: usize) -> Request {
    ioc(dir::READ, ty, nr, len)
}

// evdev (<linux/input.h>).
/// `EVIOCGNAME(len)`: the device's name, at most `len` bytes.
pub const fn eviocgname(len: usize) -> Request {
    ior_len(b'E', 0x06, len)
}
/// `EVIOCGRAB`: takes an int by value (1 grab, 0 release).
pub const EVIOCGRAB: Request = iow::<libc::c_int>(b'E', 0x90);
/// `EVIOCSCLOCKID`: reads one int (the clock of the event timestamps) through a pointer.
pub const EVIOCSCLOCKID: Request = iow::<libc::c_int>(b'E', 0xa0);

// uinput (<linux/uinput.h>).
pub const UI_DEV_CREATE: Request = io(b'U', 1);
pub const UI_DEV_DESTROY: Request = io(b'U', 2);
/// `UI_DEV_SETUP`: reads one `uinput_setup`.
pub const UI_DEV_SETUP: Request = iow::<uinput_setup>(b'U', 3);
pub const UI_SET_EVBIT: Request = iow::<libc::c_int>(b'U', 100);
pub const UI_SET_KEYBIT: Request = iow::<libc::c_int>(b'U', 101);
pub const UI_SET_RELBIT: Request = iow::<libc::c_int>(b'U', 102);
pub const UI_SET_ABSBIT: Request = iow::<libc::c_int>(b'U', 103);
pub const UI_SET_PROPBIT: Request = iow::<libc::c_int>(b'U', 110);
pub const UI_SET_SWBIT: Request = iow::<libc::c_int>(b'U', 109);
/// `UI_ABS_SETUP`: reads one `uinput_abs_setup` (an axis and its range).
pub const UI_ABS_SETUP: Request = iow::<libc::uinput_abs_setup>(b'U', 4);
pub const UI_SET_MSCBIT: Request = iow::<libc::c_int>(b'U', 104);
pub const UI_SET_LEDBIT: Request = iow::<libc::c_int>(b'U', 105);
/// `UI_SET_PHYS`: reads a pointer to a NUL-terminated string.
pub const UI_SET_PHYS: Request = iow::<*const libc::c_char>(b'U', 108);
/// `UI_GET_SYSNAME(len)`: the device's sysfs name, at most `len` bytes.
pub const fn ui_get_sysname(len: usize) -> Request {
    ior_len(b'U', 44, len)
}

// Event types and codes (<linux/input-event-codes.h>).
pub const EV_SYN: u16 = 0x00;
pub const EV_KEY: u16 = 0x01;
pub const EV_REL: u16 = 0x02;
pub const EV_ABS: u16 = 0x03;
pub const EV_MSC: u16 = 0x04;
pub const EV_LED: u16 = 0x11;
pub const EV_REP: u16 = 0x14;
pub const SYN_REPORT: u16 = 0;
pub const SYN_DROPPED: u16 = 3;
pub const MSC_SCAN: u16 = 4;
pub const KEY_MAX: u16 = 0x2ff;
pub const BUS_USB: u16 = 0x03;
/// LED_NUML..=LED_KANA: the keyboard LEDs a desktop sets (num, caps, scroll, compose, kana).
pub const KEYBOARD_LEDS: std::ops::RangeInclusive<u16> = 0..=4;

/// An event with a zero timestamp (the kernel stamps what it receives through uinput).
pub const fn event(type_: u16, code: u16, value: i32) -> input_event {
    input_event { time: libc::timeval { tv_sec: 0, tv_usec: 0 }, type_, code, value }
}

/// An event stamped at `time` (on whatever clock the reader set), as an evdev read returns it.
pub fn event_at(time: Duration, type_: u16, code: u16, value: i32) -> input_event {
    input_event {
        time: libc::timeval {
            tv_sec: time.as_secs() as libc::time_t,
            tv_usec: time.subsec_micros() as libc::suseconds_t,
        },
        type_,
        code,
        value,
    }
}

/// An event's timestamp as a duration since its clock's origin.
pub fn event_time(ev: &input_event) -> Duration {
    Duration::new(ev.time.tv_sec.max(0) as u64, (ev.time.tv_usec.clamp(0, 999_999) as u32) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_numbers_match_the_kernel_headers() {
        // Values from <linux/uinput.h> and <linux/input.h> on x86_64/aarch64.
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            assert_eq!(UI_DEV_CREATE, 0x5501);
            assert_eq!(UI_DEV_DESTROY, 0x5502);
            assert_eq!(UI_DEV_SETUP, 0x405c5503);
            assert_eq!(UI_SET_EVBIT, 0x40045564);
            assert_eq!(UI_SET_KEYBIT, 0x40045565);
            assert_eq!(UI_SET_RELBIT, 0x40045566);
            assert_eq!(UI_SET_ABSBIT, 0x40045567);
            assert_eq!(UI_SET_PROPBIT, 0x4004556e);
            assert_eq!(UI_SET_SWBIT, 0x4004556d);
            assert_eq!(UI_ABS_SETUP, 0x401c5504);
            assert_eq!(UI_SET_LEDBIT, 0x40045569);
            assert_eq!(UI_SET_PHYS, 0x4008556c);
            assert_eq!(ui_get_sysname(64), 0x8040552c);
            assert_eq!(EVIOCGRAB, 0x40044590);
            assert_eq!(EVIOCSCLOCKID, 0x400445a0);
            assert_eq!(eviocgname(256), 0x81004506);
        }
    }

    #[test]
    fn timestamps_round_trip_at_microsecond_resolution() {
        let t = Duration::new(12, 345_678_000);
        assert_eq!(event_time(&event_at(t, EV_KEY, 30, 1)), t);
        assert_eq!(event_time(&event(EV_SYN, SYN_REPORT, 0)), Duration::ZERO);
    }
}
