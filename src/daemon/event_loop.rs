//! `keymapd run`: the one-thread mio loop that owns every fd (devices, udev, notify, signals,
//! uinput, the timerfd) and moves events between them. It never sleeps and never ticks.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use notify::Watcher;
use sd_notify::NotifyState;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use crate::merger::Merger;
use crate::profile::ProfileSet;

use super::devices::{self, Node};
use super::frame::Frame;
use super::keyboard::Keyboard;
use super::sys::{self, input_event, TimerFd};
use super::uinput::VirtualKeyboard;
use super::{load_profiles, watch_dir, Error};

const SIGNALS: Token = Token(0);
const UDEV: Token = Token(1);
const WAKER: Token = Token(2);
const TIMER: Token = Token(3);
const UINPUT: Token = Token(4);
pub(super) const DEV_BASE: usize = 16;

/// How long the profile directory must be quiet before a reload (editors write in steps).
pub(super) const DEBOUNCE: Duration = Duration::from_millis(100);
/// How long the virtual keyboard stays after the final releases (see `Daemon::shutdown`).
const EXIT_LINGER: Duration = Duration::from_millis(200);
/// Grab retries while another program holds a keyboard: 0.1 s, doubling, this many times.
pub(super) const BUSY_BACKOFF: Duration = Duration::from_millis(100);
pub(super) const BUSY_TRIES: u32 = 7;

/// An event node the daemon has seen (claimed or not), for re-matching on reload.
pub(super) struct Known {
    pub(super) node: Node,
    /// `None` if it could not be opened.
    pub(super) info: Option<crate::profile::DeviceInfo>,
}

pub(super) struct Daemon {
    pub(super) poll: Poll,
    pub(super) config: PathBuf,
    pub(super) set: ProfileSet,
    pub(super) out: VirtualKeyboard,
    pub(super) merger: Merger,
    /// Output not tied to one keyboard's frame (shutdown).
    pub(super) frame: Frame,
    pub(super) known: Vec<Known>,
    pub(super) kbs: Vec<Option<Keyboard>>,
    /// LED state the desktop last wrote to the virtual keyboard, by LED code.
    pub(super) leds: [bool; 5],
    pub(super) timer: TimerFd,
    pub(super) debounce: Option<Duration>,
    pub(super) monitor: Option<udev::MonitorSocket>,
    pub(super) notes: mpsc::Receiver<notify::Result<notify::Event>>,
    /// The profile directory's watcher (None if it could not be set up: SIGHUP still works),
    /// and the directory it watches; every reload renews the watch, so a directory that was
    /// deleted and recreated is watched again after `systemctl reload`.
    pub(super) watcher: Option<notify::RecommendedWatcher>,
    pub(super) watch_dir: PathBuf,
    pub(super) buf: Box<[input_event; 64]>,
    /// A grabbed keyboard reported input (see `Daemon::pump`).
    pub(super) input_pending: bool,
    /// Running `command(…)` children, reaped on SIGCHLD.
    pub(super) children: Vec<(String, std::process::Child)>,
    pub(super) exit: Option<Result<(), Error>>,
}

pub(super) fn notify_systemd(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(false, states) {
        log::debug!("sd_notify: {e}");
    }
}

pub fn run(config: &Path) -> Result<(), Error> {
    let set = load_profiles(config)?;
    if set.profiles.is_empty() {
        log::warn!(
            "no profiles in {}: nothing will be remapped until one is added (it is picked up without a restart)",
            config.display()
        );
    }
    let mut out = VirtualKeyboard::create().map_err(Error::Uinput)?;
    log::info!("created {:?} at {}", super::uinput::NAME, out.syspath().display());
    out.pointer_for(&set);
    let poll = Poll::new().map_err(Error::io("creating the event loop"))?;
    let reg = poll.registry();
    let mut signals =
        Signals::new([SIGTERM, SIGINT, SIGHUP, SIGCHLD]).map_err(Error::io("installing signal handlers"))?;
    reg.register(&mut signals, SIGNALS, Interest::READABLE).map_err(Error::io("watching signals"))?;
    let timer = TimerFd::new().map_err(Error::io("creating a timerfd"))?;
    reg.register(&mut SourceFd(&timer.raw_fd()), TIMER, Interest::READABLE)
        .map_err(Error::io("watching the timerfd"))?;
    reg.register(&mut SourceFd(&out.raw_fd()), UINPUT, Interest::READABLE)
        .map_err(Error::io("watching the virtual keyboard"))?;
    // The monitor is set up before enumerating, so that no device plugged in meanwhile is missed.
    let monitor = match udev::MonitorBuilder::new()
        .and_then(|b| b.match_subsystem("input"))
        .and_then(|b| b.listen())
    {
        Ok(mut m) => match reg.register(&mut m, UDEV, Interest::READABLE) {
            Ok(()) => Some(m),
            Err(e) => {
                log::warn!("cannot watch udev ({e}): keyboards plugged in later will not be picked up");
                None
            }
        },
        Err(e) => {
            log::warn!("cannot open a udev monitor ({e}): keyboards plugged in later will not be picked up");
            None
        }
    };
    let waker = Arc::new(Waker::new(reg, WAKER).map_err(Error::io("creating a waker"))?);
    let (tx, notes) = mpsc::channel();
    let w = waker.clone();
    let watcher = notify::recommended_watcher(move |res| {
        if tx.send(res).is_ok() {
            let _ = w.wake();
        }
    });
    let dir = watch_dir(config);
    let watcher = match watcher {
        Ok(mut watcher) => match watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
            Ok(()) => Some(watcher),
            Err(e) => {
                log::warn!(
                    "cannot watch {} ({e}): reload with SIGHUP (`systemctl reload keymapd`)",
                    dir.display()
                );
                None
            }
        },
        Err(e) => {
            log::warn!(
                "cannot watch {} ({e}): reload with SIGHUP (`systemctl reload keymapd`)",
                dir.display()
            );
            None
        }
    };

    let mut d = Daemon {
        poll,
        config: config.to_path_buf(),
        set,
        out,
        merger: Merger::new(),
        frame: Frame::new(),
        known: Vec::new(),
        kbs: Vec::new(),
        leds: [false; 5],
        timer,
        debounce: None,
        monitor,
        notes,
        watcher,
        watch_dir: dir,
        buf: Box::new([sys::new_event(0, 0, 0); 64]),
        input_pending: false,
        children: Vec::new(),
        exit: None,
    };
    for node in devices::enumerate() {
        d.add(node);
    }
    d.warn_if_idle();
    notify_systemd(&[NotifyState::Ready]);
    d.serve(&mut signals)
}

impl Daemon {
    fn serve(&mut self, signals: &mut Signals) -> Result<(), Error> {
        let mut events = Events::with_capacity(64);
        loop {
            if let Err(e) = self.poll.poll(&mut events, None) {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                log::error!("waiting for events failed ({e}): releasing every key, ungrabbing, exiting");
                self.shutdown();
                return Err(Error::Io { what: "waiting for events".into(), source: e });
            }
            for ev in events.iter() {
                match ev.token() {
                    SIGNALS => self.on_signals(signals),
                    UDEV => self.on_udev(),
                    WAKER => self.on_notes(),
                    TIMER => self.on_timer(),
                    UINPUT => self.on_leds(),
                    Token(t) if t >= DEV_BASE => self.on_device(t - DEV_BASE),
                    _ => {}
                }
                if self.exit.is_some() {
                    break;
                }
            }
            if self.exit.is_none() && self.input_pending {
                self.pump();
                self.run_commands();
            }
            if let Some(result) = self.exit.take() {
                return result;
            }
            self.rearm();
        }
    }

    fn on_signals(&mut self, signals: &mut Signals) {
        let pending: Vec<i32> = signals.pending().collect();
        for sig in pending {
            match sig {
                SIGHUP => {
                    self.debounce = None;
                    self.reload("SIGHUP");
                }
                SIGCHLD => self.reap_commands(),
                _ => {
                    log::info!("signal {sig}: releasing every key, ungrabbing, exiting");
                    notify_systemd(&[NotifyState::Stopping]);
                    self.shutdown();
                    self.exit = Some(Ok(()));
                    return;
                }
            }
        }
    }

    /// Starts the `command(…)` actions the engines fired (profiles with `allow_commands`), as the
    /// daemon's user, without waiting for them; SIGCHLD reaps them.
    pub(super) fn run_commands(&mut self) {
        for kb in self.kbs.iter_mut().flatten() {
            let Some(cmds) = kb.frame.take_commands() else { continue };
            for cmd in cmds {
                log::info!("command from {}: {cmd}", kb.label);
                match std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(&cmd)
                    .stdin(std::process::Stdio::null())
                    .spawn()
                {
                    Ok(child) => self.children.push((cmd, child)),
                    Err(e) => log::error!("cannot run command `{cmd}`: {e}"),
                }
            }
        }
    }

    fn reap_commands(&mut self) {
        self.children.retain_mut(|(cmd, child)| match child.try_wait() {
            Ok(None) => true,
            Ok(Some(status)) => {
                if !status.success() {
                    log::warn!("command `{cmd}` failed: {status}");
                }
                false
            }
            Err(_) => false,
        });
    }

    /// Releases every output key, then ungrabs every keyboard.
    pub(super) fn shutdown(&mut self) {
        for kb in self.kbs.iter_mut().flatten() {
            self.out.write(&mut kb.frame);
        }
        self.merger.release_all(&mut self.frame);
        self.out.write(&mut self.frame);
        for kb in self.kbs.iter_mut().flatten() {
            let _ = kb.dev.ungrab();
        }
        // The virtual keyboard goes away when the process exits, and the kernel discards the
        // events a client has not read yet when a device goes away: give clients a moment to
        // read the releases. This is the exit path, never the event path.
        std::thread::sleep(EXIT_LINGER);
    }

    fn on_device(&mut self, slot: usize) {
        let Some(kb) = self.kbs.get_mut(slot).and_then(Option::as_mut) else { return };
        if kb.is_grabbed() {
            kb.ready = true;
            self.input_pending = true;
        } else {
            self.try_grab(slot);
        }
    }

    /// Feeds the input of the grabbed keyboards, frame by frame in timestamp order across
    /// keyboards (a chord typed on two keyboards within one wakeup keeps its order).
    ///
    /// Only keyboards that may hold input are read ([`Keyboard::ready`]: epoll reported them, or
    /// their last read filled the buffer); a short read means drained, so a frame is written
    /// without first reading keyboards that have nothing (each read is a syscall on the latency
    /// path).
    pub(super) fn pump(&mut self) {
        self.input_pending = false;
        let mut current: Option<usize> = None;
        let mut refill = true;
        loop {
            if refill {
                for slot in 0..self.kbs.len() {
                    let Some(kb) =
                        self.kbs[slot].as_mut().filter(|k| k.is_grabbed() && k.ready && !k.has_input())
                    else {
                        continue;
                    };
                    if let Err(e) = kb.fill() {
                        let why = if e.raw_os_error() == Some(libc::ENODEV) {
                            "removed".to_owned()
                        } else {
                            format!("read error ({e}), dropped")
                        };
                        self.drop_slot(slot, Some(&why));
                    }
                }
            }
            let times = self.kbs.iter().map(|k| k.as_ref().and_then(Keyboard::next_time));
            let Some(slot) = next_source(current, times) else { return };
            let Some(kb) = self.kbs[slot].as_mut() else { return };
            let frame_done = kb.feed_next(&mut self.merger, &self.out);
            current = if frame_done { None } else { Some(slot) };
            refill = !kb.has_input();
            if kb.panic {
                self.panic_escape();
                return;
            }
        }
    }

    fn panic_escape(&mut self) {
        log::error!(
            "panic escape (backspace+escape+enter): releasing every key, ungrabbing every keyboard, exiting"
        );
        notify_systemd(&[NotifyState::Stopping]);
        self.shutdown();
        self.exit = Some(Err(Error::PanicEscape));
    }

    fn on_leds(&mut self) {
        let mut changed = false;
        let leds = &mut self.leds;
        if let Err(e) = self.out.read_leds(|code, on| {
            if let Some(l) = leds.get_mut(code as usize) {
                changed |= *l != on;
                *l = on;
            }
        }) {
            log::warn!("reading LED state from the virtual keyboard: {e}");
        }
        log::debug!("LEDs from the desktop: {:?}", self.leds);
        if changed {
            for kb in self.kbs.iter_mut().flatten().filter(|k| k.is_grabbed()) {
                kb.set_leds(&self.leds);
            }
        }
    }

    fn on_timer(&mut self) {
        self.timer.clear();
        // Input stamped before the deadline decides first (a release just before a hold timeout
        // is a tap; the engine lets due timers fire before each event): read every grabbed
        // keyboard before the timers fire.
        for kb in self.kbs.iter_mut().flatten() {
            kb.ready = true;
        }
        self.pump();
        if self.exit.is_some() {
            return;
        }
        let now = sys::monotonic_now();
        let mut retry = Vec::new();
        for (slot, kb) in self.kbs.iter_mut().enumerate() {
            let Some(kb) = kb else { continue };
            if kb.deadline.is_some_and(|t| t <= now) {
                kb.tick(now, &mut self.merger, &self.out);
            }
            if kb.retry_at.is_some_and(|t| t <= now) {
                kb.retry_at = None;
                retry.push(slot);
            }
        }
        for slot in retry {
            self.try_grab(slot);
        }
        self.run_commands();
        if self.debounce.is_some_and(|t| t <= now) {
            self.debounce = None;
            self.reload("profile directory changed");
        }
    }

    pub(super) fn rearm(&mut self) {
        let next = self
            .kbs
            .iter()
            .flatten()
            .flat_map(|k| [k.deadline, k.retry_at])
            .flatten()
            .chain(self.debounce)
            .min();
        if let Err(e) = self.timer.set(next) {
            log::error!("arming the timerfd: {e}");
        }
    }
}

impl AsRawFd for Keyboard {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd()
    }
}

/// Which keyboard's next event to feed, given each slot's oldest unread event time: the one
/// whose frame is in progress (`current`) if it has more, otherwise the oldest; `None` if no
/// keyboard has anything.
fn next_source(current: Option<usize>, times: impl Iterator<Item = Option<Duration>>) -> Option<usize> {
    let mut oldest: Option<(Duration, usize)> = None;
    for (slot, t) in times.enumerate() {
        let Some(t) = t else { continue };
        if current == Some(slot) {
            return Some(slot);
        }
        if oldest.is_none_or(|(o, _)| t < o) {
            oldest = Some((t, slot));
        }
    }
    oldest.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    #[test]
    fn the_oldest_event_goes_first_across_keyboards() {
        assert_eq!(next_source(None, [ms(20), None, ms(10)].into_iter()), Some(2));
        assert_eq!(next_source(None, [None, None].into_iter()), None);
        // Equal times: the lower slot, deterministically.
        assert_eq!(next_source(None, [ms(5), ms(5)].into_iter()), Some(0));
    }

    #[test]
    fn a_frame_in_progress_is_finished_first() {
        assert_eq!(next_source(Some(0), [ms(20), ms(10)].into_iter()), Some(0));
        // ... unless its keyboard has nothing more read yet.
        assert_eq!(next_source(Some(0), [None, ms(10)].into_iter()), Some(1));
    }
}
