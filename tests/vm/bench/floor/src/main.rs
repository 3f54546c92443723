//! keymapd-floor: the least a remapper can do, as the latency floor of the VM bench. It grabs one
//! keyboard, rewrites key codes through a table and writes each frame to its own uinput keyboard.
//!
//! Usage: keymapd-floor [--epoll] [--keymapd-caps] [--output NAME] DEVICE-NAME [FROM:TO]...
//! (codes: 29:125 …)
//!
//! One blocking `read` per wake-up, one `write` per SYN_REPORT frame, nothing else: no poll, no
//! timers, no allocation after start-up, no logging per event. With `--epoll` it waits in
//! `epoll_wait` and then reads, as an event loop over several devices must: the price of the
//! event loop alone, to compare keymapd with. With `--keymapd-caps` its output device declares
//! what keymapd's does (EV_MSC, EV_LED, EV_REP), so the kernel's work per event is the same.

use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::Duration;

use evio::{input_event, EV_KEY, EV_SYN, KEY_MAX, SYN_DROPPED, SYN_REPORT};

/// The name of the floor's output device.
pub const OUTPUT_NAME: &str = "keymapd-floor virtual keyboard";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keymapd-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1).peekable();
    let (mut use_epoll, mut caps, mut output) = (false, false, OUTPUT_NAME.to_string());
    while let Some(flag) = args.next_if(|a| a.starts_with("--")) {
        match flag.as_str() {
            "--epoll" => use_epoll = true,
            "--keymapd-caps" => caps = true,
            "--output" => output = args.next().ok_or("--output needs a device name")?,
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    let wanted = args
        .next()
        .ok_or("usage: keymapd-floor [--epoll] [--keymapd-caps] [--output NAME] DEVICE-NAME [FROM:TO]...")?;
    let mut map: Vec<u16> = (0..=KEY_MAX).collect();
    for pair in args {
        let (from, to) = pair.split_once(':').ok_or(format!("bad mapping `{pair}`; expected FROM:TO"))?;
        let from: u16 = from.parse().map_err(|_| format!("bad code in `{pair}`"))?;
        let to: u16 = to.parse().map_err(|_| format!("bad code in `{pair}`"))?;
        if from > KEY_MAX || to > KEY_MAX {
            return Err(format!("code out of range in `{pair}`"));
        }
        map[from as usize] = to;
    }

    let path = evio::find(&wanted, Duration::from_secs(10)).map_err(|e| e.to_string())?;
    let input = evio::open(&path, use_epoll).map_err(|e| format!("{}: {e}", path.display()))?;
    let fd = input.as_raw_fd();
    let epfd = if use_epoll { Some(epoll_on(fd)?) } else { None };
    evio::grab(fd).map_err(|e| format!("{}: EVIOCGRAB: {e}", path.display()))?;
    let out = evio::Uinput::create_with(&output, evio::BUS_USB, 0x6b6d, 0x666c, caps)
        .map_err(|e| format!("/dev/uinput: {e}"))?;
    eprintln!("keymapd-floor: ready, {} -> {output}", path.display());
    // Readiness as systemd's protocol has it, so that the bench times the floor's start-up the
    // way it times keymapd's.
    if let Some(sock) = std::env::var_os("NOTIFY_SOCKET") {
        let _ = std::os::unix::net::UnixDatagram::unbound().and_then(|u| u.send_to(b"READY=1", sock));
    }

    let mut buf = [evio::ev(0, 0, 0); 64];
    let mut frame = [evio::ev(0, 0, 0); 64];
    let mut len = 0;
    loop {
        if let Some(ep) = &epfd {
            let mut ev = libc::epoll_event { events: 0, u64: 0 };
            // SAFETY: one valid epoll_event to fill.
            if unsafe { libc::epoll_wait(ep.as_raw_fd(), &mut ev, 1, -1) } < 0 {
                continue; // EINTR
            }
        }
        let n = match evio::read(fd, &mut buf) {
            Ok(0) => return Err("end of input".into()),
            Ok(n) => n,
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock) =>
            {
                continue
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        for e in &buf[..n] {
            match (e.type_, e.code) {
                (EV_KEY, code) if len < frame.len() - 1 => {
                    frame[len] = input_event { code: map[code as usize], ..*e };
                    len += 1;
                }
                (EV_SYN, SYN_REPORT) if len > 0 => {
                    frame[len] = *e;
                    out.write(&frame[..=len]).map_err(|e| format!("uinput: {e}"))?;
                    len = 0;
                }
                (EV_SYN, SYN_DROPPED) => {
                    // Not the hot path: the kernel dropped our input because we fell behind.
                    eprintln!("keymapd-floor: SYN_DROPPED: input lost");
                    len = 0;
                }
                _ => {}
            }
        }
    }
}

/// A level-triggered epoll set watching `fd` for input.
fn epoll_on(fd: std::os::fd::RawFd) -> Result<std::os::fd::OwnedFd, String> {
    use std::os::fd::FromRawFd;
    // SAFETY: epoll_create1 returns a new descriptor or -1.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(format!("epoll_create1: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: ep is a fresh descriptor we own.
    let ep = unsafe { std::os::fd::OwnedFd::from_raw_fd(ep) };
    let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: 0 };
    // SAFETY: valid descriptors and one valid epoll_event.
    if unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
        return Err(format!("epoll_ctl: {}", std::io::Error::last_os_error()));
    }
    Ok(ep)
}
