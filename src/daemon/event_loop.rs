//! `keymapd run`: the one-thread mio loop that owns every fd (devices, udev, notify, signals,
//! uinput, the timerfd) and moves events between them. It never sleeps and never ticks.

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

use super::control::{self, Server};
use super::devices::{self, Node};
use super::registry::{Ctx, Registry, DEV_BASE};
use super::reload;
use super::sys::{self, TimerFd};
use super::uinput::Output;
use super::{load_profiles, load_profiles_into, watch_dir, Error};

/// What the registry needs of the daemon's state, borrowed field by field (so that the
/// registry itself and the profile set can be borrowed alongside).
macro_rules! cx {
    ($d:expr) => {
        Ctx { poll: $d.poll.registry(), merger: &mut $d.merger, out: &$d.out }
    };
}

const SIGNALS: Token = Token(0);
const UDEV: Token = Token(1);
const WAKER: Token = Token(2);
const TIMER: Token = Token(3);

/// How long the profile directory must be quiet before a reload (editors write in steps).
const DEBOUNCE: Duration = Duration::from_millis(100);
/// How long the virtual clones stay after the final releases (see `Daemon::shutdown`).
const EXIT_LINGER: Duration = Duration::from_millis(200);

/// The running daemon: every fd of the loop, the profile set, the output, and the registry of
/// devices. Its state is its own: the other modules see only what it passes them.
struct Daemon {
    poll: Poll,
    config: PathBuf,
    set: ProfileSet,
    /// The virtual pointer all keyboards share (each keyboard's clone is its own, in `devices`).
    out: Output,
    merger: Merger,
    devices: Registry,
    timer: TimerFd,
    debounce: Option<Duration>,
    monitor: Option<udev::MonitorSocket>,
    notes: mpsc::Receiver<notify::Result<notify::Event>>,
    /// The profile directory's watcher (None if it could not be set up: SIGHUP still works),
    /// and the directory it watches; every reload renews the watch, so a directory that was
    /// deleted and recreated is watched again after `systemctl reload`.
    watcher: Option<notify::RecommendedWatcher>,
    watch_dir: PathBuf,
    /// A grabbed keyboard reported input (see `Daemon::pump`).
    input_pending: bool,
    /// Running `command(…)` children, reaped on SIGCHLD.
    children: Vec<(String, std::process::Child)>,
    /// The control socket (None if it could not be bound: the daemon remaps all the same).
    control: Option<Server>,
    /// Control sockets epoll reported this round (`usize::MAX`: the listener), served after
    /// the keyboards' input. Reused: its capacity stays.
    control_ready: Vec<usize>,
    exit: Option<Result<(), Error>>,
}

fn notify_systemd(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(false, states) {
        log::debug!("sd_notify: {e}");
    }
}

pub fn run(config: &Path, socket: &Path) -> Result<(), Error> {
    let set = load_profiles(config)?;
    if set.profiles.is_empty() {
        log::warn!(
            "no profiles in {}: nothing will be remapped until one is added (it is picked up without a restart)",
            config.display()
        );
    }
    let mut out = Output::new().map_err(Error::Uinput)?;
    out.pointer_for(&set);
    let poll = Poll::new().map_err(Error::io("creating the event loop"))?;
    let reg = poll.registry();
    let mut signals =
        Signals::new([SIGTERM, SIGINT, SIGHUP, SIGCHLD]).map_err(Error::io("installing signal handlers"))?;
    reg.register(&mut signals, SIGNALS, Interest::READABLE).map_err(Error::io("watching signals"))?;
    let timer = TimerFd::new().map_err(Error::io("creating a timerfd"))?;
    reg.register(&mut SourceFd(&timer.raw_fd()), TIMER, Interest::READABLE)
        .map_err(Error::io("watching the timerfd"))?;
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

    let control = match Server::bind(socket, reg) {
        Ok(s) => {
            log::info!("control socket at {}", s.path().display());
            Some(s)
        }
        Err(e) => {
            log::warn!(
                "cannot listen on {} ({e}): `keymapd status`, `reload` and `listen` will not work",
                socket.display()
            );
            None
        }
    };
    let mut d = Daemon {
        poll,
        config: config.to_path_buf(),
        set,
        out,
        // Each keyboard's keys go to its own clone; only the mouse buttons share a device.
        merger: Merger::with_shared(crate::keys::Key::is_mouse_button),
        devices: Registry::default(),
        timer,
        debounce: None,
        monitor,
        notes,
        watcher,
        watch_dir: dir,
        input_pending: false,
        children: Vec::new(),
        control,
        control_ready: Vec::new(),
        exit: None,
    };
    for node in devices::enumerate() {
        d.devices.add(node, &d.set, &mut cx!(d));
    }
    d.devices.warn_if_idle();
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
                    // Served after the keys of this round (see `serve_control`).
                    control::LISTENER => self.control_ready.push(usize::MAX),
                    Token(t) if t >= control::CLIENT_BASE => {
                        self.control_ready.push(t - control::CLIENT_BASE)
                    }
                    Token(t) if t >= DEV_BASE => {
                        self.input_pending |= self.devices.on_readable(t - DEV_BASE, &mut cx!(self));
                    }
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
            if self.exit.is_none() {
                self.serve_control();
            }
            if let Some(result) = self.exit.take() {
                return result;
            }
            if let Some(c) = self.control.as_mut() {
                c.after_wake(&self.devices, self.poll.registry());
                // A focus report, or its reporter gone (reaped just now): the engines' application
                // layers follow, before the next key is read.
                if let Some(app_id) = c.take_focus_change() {
                    self.devices.set_focus(app_id);
                }
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
                    self.reload("SIGHUP", None);
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

    /// udev `add` and `remove` of event nodes, handed to the registry.
    fn on_udev(&mut self) {
        let Some(monitor) = &self.monitor else { return };
        let mut changes = Vec::new();
        for ev in monitor.iter() {
            let dev = ev.device();
            if !dev.sysname().to_string_lossy().starts_with("event") {
                continue;
            }
            let syspath = dev.syspath().to_path_buf();
            match ev.event_type() {
                udev::EventType::Add => {
                    if let Some(devnode) = dev.devnode() {
                        changes.push((true, Node { devnode: devnode.to_path_buf(), syspath }));
                    }
                }
                udev::EventType::Remove => {
                    let devnode = dev.devnode().map(Path::to_path_buf).unwrap_or_default();
                    changes.push((false, Node { devnode, syspath }));
                }
                _ => {}
            }
        }
        for (add, node) in changes {
            if add {
                self.devices.add(node, &self.set, &mut cx!(self));
            } else {
                self.devices.remove(&node.syspath, &mut cx!(self));
            }
        }
    }

    /// Edits in the profile directory: a reload once it has been quiet for [`DEBOUNCE`].
    fn on_notes(&mut self) {
        let mut relevant = false;
        while let Ok(note) = self.notes.try_recv() {
            match note {
                Ok(ev) => relevant |= reload::is_profile_change(&ev, &self.config),
                Err(e) => log::warn!("watching the profile directory: {e}"),
            }
        }
        if relevant {
            self.debounce = Some(sys::monotonic_now() + DEBOUNCE);
        }
    }

    /// Parses and validates the whole new set; if valid, the registry applies it device by
    /// device. It never keeps a broken set. The control socket's listeners hear the outcome,
    /// and `asker`, the client that asked for it, if one did.
    fn reload(&mut self, why: &str, asker: Option<usize>) {
        let errors = self.reload_set(why);
        if let Some(c) = self.control.as_mut() {
            c.reloaded(asker, &errors, self.poll.registry());
        }
    }

    /// [`Daemon::reload`]'s work; returns the error lines of a refused set.
    fn reload_set(&mut self, why: &str) -> Vec<String> {
        let mut states = vec![NotifyState::Reloading];
        if let Ok(t) = NotifyState::monotonic_usec_now() {
            states.push(t);
        }
        notify_systemd(&states);
        log::info!("reloading profiles ({why})");
        if let Some(w) = self.watcher.as_mut() {
            // Idempotent while the directory stands; a new watch once it was recreated.
            if let Err(e) = w.watch(&self.watch_dir, notify::RecursiveMode::NonRecursive) {
                log::debug!("renewing the watch on {}: {e}", self.watch_dir.display());
            }
        }
        let mut errors = Vec::new();
        let new = match load_profiles_into(&self.config, &mut errors) {
            Ok(set) => set,
            Err(e) => {
                if !matches!(e, Error::InvalidProfiles(_)) {
                    log::error!("{e}");
                    errors.push(e.to_string());
                }
                log::error!("reload failed, keeping the previous profiles");
                notify_systemd(&[NotifyState::Ready]);
                return errors;
            }
        };
        self.out.pointer_for(&new);
        self.devices.rematch(&new, &mut cx!(self));
        let n = new.profiles.len();
        self.set = new;
        log::info!("reloaded {n} profiles");
        self.devices.warn_if_idle();
        notify_systemd(&[NotifyState::Ready]);
        Vec::new()
    }

    /// The control sockets that were ready this round, after the keys: a bounded amount of
    /// client work per round (see `control`), so a key pressed meanwhile waits for little.
    fn serve_control(&mut self) {
        if self.control_ready.is_empty() {
            return;
        }
        let mut ready = std::mem::take(&mut self.control_ready);
        if let Some(c) = self.control.as_mut() {
            c.new_round();
        }
        for &slot in &ready {
            if slot == usize::MAX {
                self.on_control_listener();
            } else {
                self.on_control_client(slot);
            }
        }
        ready.clear();
        self.control_ready = ready;
    }

    fn on_control_listener(&mut self) {
        if let Some(c) = self.control.as_mut() {
            c.on_listener(self.poll.registry(), sys::monotonic_now());
        }
    }

    /// A control client's socket is ready; a `reload` it asked for is done here, in the loop.
    fn on_control_client(&mut self, slot: usize) {
        let Some(c) = self.control.as_mut() else { return };
        if c.on_client(slot, self.poll.registry(), sys::monotonic_now(), &self.devices, &self.set) {
            self.debounce = None;
            self.reload("keymapd reload", Some(slot));
        }
    }

    /// Starts the `command(…)` actions the engines fired (profiles with `allow_commands`): in the
    /// active user's session through their session agent if one is connected (queued on its
    /// connection, never waited for), else as the daemon's user, without waiting for them;
    /// SIGCHLD reaps them.
    fn run_commands(&mut self) {
        if !self.devices.has_commands() {
            return;
        }
        let children = &mut self.children;
        let mut server = self.control.as_mut();
        let reg = self.poll.registry();
        self.devices.take_commands(|label, cmd| {
            if let Some(c) = server.as_deref_mut() {
                let active = c.active_uid();
                if let Ok((uid, id)) = c.run_in_session(&cmd, active, reg) {
                    log::info!("command from {label}: {cmd} (#{id}, in the session of uid {uid})");
                    return;
                }
            }
            log::info!("command from {label}: {cmd}");
            match std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&cmd)
                .stdin(std::process::Stdio::null())
                .spawn()
            {
                Ok(child) => children.push((cmd, child)),
                Err(e) => log::error!("cannot run command `{cmd}`: {e}"),
            }
        });
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

    /// Releases every key on each keyboard's clone, and ungrabs every keyboard.
    fn shutdown(&mut self) {
        self.devices.release_all(&mut cx!(self));
        // The virtual clones go away when the process exits, and the kernel discards the
        // events a client has not read yet when a device goes away: give clients a moment to
        // read the releases. This is the exit path, never the event path.
        std::thread::sleep(EXIT_LINGER);
    }

    /// Feeds the input of the grabbed keyboards (see [`Registry::pump`]).
    fn pump(&mut self) {
        self.input_pending = false;
        if self.devices.pump(&mut cx!(self)) {
            self.panic_escape();
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

    fn on_timer(&mut self) {
        self.timer.clear();
        // Input stamped before the deadline decides first (a release just before a hold timeout
        // is a tap; the engine lets due timers fire before each event): read every grabbed
        // keyboard before the timers fire.
        self.devices.all_ready();
        self.pump();
        if self.exit.is_some() {
            return;
        }
        let now = sys::monotonic_now();
        self.devices.on_timer(now, &mut cx!(self));
        self.run_commands();
        if self.debounce.is_some_and(|t| t <= now) {
            self.debounce = None;
            self.reload("profile directory changed", None);
        }
        if let Some(c) = self.control.as_mut() {
            // A control socket listener paused by its accept limit is watched again.
            c.on_timer(self.poll.registry(), now);
        }
    }

    fn rearm(&mut self) {
        let control = self.control.as_ref().and_then(Server::next_deadline);
        let next = self.devices.next_deadline().into_iter().chain(self.debounce).chain(control).min();
        if let Err(e) = self.timer.set(next) {
            log::error!("arming the timerfd: {e}");
        }
    }
}
